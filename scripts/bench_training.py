"""Training time against accuracy, for the settings of config.yml that cost the most (issue 21).

    .venv/bin/python scripts/bench_training.py                  # every setting below
    .venv/bin/python scripts/bench_training.py today fewer       # some of them

Each setting is config.yml with some values changed. For each, the NLU pipeline is trained once, from
scratch, on the same 80 % of data/nlu (`rasa data split nlu`, fixed seed), and measured on what it never saw:
intent weighted F1 on the other 20 % (`rasa test nlu`), and FAQ top-1 on the held-out real questions and
paraphrases (tests/fixtures/heldout/questions.yml, tests/fixtures/faq_heldout.yml) with the calibration kept
in assistant/understanding/calibration.yml, as scripts/calibrate_faq.py counts it. Prints a table; times
nothing else and changes no tracked file (work under results/training/).
"""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
import calibrate_faq  # noqa: E402

from assistant.understanding import retrieval  # noqa: E402

RASA = str(ROOT / ".venv" / "bin" / "rasa")
WORK = ROOT / "results" / "training"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "RASA_TELEMETRY_ENABLED": "false", "PYTHONWARNINGS": "ignore",
       "LOG_LEVEL": "WARNING"}

# name -> {component name (or "CountVectorsFeaturizer:char_wb"): {key: value}}
SETTINGS: dict[str, dict[str, dict]] = {
    "today": {},
    "fewer": {"DIETClassifier": {"epochs": 20}, "ResponseSelector": {"epochs": 25}},
    "fewest": {"DIETClassifier": {"epochs": 15}, "ResponseSelector": {"epochs": 20}},
    "chars1-3": {"CountVectorsFeaturizer:char_wb": {"max_ngram": 3}},
    "fewer+chars1-3": {"DIETClassifier": {"epochs": 20}, "ResponseSelector": {"epochs": 25},
                       "CountVectorsFeaturizer:char_wb": {"max_ngram": 3}},
    # DIET with Rasa's default two transformer layers (config.yml has none since 2026-12-04).
    "transformer": {"DIETClassifier": {"number_of_transformer_layers": 2}},
}


def config_for(changes: dict[str, dict]) -> dict:
    config = copy.deepcopy(yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8")))
    for step in config["pipeline"]:
        key = step["name"] + (":" + step["analyzer"] if "analyzer" in step else "")
        step.update(changes.get(key, {}))
    return config


def run(args: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        sys.exit(f"failed: {' '.join(args)}\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def split() -> Path:
    out = WORK / "split"
    if not (out / "training_data.yml").exists():
        run([RASA, "data", "split", "nlu", "-u", "data/nlu", "--training-fraction", "0.8", "--random-seed", "7",
             "--out", str(out)])
    return out


def measure(name: str, changes: dict[str, dict], data: Path) -> dict:
    folder = WORK / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yml").write_text(yaml.safe_dump(config_for(changes), allow_unicode=True), encoding="utf-8")
    print(f"==> {name}: training the NLU pipeline on 80 % of data/nlu", file=sys.stderr, flush=True)
    seconds = run([RASA, "train", "nlu", "-c", str(folder / "config.yml"), "-d", "domain.yml",
                   "-u", str(data / "training_data.yml"), "--out", str(folder), "--fixed-model-name", "nlu"])
    model = folder / "nlu.tar.gz"
    run([RASA, "test", "nlu", "-m", str(model), "--nlu", str(data / "test_data.yml"), "--out", str(folder / "report")])
    report = json.loads((folder / "report" / "intent_report.json").read_text(encoding="utf-8"))
    calibrate_faq.MODEL, calibrate_faq.CACHE = model, folder / "selector.json"
    items = calibrate_faq.questions()
    rankings = calibrate_faq.selector_rankings([i["text"] for i in items])
    cal = retrieval.calibration()
    faq = {f"{split_name} {kind}": calibrate_faq.figures(
        [i for i in items if i["split"] == split_name and i["set"] == kind], rankings, cal)["top1"]
        for split_name in ("dev", "test") for kind in ("real", "paraphrase")}
    return {"seconds": seconds, "intent_f1": report["weighted avg"]["f1-score"], **faq}


def main(argv: list[str]) -> None:
    names = argv or list(SETTINGS)
    data = split()
    rows = {name: measure(name, SETTINGS[name], data) for name in names}
    columns = ["seconds", "intent_f1", "dev real", "test real", "dev paraphrase", "test paraphrase"]
    print(f"{'setting':16} " + " ".join(f"{c:>15}" for c in columns))
    for name, row in rows.items():
        print(f"{name:16} {row['seconds'] / 60:12.1f} min " + " ".join(f"{row[c]:15.3f}" for c in columns[1:]))


if __name__ == "__main__":
    main(sys.argv[1:])
