"""Calibrates the fusion of the FAQ selector and the retriever (assistant/understanding/retrieval.py) on held-out questions.

    .venv/bin/python scripts/calibrate_faq.py            # print the grid's best setting, dev and test figures
    .venv/bin/python scripts/calibrate_faq.py --write    # and write it to assistant/understanding/calibration.yml

The questions are the dev half of tests/fixtures/heldout/questions.yml (real questions; out_of_scope is a
question that must get no FAQ answer) and of tests/fixtures/faq_heldout.yml (paraphrases; topic null). The
test halves are only reported, never tuned on. The selector's rankings come from the trained model
(models/assistant.tar.gz), parsed in this process and cached under results/ (keyed by the model's mtime).
A setting scores one for each right answer and each out-of-scope question left unanswered, minus one for
each wrong answer; "您是想问" counts nothing either way.
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from assistant.conversation.reading import INTENT_SURE  # noqa: E402
from assistant.understanding import retrieval  # noqa: E402
from tests.support.heldout import split as split_of  # noqa: E402

MODEL = ROOT / "models" / "assistant.tar.gz"
CACHE = ROOT / "results" / "calibration" / "selector.json"
# "When unsure, ask": the margin is at least 0.1, the answer needs at least 0.45.
# The retriever's scores are means of a topic's best phrasings (assistant/understanding/retrieval.py), lower than one
# phrasing's best: the scale goes down to 0.4.
GRID = {"selector_weight": [0.6, 0.75, 0.9, 1.0], "retriever_weight": [0.0, 0.3, 0.4, 0.45, 0.5, 0.55],
        "retriever_scale": [0.4, 0.5, 0.6, 0.8, 1.0], "sure": [0.45, 0.5, 0.6], "margin": [0.1, 0.15, 0.2],
        "candidate": [0.25], "oos_override": [0.0, 0.5, 0.55, 0.6]}


def questions() -> list[dict]:
    """{text, topic (None: no FAQ answer), split, set} for every held-out question of both files."""
    out = []
    for item in yaml.safe_load((ROOT / "tests/fixtures/heldout/questions.yml").read_text(encoding="utf-8")):
        if item["topic"] == "place":
            continue
        topic = None if item["topic"] == "out_of_scope" else item["topic"]
        out.append({"text": item["text"], "topic": topic, "split": split_of(item["text"]), "set": "real"})
    for item in yaml.safe_load((ROOT / "tests/fixtures/faq_heldout.yml").read_text(encoding="utf-8")):
        out.append({"text": item["q"], "topic": item.get("topic"), "split": split_of(item["q"]), "set": "paraphrase"})
    return out


def selector_rankings(texts: list[str]) -> dict[str, dict]:
    stamp = str(MODEL.stat().st_mtime)
    cached = json.loads(CACHE.read_text(encoding="utf-8")) if CACHE.exists() else {}
    if cached.get("model") == stamp and all(isinstance(cached["rankings"].get(t), dict) for t in texts):
        return cached["rankings"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.disable(logging.WARNING)
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)   # unconfigured, structlog prints Rasa's debug lines for every parse

    print(f"==> parsing {len(texts)} questions with {MODEL.name}", file=sys.stderr)
    agent = Agent.load(str(MODEL))

    async def parse_all() -> dict[str, dict]:
        out = {}
        for text in texts:
            parsed = await agent.parse_message(text)
            ranking = ((parsed.get("response_selector") or {}).get("faq") or {}).get("ranking") or []
            intent = parsed.get("intent") or {}
            out[text] = {"intent": [intent.get("name"), float(intent.get("confidence") or 0.0)],
                         "faq": [[str(r["intent_response_key"]).split("/", 1)[-1], float(r["confidence"])]
                                 for r in ranking]}
        return out

    rankings = asyncio.run(parse_all())
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    CACHE.write_text(json.dumps({"model": stamp, "rankings": rankings}, ensure_ascii=False), encoding="utf-8")
    return rankings


@functools.cache
def _retrieved(text: str) -> list[tuple[str, float]]:
    return retrieval.retriever().rank(text)


def outcome(item: dict, parsed: dict, cal: retrieval.Calibration) -> str:
    """"right", "wrong", "asked" (您是想问) or "none" (no FAQ answer), as assistant/conversation/turn.py decides:
    the sure topic is answered; else out of scope when the classifier is sure of it (INTENT_SURE) or no topic
    reaches `candidate`; else "您是想问"."""
    name, confidence = parsed["intent"]
    retrieved = _retrieved(item["text"])
    if name == "out_of_scope" and confidence >= INTENT_SURE and (retrieved[0][1] if retrieved else 0.0) < cal.oos_override:
        return "none"
    fused = [] if retrieval.elsewhere(item["text"]) else \
        retrieval.fuse([tuple(r) for r in parsed["faq"]], retrieved, cal)
    ranked = [(t, s) for t, s in fused if s >= cal.candidate]
    if ranked:
        top, score = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        if score >= cal.sure and score - second >= cal.margin:
            return "right" if top == item["topic"] else "wrong"
    if not ranked or (name == "out_of_scope" and confidence >= INTENT_SURE):
        return "none"
    return "asked"


def figures(items: list[dict], rankings: dict, cal: retrieval.Calibration) -> dict:
    counts: dict[str, Any] = {"right": 0, "wrong": 0, "asked": 0, "none": 0, "oos_none": 0, "oos": 0, "faq": 0,
                              "oos_said": 0}
    for item in items:
        result = outcome(item, rankings[item["text"]], cal)
        if item["topic"] is None:
            counts["oos"] += 1
            counts["oos_none"] += result == "none"
        else:
            counts["faq"] += 1
            counts[result] += 1
            counts["oos_said"] += result == "none"
        if item["topic"] is None and result == "wrong":
            counts["wrong"] += 1
    counts["score"] = counts["right"] + counts["oos_none"] - counts["wrong"]
    counts["top1"] = round(counts["right"] / max(counts["faq"], 1), 3)
    said_none = counts["oos_none"] + counts["oos_said"]
    counts["oos_precision"] = round(counts["oos_none"] / said_none, 3) if said_none else None
    counts["oos_recall"] = round(counts["oos_none"] / max(counts["oos"], 1), 3)
    return counts


def _english(text: str) -> bool:
    """A question written in English: more Latin letters than Chinese characters."""
    return sum(c.isascii() and c.isalpha() for c in text) > sum("\u4e00" <= c <= "\u9fff" for c in text)


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    args.add_argument("--write", action="store_true", help="write the best setting to assistant/understanding/calibration.yml")
    opts = args.parse_args(argv)
    items = questions()
    rankings = selector_rankings([i["text"] for i in items])
    dev = [i for i in items if i["split"] == "dev"]
    test = [i for i in items if i["split"] == "test"]
    best = None
    for values in itertools.product(*GRID.values()):
        cal = retrieval.Calibration(**dict(zip(GRID, values, strict=True)))
        # The retriever alone offers topics ("您是想问") but never answers: its weight reaches `candidate`, not `sure`.
        if not cal.candidate <= cal.retriever_weight < cal.sure:
            continue
        score = figures(dev, rankings, cal)["score"]
        if best is None or score > best[0]:
            best = (score, cal)
    assert best is not None
    cal = best[1]
    selector_only = retrieval.Calibration(selector_weight=1.0, retriever_weight=0.0, sure=0.6, margin=0.25,
                                          candidate=0.08)
    print("setting:", json.dumps(cal.__dict__))
    for name, part in (("dev", dev), ("test", test)):
        for kind in ("real", "paraphrase"):
            chosen = [i for i in part if i["set"] == kind]
            print(f"{name:4} {kind:10} n={len(chosen):3}  fused {figures(chosen, rankings, cal)}")
            print(f"{'':4} {'':10}        selector only {figures(chosen, rankings, selector_only)}")
            by_language = {language: figures([i for i in chosen if _english(i["text"]) == is_english], rankings, cal)
                           for language, is_english in (("Chinese", False), ("English", True))}
            print(f"{'':4} {'':10}        " + ", ".join(f"{language} {f['right']} of {f['faq']}"
                                                        for language, f in by_language.items()))
    if opts.write:
        retrieval.CALIBRATION.write_text(
            "# Written by scripts/calibrate_faq.py on the dev half of the held-out questions: do not edit by hand.\n"
            + yaml.safe_dump({"parameters": cal.__dict__, "dev": figures(dev, rankings, cal)}, allow_unicode=True,
                             sort_keys=False), encoding="utf-8")
        print(f"==> {retrieval.CALIBRATION.relative_to(ROOT)} written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
