#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter: $PYTHON, then python3.10 on PATH, then pyenv's 3.10.x.
# Rasa 3.6 refuses Python 3.11+, so nothing else will do.
set -u
is310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; }
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
if command -v pyenv >/dev/null 2>&1; then
  for p in "$(pyenv root)"/versions/3.10.*/bin/python; do [ -x "$p" ] && candidates+=("$p"); done
fi
for p in "${HOME:-/root}"/.pyenv/versions/3.10.*/bin/python; do [ -x "$p" ] && candidates+=("$p"); done
for p in "${candidates[@]}"; do
  if is310 "$p"; then echo "$p"; exit 0; fi
done
cat >&2 <<'MSG'
找不到 Python 3.10（Rasa 3.6 只支持 Python 3.8–3.10）。
No Python 3.10 found. Install one and try again, for example:
  - Debian/Ubuntu: apt-get install python3.10 python3.10-venv   (or use the deadsnakes PPA)
  - pyenv:         pyenv install 3.10.13
  - or point to one: make setup PYTHON=/path/to/python3.10
MSG
exit 1
