# The project's vocabulary: a person and CI use the same targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Rasa, TensorFlow and sanic are noisy: keep the output readable.
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PYTHONPATH := $(CURDIR)
# sanic resets warning filters in the servers, but the command-line tools honour this.
export PYTHONWARNINGS := ignore
# In CI, warnings only: this also turns off Rasa's per-epoch progress bars.
export LOG_LEVEL ?= $(if $(CI),WARNING,INFO)
RASA := $(VENV)/bin/rasa
MODEL := models/assistant.tar.gz
# Everything a trained model depends on. The jieba dictionary and our components are not seen by Rasa's
# training cache, so a change to any of them retrains with --force.
MODEL_INPUTS := config.yml domain.yml $(shell find data -type f 2>/dev/null) \
	assistant/understanding/components.py assistant/understanding/facts.py assistant/understanding/facts.yml \
	assistant/understanding/gazetteer.py assistant/understanding/parsing.py assistant/understanding/retrieval.py \
	assistant/understanding/cues.py assistant/understanding/cues.yml assistant/policy/terms.yml
# The list itself is an input too: a data file removed retrains (its time cannot make the model out of date).
INPUT_LIST := models/inputs.txt
$(shell mkdir -p models && printf '%s\n' $(MODEL_INPUTS) > models/inputs.new && \
  { cmp -s models/inputs.new $(INPUT_LIST) || mv models/inputs.new $(INPUT_LIST); }; rm -f models/inputs.new)
# pip complains about every missing local index folder this machine's config names; drop those lines only.
PIP_FILTER := { grep -v "^WARNING: Location 'file:" || true; }
# Rasa prints a warning per response that only the actions send (scripts/validate_data.py checks those).
TRAIN_FILTER := { grep -v -E "Warning|is not used in any story|More info at|^.\[0m$$|^\s*$$|Prefix dict|Loading model|Building prefix|raise_warning|declare_namespace|import pkg_resources|Implementing implicit|from click|cli: click|get_binary_stream|get_text_stream|split_arg_string" || true; }

.PHONY: help setup test test-production services unit lint mutation bench bench-engine lock clean train run shell validate browser docs

help:
	@echo "make run           set up, train if needed, start the assistant (REST) on localhost"
	@echo "make shell         chat with the assistant in this terminal"
	@echo "make train         train the model (when data or config changed)"
	@echo "make setup         create .venv (Python 3.10) and install the pinned packages"
	@echo "make test          set up what is missing, then run all tests (test-production included)"
	@echo "make test-production  two Rasa instances behind nginx with PostgreSQL and Redis (Debian's)"
	@echo "make bench         print the conversation's figures (NLU F1, questions, latency, memory)"
	@echo "make bench-engine  print the engine's throughput (profiles per second)"
	@echo "make lint          ruff, mypy, the layer rules (import-linter) and the rule data"
	@echo "make mutation      mutation testing of the engine (mutmut; not in make test) and its score"
	@echo "make unit          the tests that need no model or server (about a minute)"
	@echo "make docs          regenerate docs/rules.md (the rules sheet) from the rule data"
	@echo "make lock          re-resolve requirements.in into requirements.lock"

setup: $(STAMP)

$(STAMP): requirements.in requirements.lock scripts/find-python.sh
	@py=$$(scripts/find-python.sh) && echo "==> creating $(VENV) with $$py" && \
	  ( [ -x $(PY) ] && $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' || "$$py" -m venv --clear $(VENV) )
	@echo "==> installing pinned packages (first time: about 2 minutes)"
	@$(PY) -m pip install -q --upgrade pip 2>&1 | $(PIP_FILTER)
	@$(PY) -m pip install -q -r requirements.in -c requirements.lock 2>&1 | $(PIP_FILTER)
	@touch $(STAMP)
	@echo "==> $(VENV) ready"

# Each stage is timed (scripts/stages.sh, marks in results/stages.tsv); the table is printed at the end, also
# when a stage fails.
STAGE := scripts/stages.sh
test:
	@$(STAGE) start
	@$(STAGE) mark setup && $(MAKE) --no-print-directory setup || $(STAGE) fail
	@$(STAGE) mark training && $(MAKE) --no-print-directory $(MODEL) || $(STAGE) fail
	@$(STAGE) mark browser/services && $(MAKE) --no-print-directory browser services || $(STAGE) fail
	@$(STAGE) mark validate
	@echo "==> rasa data validate"
	@$(PY) scripts/validate_data.py 2>/dev/null || $(STAGE) fail
	@$(STAGE) mark pytest
	@echo "==> pytest: rule data, engine, CLI, Chinese parsing, actions, conversations and conversation tests over REST"
	@$(PY) -m pytest || $(STAGE) fail
	@$(STAGE) mark "rasa test stories"
	@echo "==> rasa test: test stories in tests/stories (their FAQ topics are checked by tests/test_conversations.py)"
	@rm -f results/stories/failed_test_stories.yml
	@$(RASA) test core --stories tests/stories -m $(MODEL) --fail-on-prediction-errors --out results/stories \
	  2>&1 | grep -E "stories|Failed|Error|error" | grep -v -E "written to|UserWarning|More info" || true
	@grep -q "None of the test stories failed" results/stories/failed_test_stories.yml \
	  && echo "stories: all passed" || { cat results/stories/failed_test_stories.yml; $(STAGE) fail; }
	@$(STAGE) mark production && $(MAKE) --no-print-directory test-production || $(STAGE) fail
	@$(STAGE) print

# The production topology on this machine: PostgreSQL, Redis and nginx (Debian's), two Rasa instances and one
# action server behind nginx, as deploy/ configures them (tests/test_production.py; CONVERSATIONS=20 by default).
test-production: $(MODEL) services
	@echo "==> production test: PostgreSQL, Redis, nginx, two Rasa instances, one action server"
	@$(PY) -m pytest -m production tests/test_production.py -p no:warnings -s 2>&1 | grep -v "^\s*$$" || exit 1

train: $(MODEL)

# The browser tests use Debian's chromium (and CJK fonts for readable screenshots) and, for the accessibility
# checks, axe-core (npm, pinned in tests/a11y/package-lock.json; for the test only, never served). Installed
# when missing and we may (root with apt, as in CI); otherwise the browser test fails and says why.
AXE := tests/a11y/node_modules/axe-core/axe.min.js
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -i "noto sans cjk" >/dev/null || ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "==> installing chromium, CJK fonts and npm (Debian packages)"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk \
	      $$(command -v npm >/dev/null || echo npm) >/dev/null; \
	  else echo "==> no /usr/bin/chromium or npm: the browser test fails (apt-get install chromium fonts-noto-cjk npm)"; fi; \
	fi
	@if [ ! -f $(AXE) ] && command -v npm >/dev/null; then \
	  echo "==> installing axe-core for the accessibility test (npm ci in tests/a11y)"; \
	  npm ci --prefix tests/a11y --no-audit --no-fund --loglevel=error >/dev/null; \
	fi

# PostgreSQL, Redis and nginx for the production test and the Redis variant of the WeChat tests: installed when
# missing and we may (root with apt, as in CI); they run only while a test runs, on loopback, in temporary folders.
services:
	@missing=""; ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "==> installing$$missing (Debian packages)"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "==> missing:$$missing: the tests that need them fail (apt-get install$$missing)"; fi; \
	fi

$(MODEL): $(STAMP) $(MODEL_INPUTS) $(INPUT_LIST)
	@echo "==> training the model (3 to 5 minutes on 2 cores; CI=true keeps it quiet)"
	@$(RASA) train --domain domain.yml --data data --config config.yml --out models \
	  --fixed-model-name assistant --force $(if $(CI),--quiet,) 2>&1 | $(TRAIN_FILTER)
	@touch $(MODEL)

validate: setup
	@$(PY) scripts/validate_data.py

run: $(MODEL)
	@scripts/run.sh

shell: $(MODEL)
	@scripts/run.sh --shell

# Style and types of the code, the layer rules of the layout (import-linter contracts in pyproject.toml), then
# the rule data (every value dated and sourced, every unverified value disclosed by some answer).
lint: setup
	@echo "==> ruff"
	@$(PY) -m ruff check .
	@echo "==> mypy"
	@$(PY) -m mypy
	@echo "==> import-linter: the layer rules"
	@$(VENV)/bin/lint-imports --no-cache --no-logo
	@echo "==> the rule data"
	@$(PY) -m pytest -q tests/test_policy_data.py tests/test_faq.py

# The tests that need no trained model and no server: the engine, the rule data, the parsers, the turn
# policy, the actions on tracker fixtures, the command line (about a minute).
unit: setup
	@$(PY) -m pytest -m "not servers"

docs: setup
	@$(PY) -m assistant rules --all --format md > docs/rules.md
	@echo "==> docs/rules.md regenerated"

# Mutation testing of the engine with mutmut ([tool.mutmut] in pyproject.toml: assistant/policy/engine/ against the
# engine's own tests, tests/test_cases.py and tests/test_engine_logic.py); its work folder is mutants/
# (gitignored; a second run checks only what changed). About 25 minutes on one core; not part of `make test`.
mutation: setup
	@echo "==> mutmut: mutants of assistant/policy/engine/ against tests/test_cases.py and tests/test_engine_logic.py"
	@nice -n 19 $(VENV)/bin/mutmut run --max-children $${JOBS:-1} 2>&1 | tr '\r' '\n' \
	  | awk '/ [0-9]+\/[0-9]+ /{ last = $$0 } / mutations\/second/{ rate = $$0 } END { print last; print rate }'
	@$(PY) scripts/mutation_score.py

bench-engine: setup
	@$(PY) scripts/bench_engine.py

bench: $(MODEL)
	@$(PY) scripts/bench.py

lock:
	@py=$$(scripts/find-python.sh) && rm -rf /tmp/lock-venv && "$$py" -m venv /tmp/lock-venv
	@/tmp/lock-venv/bin/pip install -q -r requirements.in 2>&1 | $(PIP_FILTER)
	@/tmp/lock-venv/bin/pip freeze | grep -v -E '^(pkg[-_]resources|-e )' > requirements.lock
	@echo "==> requirements.lock: $$(wc -l < requirements.lock) packages"

clean:
	rm -rf $(VENV) .pytest_cache
