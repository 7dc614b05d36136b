#!/usr/bin/env bash
# The time of each stage of `make test`, printed at its end (also when a stage fails).
#   scripts/stages.sh start         a new run: forget the marks of the last one
#   scripts/stages.sh mark <name>   a stage begins (and the one before it ends)
#   scripts/stages.sh print         the stages and their times; the last one ends now
#   scripts/stages.sh fail          the running stage failed: print the table and exit 1
# The marks are kept in results/stages.tsv (name, seconds since the epoch).
set -eu
file=results/stages.tsv
case "${1:-}" in
  start) mkdir -p results; : > "$file" ;;
  mark) mkdir -p results; printf '%s\t%s\n' "$2" "$(date +%s)" >> "$file" ;;
  print|fail)
    now=$(date +%s)
    echo "==> time of each stage"
    awk -F'\t' -v now="$now" -v failed="$([ "$1" = fail ] && echo 1 || echo 0)" '
      function mmss(s) { return sprintf("%d:%02d", s / 60, s % 60) }
      { name[NR] = $1; at[NR] = $2 }
      END {
        for (i = 1; i <= NR; i++) {
          end = (i < NR) ? at[i + 1] : now
          printf "  %-22s %8s%s\n", name[i], mmss(end - at[i]), (i == NR && failed) ? "  (failed)" : ""
        }
        if (NR) printf "  %-22s %8s\n", "total", mmss(now - at[1])
      }' "$file"
    [ "$1" = print ] || exit 1 ;;
  *) echo "usage: scripts/stages.sh start | mark <name> | print | fail" >&2; exit 2 ;;
esac
