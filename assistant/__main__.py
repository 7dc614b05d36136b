"""The command line: `python -m assistant assess PROFILE.json|- [--as-of DATE] [--format json|text]`,
`python -m assistant assess --batch IN.csv [-o OUT.csv]` and
`python -m assistant rules [--as-of DATE] [--format text|md|json] [--changes FROM TO]` (the rules sheet) and
`python -m assistant purge --older-than 180d | --conversation ID [--dry-run] [--endpoints endpoints.yml]` and
`python -m assistant review --since 2026-11-01 [--until D] [--format md|json]` (the conversation review's figures).

Bad input prints a Chinese message naming the field and exits with status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from assistant.conversation.explain import explain
from assistant.policy import sheet
from assistant.policy.engine import assess
from assistant.policy.profile import ProfileError, parse_profile
from assistant.policy.rules import rule_data
from assistant.tools.batch import BatchError, read_text, run_batch

EXIT_BAD_INPUT = 2


class InputError(Exception):
    """Input the user must fix; the message is shown as is."""


def _msg(group: str, key: str, **kw) -> str:
    return rule_data().messages[group][key].format(**kw)


def _read(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise InputError(_msg("errors", "file_not_found", path=source)) from None


def _load_json(raw: bytes, source: str):
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(_msg("errors", "not_utf8", path=source)) from None
    if not text.strip():
        raise InputError(_msg("errors", "empty_input"))
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(_msg("errors", "bad_json", line=exc.lineno, col=exc.colno, msg=exc.msg)) from None


def _assess_one(args: argparse.Namespace) -> int:
    data = _load_json(_read(args.profile), args.profile)
    result = assess(parse_profile(data, as_of=args.as_of))
    if args.format == "text":
        print(explain(result))
    else:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
        print()
    return 0


def _assess_batch(args: argparse.Namespace) -> int:
    text = read_text(_read(args.batch), args.batch)
    show = sys.stderr.isatty()
    progress = (lambda n: print(_msg("cli", "batch_progress", rows=n), file=sys.stderr)) if show else None
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            rows, errors = run_batch(text, out, args.as_of, progress)
    else:
        rows, errors = run_batch(text, sys.stdout, args.as_of, progress)
    print(_msg("cli", "batch_done", rows=rows, errors=errors), file=sys.stderr)
    return 0


def _day(text: str | None) -> dt.date:
    """A date of the command line, checked like a profile's as_of (today when not given)."""
    if text is None:
        return dt.date.today()
    return parse_profile({}, as_of=text).as_of


def _rules(args: argparse.Namespace) -> int:
    if args.changes:
        a, b = (_day(d) for d in args.changes)
        print(sheet.format_changes(sheet.changes(a, b), a, b, args.format))
        return 0
    if args.all:
        print(sheet.format_rows(sheet.rows_all(), args.format, None), end="")
        return 0
    day = _day(args.as_of)
    print(sheet.format_rows(sheet.rows_on(day), args.format, day), end="")
    return 0


def _purge(args: argparse.Namespace) -> int:
    """Deletes old conversations or one conversation from the tracker store (assistant/stores/retention.py)."""
    from assistant.stores import retention

    try:
        age = retention.parse_duration(args.older_than) if args.older_than is not None else None
        url = retention.database_url(Path(args.endpoints))
        print(_msg("purge", "database", where=retention.shown(url)), file=sys.stderr)
        engine = retention.connect(url)
        if age is not None:
            done = retention.purge_older_than(engine, age, args.dry_run)
        else:
            done = retention.purge_conversation(engine, args.conversation, args.dry_run)
            if done.conversations == 0:
                print(_msg("purge", "not_found", conversation=args.conversation))
                return 1
    except retention.RetentionError as exc:
        print(f"{_msg('errors', 'heading')}{_msg('purge', exc.key, **exc.fields)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(_msg("purge", "dry_run" if args.dry_run else "done", conversations=done.conversations, events=done.events))
    return 0


def _review(args: argparse.Namespace) -> int:
    """The conversation review's figures for a date range, from the tracker store (assistant/tools/review_report.py)."""
    import time

    from assistant.stores import retention
    from assistant.tools import review, review_report, review_store

    words = review_report.texts()
    try:
        span = review_store.parse_range(args.since, args.until)
        url = retention.database_url(Path(args.endpoints))
        print(words["report"]["database"].format(where=retention.shown(url)), file=sys.stderr)
        engine = retention.connect(url)
        now = time.time()
        figures = review.figures(review_store.conversations(engine, span, now), top=args.top)
    except review_store.RangeError as exc:
        print(f"{_msg('errors', 'heading')}{words['range'][exc.key].format(**exc.fields)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except retention.RetentionError as exc:
        print(f"{_msg('errors', 'heading')}{_msg('purge', exc.key, **exc.fields)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except review_store.sa.exc.SQLAlchemyError as exc:   # the table is there, but not as Rasa writes it
        print(f"{_msg('errors', 'heading')}{_msg('purge', 'cannot_connect', where=retention.shown(url), error=exc)}",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    out = review_report.as_json(figures, span, now) if args.format == "json" else review_report.markdown(figures, span)
    print(out.rstrip("\n"))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant", description="苏州落户政策助手：评估落户渠道")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("assess", help="评估一个画像（JSON）或一批画像（CSV）")
    p.add_argument("profile", nargs="?", help="画像JSON文件，或 - 表示标准输入")
    p.add_argument("--as-of", help="按此日期的规则评估（YYYY-MM-DD，不早于2021-01-01）")
    p.add_argument("--format", choices=("json", "text"), default="json", help="json（默认）或 text（中文说明）")
    p.add_argument("--batch", metavar="IN.csv", help="批量评估：每行一个画像，列名为字段名")
    p.add_argument("-o", "--output", metavar="OUT.csv", help="批量结果写入此文件（默认标准输出）")
    r = sub.add_parser("rules", help="列出某日施行的全部规则（规则一览），或两个日期之间的变化")
    r.add_argument("--as-of", help="规则日期（YYYY-MM-DD，默认今天）")
    r.add_argument("--format", choices=("text", "md", "json"), default="text", help="text（默认）、md 或 json")
    r.add_argument("--changes", nargs=2, metavar=("FROM", "TO"), help="列出两个日期之间规则的变化")
    r.add_argument("--all", action="store_true", help="列出全部规则及其历次取值（docs/rules.md）")
    q = sub.add_parser("purge", help="从对话存储中删除对话（个人信息保留期限）")
    which = q.add_mutually_exclusive_group(required=True)
    which.add_argument("--older-than", metavar="AGE", help="删除最后一条消息早于此时长的对话，如 180d、30d、12h")
    which.add_argument("--conversation", metavar="ID", help="删除这一个对话（会话编号 sender id）")
    q.add_argument("--dry-run", action="store_true", help="只统计将删除多少，不删除")
    q.add_argument("--endpoints", default=str(Path(__file__).resolve().parents[1] / "endpoints.yml"),
                   help="读取 tracker_store 配置的文件（默认项目的 endpoints.yml）")
    v = sub.add_parser("review", help="对话复核：一段时间内转人工、答不上、中途放弃的对话，供周报使用")
    v.add_argument("--since", required=True, help="开始日期（YYYY-MM-DD，含）")
    v.add_argument("--until", help="结束日期（YYYY-MM-DD，含；默认今天）")
    v.add_argument("--format", choices=("md", "json"), default="md", help="md（默认，Markdown）或 json")
    v.add_argument("--top", type=int, default=10, help="列出多少个没有答上的问题（默认10）")
    v.add_argument("--endpoints", default=str(Path(__file__).resolve().parents[1] / "endpoints.yml"),
                   help="读取 tracker_store 配置的文件（默认项目的 endpoints.yml）")
    args = parser.parse_args(argv)
    if args.command == "purge":
        return _purge(args)
    if args.command == "review":
        return _review(args)
    if args.command == "assess" and (args.profile is None) == (args.batch is None):
        parser.error("请给出一个画像文件（或 -），或用 --batch 给出CSV文件")
    try:
        if args.command == "rules":
            return _rules(args)
        return _assess_batch(args) if args.batch else _assess_one(args)
    except ProfileError as exc:
        print(_msg("errors", "heading"), file=sys.stderr)
        for e in exc.errors:
            print(f"  - {e.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (InputError, BatchError) as exc:
        print(f"{_msg('errors', 'heading')}{exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
