"""`make bench`: the conversation's figures, printed (no timed tests). Parts, all by default:

- residents: simulated residents (the public profiles, three phrasings each, fixed seeds) over REST: the share
  that reach the right statuses, questions per decision (median, max), the most asks of one field;
- faq: FAQ top-1 accuracy on the held-out paraphrases (tests/fixtures/faq_heldout.yml) and the rate of
  "您是想问…" prompts, read from the model as the turn policy reads it;
- latency: REST reply latency for 1 conversation and for 20 at once, and the servers' memory;
- nlu: intent cross-validation (3 folds) with the per-intent F1 table and the faq<->inform and
  faq<->out_of_scope confusions;
- training: the full model trained from scratch;
- stories: the FAQ topics covered by test stories, and the conversation tests of tests/conversations/ with
  their time.

    python scripts/bench.py                 # everything
    python scripts/bench.py residents faq   # some parts
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.conversation import FAQ_CANDIDATE, FAQ_MARGIN, FAQ_SURE  # noqa: E402
from tests.support.fixtures import load  # noqa: E402
from tests.support.residents import Resident, decided_right, talk  # noqa: E402
from tests.support.servers import RASA, Servers, rss_mb, servers  # noqa: E402

ENV = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3", LOG_LEVEL="WARNING",
           PYTHONWARNINGS="ignore", PYTHONPATH=str(ROOT))
SEEDS = (0, 1, 2)


def sh(args: list[str], cwd: Path = ROOT) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def residents(srv: Servers) -> None:
    print("Simulated residents (public profiles x 3 phrasings, remarks and questions in the middle):", flush=True)
    right, questions, worst = 0, [], 0
    cases = load("profiles.json")
    for case in cases:
        for seed in SEEDS:
            out = talk(lambda text, s=f"bench-{case['name'][:3]}-{seed}": srv.webhook(s, text),
                       Resident(case["profile"], seed))
            ok = out.assessment is not None and decided_right(out.assessment, case["expected"])
            right += ok
            questions.append(sum(out.asks.values()))
            worst = max([worst, *out.asks.values()])
            if not ok:
                print(f"  wrong: {case['name']} (phrasing {seed})")
    total = len(cases) * len(SEEDS)
    print(f"  right statuses: {right}/{total} = {right / total:.0%} (target >= 95 %)")
    print(f"  questions per decision: median {statistics.median(questions)}, max {max(questions)} (target max <= 20)")
    print(f"  most asks of one field in one conversation: {worst} (limit 3)")


def faq(srv: Servers) -> None:
    items = yaml.safe_load((ROOT / "tests" / "fixtures" / "faq_heldout.yml").read_text(encoding="utf-8"))
    right = asked_back = topics = 0
    for item in items:
        parsed = requests.post(f"{srv.rasa_url}/model/parse", json={"text": item["q"]}, timeout=60).json()
        ranking = [(r["intent_response_key"].split("/", 1)[1], r["confidence"])
                   for r in parsed.get("response_selector", {}).get("faq", {}).get("ranking", [])
                   if r["confidence"] >= FAQ_CANDIDATE]
        if item["topic"] is None:
            continue
        topics += 1
        if ranking and ranking[0][0] == item["topic"]:
            right += 1
        sure = ranking and ranking[0][1] >= FAQ_SURE and ranking[0][1] - (ranking[1][1] if len(ranking) > 1 else 0) \
            >= FAQ_MARGIN
        asked_back += not sure
    print(f"FAQ on {topics} held-out paraphrases (tests/fixtures/faq_heldout.yml):")
    print(f"  top-1 accuracy: {right}/{topics} = {right / topics:.1%} (target >= 90 %)")
    print(f"  '您是想问…' prompts instead of an answer: {asked_back / topics:.1%}")


def latency(srv: Servers) -> None:
    def timed(sender: str, message: str) -> float:
        start = time.perf_counter()
        srv.webhook(sender, message)
        return time.perf_counter() - start

    script = ["你好", "工业园区", "28", "本科", "没有", "为什么不能积分落户", "我差多少分", "谢谢"]
    single = [timed(f"lat-one-{n}", m) for n in range(5) for m in script]

    def one_conversation(n: int) -> list[float]:
        return [timed(f"lat-{n}", m) for m in script]

    start = time.perf_counter()
    with ThreadPoolExecutor(20) as pool:
        many = [t for ts in pool.map(one_conversation, range(20)) for t in ts]
    wall = time.perf_counter() - start

    def q(xs: list[float], p: float) -> float:
        return sorted(xs)[max(0, int(round(p * len(xs))) - 1)]

    print("REST reply latency (POST /webhooks/rest/webhook):")
    print(f"  1 conversation : p50 {q(single, .5) * 1000:6.0f} ms  p95 {q(single, .95) * 1000:6.0f} ms "
          f"({len(single)} messages)")
    print(f"  20 at once     : p50 {q(many, .5) * 1000:6.0f} ms  p95 {q(many, .95) * 1000:6.0f} ms "
          f"({len(many)} messages, {len(many) / wall:.1f} msg/s)")
    for name, pid in srv.pids.items():
        print(f"  memory of the {name} server: {rss_mb(pid):.0f} MB")


def nlu(work: Path) -> None:
    print("Intent cross-validation (3 folds, the whole NLU pipeline retrained per fold):", flush=True)
    sh([RASA, "test", "nlu", "--nlu", "data/nlu", "--config", "config.yml", "--cross-validation", "--folds", "3",
        "--out", str(work / "cv")])
    report = json.loads((work / "cv" / "intent_report.json").read_text())
    print(f"  {'intent':22} {'F1':>6} {'support':>8}")
    for name, row in sorted(report.items()):
        if isinstance(row, dict) and "f1-score" in row and name not in ("macro avg", "weighted avg", "micro avg"):
            print(f"  {name:22} {row['f1-score']:6.3f} {row['support']:8}")
    print(f"  weighted F1: {report['weighted avg']['f1-score']:.3f}")
    errors = json.loads((work / "cv" / "intent_errors.json").read_text()) \
        if (work / "cv" / "intent_errors.json").exists() else []
    pairs: dict[tuple[str, str], int] = {}
    for e in errors:
        pair = (e["intent"], e["intent_prediction"]["name"])
        pairs[pair] = pairs.get(pair, 0) + 1
    for a, b in (("faq", "inform"), ("inform", "faq"), ("faq", "out_of_scope"), ("out_of_scope", "faq")):
        print(f"  {a} taken for {b}: {pairs.get((a, b), 0)}")
    worst = sorted(pairs.items(), key=lambda kv: -kv[1])[:5]
    print("  most frequent confusions: " + ", ".join(f"{a}->{b} {n}" for (a, b), n in worst))


def stories(srv: Servers) -> None:
    """FAQ topics with test stories (tests/stories/faq.yml) and the conversation tests, run as make test runs
    them (assistant/conversation_tests.py, four conversations at a time)."""
    from assistant import conversation_tests as ct

    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    topics = {k.split("/", 1)[1] for k in domain["responses"] if k.startswith("utter_faq/")}
    stories = yaml.safe_load((ROOT / "tests" / "stories" / "faq.yml").read_text(encoding="utf-8"))["stories"]
    covered = {step["intent"].split("/", 1)[1] for s in stories for step in s["steps"]
               if str(step.get("intent", "")).startswith("faq/")}
    print(f"FAQ topics covered by test stories: {len(covered & topics)} of {len(topics)} "
          f"({len(stories)} stories)")
    cases = ct.load([ROOT / "tests" / "conversations"])
    start = time.perf_counter()
    results = ct.run(ct.Client(srv.rasa_url), cases, jobs=4)
    seconds = time.perf_counter() - start
    print(f"Conversation tests: {len(results)} ({sum(r.passed for r in results)} passed) in {seconds:.0f} s, "
          f"4 at a time (target < 3 min)")


def training(work: Path) -> None:
    seconds = sh([RASA, "train", "--domain", "domain.yml", "--data", "data", "--config", "config.yml", "--out",
                  str(work / "full"), "--force"])
    print(f"Training the full model from scratch: {seconds / 60:.1f} min (2 cores)")


PARTS = ("residents", "faq", "latency", "stories", "nlu", "training")


def main(argv: list[str]) -> None:
    parts = argv or list(PARTS)
    unknown = set(parts) - set(PARTS)
    if unknown:
        sys.exit(f"unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        served = ("residents", "faq", "latency", "stories")
        if set(served) & set(parts):
            with servers(work) as srv:
                for part in served:
                    if part in parts:
                        globals()[part](srv)
        if "nlu" in parts:
            nlu(work)
        if "training" in parts:
            training(work)


if __name__ == "__main__":
    main(sys.argv[1:])
