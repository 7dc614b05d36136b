"""Understanding figures on the held-out real questions and remarks (tests/fixtures/heldout/), against a
running assistant's REST channel (`make run`; default http://localhost:5005). No timing, figures only.

    python scripts/bench_understanding.py                     # questions, both splits
    python scripts/bench_understanding.py --split test        # one split
    python scripts/bench_understanding.py --mode remarks      # remarks in the middle of an interview
    python scripts/bench_understanding.py --mode all --url http://127.0.0.1:5005

questions: each question opens a fresh conversation; the reply's FAQ topic is the `utter_faq/<topic>` response
the REST channel names (assistant/channels/rest.py). Prints FAQ top-1 accuracy (topic == label, over FAQ-labelled
items), out-of-scope precision and recall (`utter_out_of_scope` or `utter_no_answer`), per split, and the misses.
remarks: start an interview, answer the first question, send the remark: right when the reply asks the same
pending field again and gives no assessment (and, with Rasa's API reachable, the field's slot is unchanged).
"""
from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import heldout  # noqa: E402
from tests.support.residents import Resident, payloads  # noqa: E402

# No FAQ answer: out of scope, or no topic found by the selector nor the retriever.
OUT_OF_SCOPE_RESPONSES = {"utter_out_of_scope", "utter_no_answer", "utter_out_of_scope_place"}
Send = Callable[[str, str], list[dict]]


def rest(url: str) -> Send:
    def send(sender: str, message: str) -> list[dict]:
        r = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60)
        r.raise_for_status()
        return r.json()
    return send


def reply_topic(replies: list[dict]) -> str | None:
    """The FAQ topic the replies answer with, `out_of_scope`, or None (an interview, a "您是想问" prompt…)."""
    names = [str(r.get("response") or "") for r in replies]
    topic = next((n.split("/", 1)[1] for n in names if n.startswith("utter_faq/")), None)
    if topic:
        return topic
    if any(r.get("custom", {}).get("type") == "place" for r in replies if isinstance(r.get("custom"), dict)):
        return heldout.PLACE
    return heldout.OUT_OF_SCOPE if OUT_OF_SCOPE_RESPONSES & set(names) else None


def questions(send: Send, splits: list[str]) -> None:
    items = [i for i in heldout.questions() if i["split"] in splits]
    got = {i["text"]: reply_topic(send(f"heldout-q-{uuid.uuid4().hex[:10]}", i["text"])) for i in items}
    for name in splits:
        part = [i for i in items if i["split"] == name]
        faq = [i for i in part if i["topic"] not in (heldout.OUT_OF_SCOPE, heldout.PLACE)]
        right = sum(got[i["text"]] == i["topic"] for i in faq)
        said_oos = [i for i in part if got[i["text"]] == heldout.OUT_OF_SCOPE]
        real_oos = [i for i in part if i["topic"] == heldout.OUT_OF_SCOPE]
        tp = sum(i["topic"] == heldout.OUT_OF_SCOPE for i in said_oos)
        print(f"Held-out real questions, {name} split ({len(part)}: {len(faq)} FAQ, {len(real_oos)} out of scope, "
              f"{len(part) - len(faq) - len(real_oos)} place):")
        print(f"  FAQ top-1 accuracy: {right}/{len(faq)} = {right / max(len(faq), 1):.1%} (target >= 92 %)")
        print(f"  out of scope: precision {tp}/{len(said_oos)} = {tp / max(len(said_oos), 1):.1%}, "
              f"recall {tp}/{len(real_oos)} = {tp / max(len(real_oos), 1):.1%}")
        misses = [i for i in part if i["topic"] != heldout.PLACE and got[i["text"]] != i["topic"]]
        for i in misses:
            print(f"  miss: {i['text']!r}: labelled {i['topic']}, answered {got[i['text']] or 'no topic'}")


def _slot(url: str, sender: str, name: str) -> object:
    """The slot's value from Rasa's HTTP API, or a marker when the API is not reachable."""
    try:
        r = requests.get(f"{url}/conversations/{sender}/tracker", timeout=30)
        r.raise_for_status()
        return (r.json().get("slots") or {}).get(name)
    except (requests.RequestException, ValueError):
        return _NO_API


_NO_API = object()


def remarks(send: Send, url: str, splits: list[str]) -> None:
    profile = json.loads((ROOT / "tests" / "fixtures" / "profiles.json").read_text("utf-8"))[0]["profile"]
    items = [i for i in heldout.remarks() if i["split"] in splits]
    right, wrong = 0, []
    for item in items:
        sender = f"heldout-r-{uuid.uuid4().hex[:10]}"
        first = payloads(send(sender, "你好"), "ask")
        if not first:
            wrong.append((item, "the interview did not start"))
            continue
        resident = Resident(profile, seed=0, interject=0.0)
        pending = payloads(send(sender, resident.say(first[-1]["field"], profile.get(first[-1]["field"]), first[-1])),
                           "ask")
        if not pending:
            wrong.append((item, "no second question after the first answer"))
            continue
        field = pending[-1]["field"]
        before = _slot(url, sender, field)
        replies = send(sender, item["text"])
        again = payloads(replies, "ask")
        after = _slot(url, sender, field)
        if payloads(replies, "assessment"):
            wrong.append((item, "an assessment came back"))
        elif not again or again[-1]["field"] != field:
            wrong.append((item, f"{field} not asked again (asked {again[-1]['field'] if again else 'nothing'})"))
        elif before is not _NO_API and after != before:
            wrong.append((item, f"{field} stored as {after!r}"))
        else:
            right += 1
    print(f"Held-out remarks in the middle of an interview ({', '.join(splits)}; {len(items)}):")
    print(f"  pending question asked again, nothing stored: {right}/{len(items)} = {right / max(len(items), 1):.1%}")
    for item, why in wrong:
        print(f"  miss: {item['text']!r} ({item['kind']}): {why}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://localhost:5005", help="the assistant's REST base address")
    parser.add_argument("--split", choices=("dev", "test", "both"), default="both")
    parser.add_argument("--mode", choices=("questions", "remarks", "all"), default="questions")
    args = parser.parse_args(argv)
    splits = ["dev", "test"] if args.split == "both" else [args.split]
    send = rest(args.url.rstrip("/"))
    try:
        if args.mode in ("questions", "all"):
            questions(send, splits)
        if args.mode in ("remarks", "all"):
            remarks(send, args.url.rstrip("/"), splits)
    except requests.ConnectionError:
        sys.exit(f"无法连接助手 {args.url}：请先启动助手（make run），或用 --url 指定地址。")


if __name__ == "__main__":
    main()
