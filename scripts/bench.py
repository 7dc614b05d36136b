"""`make bench`: the conversation's figures, printed (no timed tests).

- NLU intent and entity F1 on a held-out 20 % split (a model trained on the other 80 %);
- questions asked per decision on the public profiles (tests/fixtures/profiles.json), through the servers;
- REST reply latency p50/p95 for 1 conversation and for 20 at once;
- training time of the full model, and the memory of the Rasa and action servers;
- the FAQ topics covered by test stories, and the conversation tests of tests/conversations/ with their time.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.servers import RASA, interview, servers  # noqa: E402

EVAL = ROOT / "tests" / "fixtures"
ENV = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3", LOG_LEVEL="WARNING",
           PYTHONWARNINGS="ignore", PYTHONPATH=str(ROOT))


def sh(args: list[str], cwd: Path = ROOT) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def nlu_f1(work: Path) -> None:
    print("NLU on a held-out split (80 % train / 20 % test, fixed seed):", flush=True)
    sh([RASA, "data", "split", "nlu", "--nlu", "data/nlu", "--training-fraction", "0.8", "--random-seed", "7",
        "--out", str(work / "split")])
    split = work / "split"
    train = next(split.glob("training_data*.yml"))
    test = next(split.glob("test_data*.yml"))
    sh([RASA, "train", "nlu", "--nlu", str(train), "--config", "config.yml", "--out", str(work / "nlu"),
        "--fixed-model-name", "heldout", "--domain", "domain.yml"])
    sh([RASA, "test", "nlu", "--nlu", str(test), "-m", str(work / "nlu" / "heldout.tar.gz"), "--out",
        str(work / "report")])
    intents = json.loads((work / "report" / "intent_report.json").read_text())
    print(f"  intent F1 (weighted): {intents['weighted avg']['f1-score']:.3f}  (target >= 0.95; "
          f"{intents['weighted avg']['support']} test messages)")
    for report in sorted((work / "report").glob("*Extractor_report.json")) + \
            sorted((work / "report").glob("DIETClassifier_report.json")):
        data = json.loads(report.read_text())
        avg = data.get("weighted avg") or data.get("micro avg")
        if avg:
            print(f"  entity F1 ({report.stem.replace('_report', '')}): {avg['f1-score']:.3f} "
                  f"({avg['support']} entities)")


def conversations(work: Path) -> None:
    profiles = json.loads((EVAL / "profiles.json").read_text(encoding="utf-8"))
    with servers(work) as srv:
        counts = []
        print("Questions asked per decision (public profiles, answering every ask payload):")
        for i, case in enumerate(profiles):
            out = interview(srv, f"bench-{i}", case["profile"])
            counts.append(len(out.questions))
            print(f"  {case['name'][:48]:48} {len(out.questions):2d}  -> {out.assessment['recommended'] or '-'}")
        print(f"  median {statistics.median(counts)}  mean {statistics.mean(counts):.1f}  (target median <= 8)")

        def timed(sender: str, message: str) -> float:
            start = time.perf_counter()
            srv.webhook(sender, message)
            return time.perf_counter() - start

        script = ["你好", "工业园区", "28", "本科", "没有", "为什么不能积分落户", "我差多少分", "谢谢"]
        single = [timed("lat-one", m) for _ in range(5) for m in script]

        def one_conversation(n: int) -> list[float]:
            return [timed(f"lat-{n}", m) for m in script]

        start = time.perf_counter()
        with ThreadPoolExecutor(20) as pool:
            many = [t for ts in pool.map(one_conversation, range(20)) for t in ts]
        wall = time.perf_counter() - start
        q = lambda xs, p: sorted(xs)[max(0, int(round(p * len(xs))) - 1)]  # noqa: E731
        print("REST reply latency (POST /webhooks/rest/webhook):")
        print(f"  1 conversation : p50 {q(single, .5) * 1000:6.0f} ms  p95 {q(single, .95) * 1000:6.0f} ms "
              f"({len(single)} messages)")
        print(f"  20 at once     : p50 {q(many, .5) * 1000:6.0f} ms  p95 {q(many, .95) * 1000:6.0f} ms "
              f"({len(many)} messages, {len(many) / wall:.1f} msg/s)")
        conversation_tests(srv.rasa_url)
        for name, pid in srv.pids.items():
            rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                       if line.startswith("VmRSS"))
            print(f"  memory of the {name} server: {rss / 1024:.0f} MB")


def conversation_tests(url: str) -> None:
    """FAQ topics with test stories (tests/stories/faq.yml) and the conversation tests, run as make test runs
    them (assistant/conversation_tests.py, four conversations at a time)."""
    import yaml

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
    results = ct.run(ct.Client(url), cases, jobs=4)
    seconds = time.perf_counter() - start
    print(f"Conversation tests: {len(results)} ({sum(r.passed for r in results)} passed) in {seconds:.0f} s, "
          f"4 at a time (target < 3 min)")


def training(work: Path) -> None:
    seconds = sh([RASA, "train", "--domain", "domain.yml", "--data", "data", "--config", "config.yml", "--out",
                  str(work / "full"), "--force"])
    print(f"Training the full model from scratch: {seconds / 60:.1f} min (2 cores)")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        conversations(work)
        nlu_f1(work)
        training(work)


if __name__ == "__main__":
    main()
