"""`make bench`: the conversation's figures, printed (no timed tests). Parts, all by default:

- questions: different questions before the first answer (median, max) on the public profiles and the
  generated personas of every channel and both regimes, answered as payloads and in words, and the decisions
  that differ from the full profile's (scripts/bench_questions.py, docs/planner.md; no server);
- residents: simulated residents (the public profiles, three phrasings each, fixed seeds) over REST: the share
  that reach the right statuses, questions per decision (median, max), the most asks of one field;
- faq: FAQ top-1 accuracy on the held-out paraphrases (tests/fixtures/faq_heldout.yml) and the rate of
  "您是想问…" prompts, read from the model as the turn policy reads it;
- heldout: FAQ top-1, out-of-scope precision and recall on the held-out real questions and the remarks read
  mid-interview (tests/fixtures/heldout/, scripts/bench_understanding.py);
- latency: REST reply latency for 1 conversation and for 20 at once, and the servers' memory;
- nlu: intent cross-validation (3 folds) with the per-intent F1 table and the faq<->inform and
  faq<->out_of_scope confusions;
- training: the full model trained from scratch;
- stories: the FAQ topics covered by test stories, and the conversation tests of tests/conversations/ with
  their time;
- production: the production topology (nginx, PostgreSQL, Redis, tests/support/topology.py): two instances against
  one in the same run (messages per second and the ratio), then BENCH_CONVERSATIONS (1,000) conversations x 10
  turns at 20 concurrent through nginx and two instances: errors, lost/duplicated/misordered events in
  PostgreSQL, p50/p95/p99, memory per instance;
- baseline: this assistant against a bare bot with the same Chinese NLU pipeline (tests/support/bare_bot.py),
  served the same way, in the same run: p50 at 1 conversation, messages per second at 20, and the ratios;
- profile: where a turn's time goes, from py-spy samples of the Rasa and action servers under load (needs
  py-spy: on PATH or PY_SPY=/path/to/py-spy).

    python scripts/bench.py                 # everything
    python scripts/bench.py residents faq   # some parts
"""
from __future__ import annotations

import functools
import json
import os
import shutil
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

import bench_understanding  # noqa: E402

from assistant.understanding import retrieval  # noqa: E402
from tests.support import bare_bot  # noqa: E402
from tests.support import heldout as heldout_sets  # noqa: E402
from tests.support import load as loads  # noqa: E402
from tests.support.fixtures import load  # noqa: E402
from tests.support.residents import Resident, decided_right, talk  # noqa: E402
from tests.support.servers import RASA, ActionServer, Servers, _env, cpu_seconds, free_port, rss_mb, servers  # noqa: E402
from tests.support.topology import production as topology  # noqa: E402
from tests.support.topology import start_rasa, stop, stored_problems, wait_ready  # noqa: E402

ENV = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3", LOG_LEVEL="WARNING",
           PYTHONWARNINGS="ignore", PYTHONPATH=str(ROOT))
SEEDS = (0, 1, 2)


def sh(args: list[str], cwd: Path = ROOT) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def residents(srv: Servers) -> None:
    """The public profiles, three phrasings each: remarks and questions from the held-out sets (text we did
    not write, never in training) before 0 %, 20 % and 40 % of the new questions."""
    pool = {"remarks": [r["text"] for r in heldout_sets.remarks()],
            "questions": [q["text"] for q in heldout_sets.questions() if q["topic"] != heldout_sets.OUT_OF_SCOPE]}
    cases = load("profiles.json")
    for rate in (0.0, 0.2, 0.4):
        print(f"Simulated residents (public profiles x 3 phrasings, held-out interjections before {rate:.0%} of the "
              "questions):", flush=True)
        right, questions, fields, worst = 0, [], [], 0
        for case in cases:
            for seed in SEEDS:
                sender = f"bench-{case['name'][:3]}-{seed}-{int(rate * 100)}"
                out = talk(functools.partial(srv.webhook, sender), Resident(case["profile"], seed, rate, pool))
                ok = out.assessment is not None and decided_right(out.assessment, case["expected"])
                right += ok
                questions.append(sum(out.asks.values()))
                fields.append(len(out.asks))
                worst = max([worst, *out.asks.values()])
                if not ok:
                    print(f"  wrong: {case['name']} (phrasing {seed})")
        total = len(cases) * len(SEEDS)
        print(f"  right statuses: {right}/{total} = {right / total:.0%} (targets: >= 96 % plain, >= 95 % at 20 %, "
              ">= 90 % at 40 %)")
        print(f"  questions per decision: median {statistics.median(questions)}, max {max(questions)} (every ask, a "
              "question said again after a remark or a question of the resident's included)")
        print(f"  different facts asked per decision: median {statistics.median(fields)}, max {max(fields)}")
        print(f"  most asks of one field in one conversation: {worst} (limit 3)")


def faq(srv: Servers) -> None:
    items = yaml.safe_load((ROOT / "tests" / "fixtures" / "faq_heldout.yml").read_text(encoding="utf-8"))
    cal = retrieval.calibration()
    right = asked_back = topics = 0
    for item in items:
        parsed = requests.post(f"{srv.rasa_url}/model/parse", json={"text": item["q"]}, timeout=60).json()
        selector = [(r["intent_response_key"].split("/", 1)[1], r["confidence"])
                    for r in parsed.get("response_selector", {}).get("faq", {}).get("ranking", [])]
        ranking = [(t, c) for t, c in retrieval.topics(item["q"], selector) if c >= cal.candidate]
        if item["topic"] is None:
            continue
        topics += 1
        if ranking and ranking[0][0] == item["topic"]:
            right += 1
        sure = ranking and ranking[0][1] >= cal.sure and ranking[0][1] - (ranking[1][1] if len(ranking) > 1 else 0) \
            >= cal.margin
        asked_back += not sure
    print(f"FAQ on {topics} held-out paraphrases (tests/fixtures/faq_heldout.yml), selector and retriever fused:")
    print(f"  top-1 accuracy: {right}/{topics} = {right / topics:.1%} (target >= 90 %)")
    print(f"  '您是想问…' prompts instead of an answer: {asked_back / topics:.1%}")


def heldout(srv: Servers) -> None:
    """The held-out real questions and remarks (scripts/bench_understanding.py), both splits."""
    send = bench_understanding.rest(srv.rasa_url)
    bench_understanding.questions(send, ["dev", "test"])
    bench_understanding.remarks(send, srv.rasa_url, ["dev", "test"])


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
    them (assistant/tools/conversation_tests.py, four conversations at a time)."""
    from assistant.tools import conversation_tests as ct

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


FAULT = yaml.safe_load((ROOT / "assistant" / "conversation" / "messages.yml").read_text(encoding="utf-8"))["input"]["fault"]


def _check_stored(top, run: loads.Run) -> list[str]:
    """Lost, duplicated or misordered events: each conversation's stored events against its turns."""
    problems: list[str] = []
    senders = list(run.turns)
    for i in range(0, len(senders), 100):
        chunk = senders[i:i + 100]
        stored = top.stored(chunk)
        for sender in chunk:
            problems += [f"{sender}: {p}" for p in stored_problems(stored.get(sender, []), run.turns[sender])]
    return problems


def production(work: Path) -> None:
    conversations = int(os.environ.get("BENCH_CONVERSATIONS", "1000"))
    scaling = int(os.environ.get("BENCH_SCALING", "200"))
    print(f"Production topology (nginx, PostgreSQL, Redis, 1 action server; {os.cpu_count()} cores):", flush=True)
    with topology(work / "production", instances=2, action_servers=1) as top:
        for instance in top.instances:
            for n in range(3):
                requests.post(f"{instance.url}/webhooks/rest/webhook",
                              json={"sender": f"warm-{instance.port}-{n}", "message": "你好"}, timeout=120)
        one, two = top.instances[:1], top.instances
        runs: dict[int, list[loads.Run]] = {1: [], 2: []}
        for round_no, instances in enumerate([one, two, two, one]):   # ABBA: drift of the shared machine evens out
            top.use_instances(instances)
            run = loads.run_load(top.url, scaling // 2, 20, f"scale{round_no}", FAULT)
            used = {u for turns in run.turns.values() for _, _, u in turns}
            if len(used) != len(instances):   # nginx's reload did not take: the figure would be wrong
                sys.exit(f"round {round_no}: {len(instances)} instance(s) configured, {len(used)} answered")
            print(f"    round {round_no + 1}: {len(instances)} instance(s), {run.rate:.1f} msg/s", flush=True)
            runs[len(instances)].append(run)
        rate = {k: sum(r.messages for r in v) / sum(r.seconds for r in v) for k, v in runs.items()}
        errors = sum(len(r.errors) for v in runs.values() for r in v)
        print(f"  1 instance : {rate[1]:5.1f} msg/s   ({scaling} conversations x 10 turns, 20 at once)")
        print(f"  2 instances: {rate[2]:5.1f} msg/s   ratio {rate[2] / rate[1]:.2f} (target >= 1.5 on 2 cores); "
              f"errors {errors}", flush=True)
        top.use_instances(two)
        big = loads.run_load(top.url, conversations, 20, "big", FAULT)
        problems = _check_stored(top, big)
        served: dict[str, int] = {}
        for turns in big.turns.values():
            for _, _, upstream in turns:
                served[upstream] = served.get(upstream, 0) + 1
        print(f"  {conversations} conversations x 10 turns, 20 at once, 2 instances: {big.summary()}")
        print(f"    lost, duplicated or misordered events in PostgreSQL: {len(problems)}; turns per instance: "
              + ", ".join(f"{k} {v}" for k, v in sorted(served.items())))
        for line in (big.errors + problems)[:10]:
            print(f"    {line}")
        for instance in top.instances:
            print(f"  memory of the Rasa instance on port {instance.port}: {rss_mb(instance.proc.pid):.0f} MB")
        action = top.actions[0].proc
        if action is not None:
            print(f"  memory of the action server: {rss_mb(action.pid):.0f} MB")


def _single(work: Path, name: str, model: Path, actions: bool) -> dict:
    """One Rasa server as `make run` starts it (SQLite, in-memory locks, REST), measured: 1 and 20 at once."""
    folder = work / name
    folder.mkdir(parents=True, exist_ok=True)
    action = ActionServer(folder).start() if actions else None
    try:
        env = _env(folder / "tracker.db", action.port if action else free_port())
        instance = start_rasa(folder, free_port(), env, model)
        try:
            wait_ready(instance)
            for n in range(3):
                requests.post(f"{instance.url}/webhooks/rest/webhook", json={"sender": f"warm-{n}", "message": "你好"},
                              timeout=120)
            single = loads.run_load(instance.url, 8, 1, f"{name}-one", FAULT)
            pids = [instance.proc.pid] + ([action.proc.pid] if action and action.proc else [])
            before = [cpu_seconds(pid) for pid in pids]
            many = loads.run_load(instance.url, 100, 20, f"{name}-many", FAULT)
            cpu = [(cpu_seconds(pid) - b) / max(many.messages, 1) for pid, b in zip(pids, before, strict=True)]
            return {"p50_1": single.percentile(.5), "p95_1": single.percentile(.95), "rate_20": many.rate,
                    "cpu_rasa": cpu[0], "cpu_actions": cpu[1] if len(cpu) > 1 else 0.0,
                    "p50_20": many.percentile(.5), "p95_20": many.percentile(.95),
                    "errors": len(single.errors) + len(many.errors), "rss": rss_mb(instance.proc.pid)}
        finally:
            stop(instance)
    finally:
        if action:
            action.stop()


def baseline(work: Path) -> None:
    print("This assistant against a bare bot with the same NLU pipeline (tests/support/bare_bot.py), each served "
          "as `make run` serves it, same run:", flush=True)
    model = bare_bot.train(work / "bare", ENV)
    ours = _single(work, "assistant", ROOT / "models" / "assistant.tar.gz", actions=True)
    bare = _single(work, "bare", model, actions=False)
    print(f"  {'':12} {'p50 (1 conv.)':>14} {'p95 (1)':>9} {'msg/s (20)':>11} {'p50 (20)':>9} {'p95 (20)':>9} "
          f"{'errors':>7} {'memory':>8}")
    for label, m in (("assistant", ours), ("bare bot", bare)):
        print(f"  {label:12} {m['p50_1'] * 1000:11.0f} ms {m['p95_1'] * 1000:6.0f} ms {m['rate_20']:11.1f} "
              f"{m['p50_20'] * 1000:6.0f} ms {m['p95_20'] * 1000:6.0f} ms {m['errors']:7} {m['rss']:5.0f} MB")
    print(f"  p50 at 1 conversation: {ours['p50_1'] / bare['p50_1']:.2f}x the bare bot's (target <= 1.5x)")
    print(f"  msg/s at 20: {ours['rate_20'] / bare['rate_20']:.0%} of the bare bot's (target >= 80 %)")
    # Wall-clock figures swing with what else the machine runs; the CPU a message costs the servers does not.
    for label, m in (("assistant", ours), ("bare bot", bare)):
        print(f"  CPU per message at 20, {label}: Rasa {m['cpu_rasa'] * 1000:.1f} ms, action server "
              f"{m['cpu_actions'] * 1000:.1f} ms")
    print(f"  the Rasa server (one core; the bottleneck at 20) does {bare['cpu_rasa'] / ours['cpu_rasa']:.0%} as "
          f"many messages per CPU second as for the bare bot")


# py-spy frames "function (file:line)"; the first rule that matches a sample's stack names where its time went
_RASA_RULES = [
    ("tracker store: rebuild the tracker from its events", ["tracker_store.py", "from_dict (rasa/shared/core/trackers"]),
    ("tracker store: SQL and JSON", ["tracker_store.py"]),
    ("lock store", ["lock_store.py"]),
    ("action call: request body (tracker, domain)", ["_action_call_format"]),
    ("action call: HTTP client, response", ["actions/action.py"]),
    ("NLU", ["parse_message (rasa/core/processor.py"]),
    ("policies", ["predict_next_with_tracker", "_predict_next_with_tracker", "policies/"]),
    ("processor: events, slots, bot messages", ["rasa/core/processor.py"]),
    ("channel (guard: limits, masking)", ["assistant/channels"]),
]
_ACTION_RULES = [
    ("SDK: Tracker from the request", ["from_dict (rasa_sdk"]),
    ("action_turn: conversation logic", ["actions/turn.py"]),
    ("JSON", ["json/"]),
]


def _classify(raw: Path, rules: list[tuple[str, list[str]]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit() or stack.rsplit(";", 1)[-1].startswith("serve (sanic/server/runners"):
            continue   # the event loop waiting for requests: idle, though py-spy samples it
        name = next((label for label, marks in rules if all(m in stack for m in marks)), "other (sanic, asyncio)")
        if name == "NLU":
            frames = [f for f in stack.split(";") if "rasa/nlu/" in f or "assistant/understanding/" in f]
            name = "NLU: " + (frames[0].split("(")[1].split(":")[0].rsplit("/", 1)[-1] if frames else "graph")
        counts[name] = counts.get(name, 0) + int(n)
    return counts


def profile(work: Path) -> None:
    spy = os.environ.get("PY_SPY") or shutil.which("py-spy")
    if not spy:
        print("Profile: skipped, py-spy not found (pip install py-spy, or PY_SPY=/path/to/py-spy)")
        return
    seconds, rate = 40, 100
    with topology(work / "profile", instances=1, action_servers=1) as top:
        instance = top.instances[0]
        loads.run_load(instance.url, 5, 5, "prof-warm", FAULT)
        keep = ROOT / "results" / "profile"   # py-spy's raw stacks, for a closer look (results/ is not tracked)
        keep.mkdir(parents=True, exist_ok=True)
        outs = {"rasa": keep / "rasa.txt", "actions": keep / "actions.txt"}
        action = top.actions[0].proc
        assert action is not None   # started by production()
        spies = [subprocess.Popen([spy, "record", "-p", str(pid), "-d", str(seconds), "-r", str(rate), "-f", "raw",
                                   "-o", str(outs[name]), "--nonblocking"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
                 for name, pid in (("rasa", instance.proc.pid), ("actions", action.pid))]
        run = loads.run_load(instance.url, 10_000, 20, "prof", FAULT, max_seconds=seconds)
        for spy_proc in spies:
            spy_proc.wait()
    turns = run.messages
    print(f"Where a turn's time goes (py-spy, {seconds} s at 20 conversations at once on one instance behind the "
          f"production stores: {run.summary()}); CPU ms per turn:")
    for name, key, rules in (("Rasa server", "rasa", _RASA_RULES), ("action server", "actions", _ACTION_RULES)):
        counts = _classify(outs[key], rules)
        total = sum(counts.values())
        print(f"  {name}: {total / rate / max(turns, 1) * 1000:.0f} ms per turn")
        for label, n in sorted(counts.items(), key=lambda kv: -kv[1]):
            print(f"    {label:52} {n / rate / max(turns, 1) * 1000:6.1f} ms  {n / max(total, 1):5.1%}")


PARTS = ("questions", "residents", "faq", "heldout", "latency", "stories", "nlu", "training", "production", "baseline", "profile")


def main(argv: list[str]) -> None:
    parts = argv or list(PARTS)
    unknown = set(parts) - set(PARTS)
    if unknown:
        sys.exit(f"unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")
    if "questions" in parts:
        import bench_questions

        bench_questions.main([])
        bench_questions.main(["--words"])
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        served = ("residents", "faq", "heldout", "latency", "stories")
        if set(served) & set(parts):
            with servers(work) as srv:
                for part in served:
                    if part in parts:
                        globals()[part](srv)
        if "nlu" in parts:
            nlu(work)
        if "training" in parts:
            training(work)
        for part in ("production", "baseline", "profile"):
            if part in parts:
                globals()[part](work)


if __name__ == "__main__":
    main(sys.argv[1:])
