#!/usr/bin/env bash
# Starts the action server and the Rasa server (REST) on loopback, or a terminal chat (--shell).
# Ctrl-C stops both. Conversations are kept in an SQLite tracker store under var/.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-server}
VENV=.venv
if [ "$mode" = "--shell" ]; then  # its own ports, so that it can run beside `make run`
  export ACTION_PORT=${SHELL_ACTION_PORT:-5056} RASA_PORT=${SHELL_RASA_PORT:-5006}
else
  export ACTION_PORT=${ACTION_PORT:-5055} RASA_PORT=${RASA_PORT:-5005}
fi
export RASA_DB=${RASA_DB:-$PWD/var/tracker.db}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
LOG_DIR=${LOG_DIR:-var/log}   # a test starting the assistant as make run does keeps its logs elsewhere
mkdir -p "$LOG_DIR" "$(dirname "$RASA_DB")"
model=models/assistant.tar.gz
[ -f "$model" ] || { echo "没有找到训练好的模型 $model：请先运行 make train" >&2; exit 1; }

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo; echo "==> 已停止（action server 和 Rasa server）"
}
trap stop INT TERM EXIT

echo "==> action server on http://127.0.0.1:$ACTION_PORT (log: $LOG_DIR/actions.log)"
"$VENV/bin/rasa" run actions --actions actions --port "$ACTION_PORT" >"$LOG_DIR/actions.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:$ACTION_PORT/health" >/dev/null 2>&1 && break
  sleep 1
done

if [ "$mode" = "--shell" ]; then
  echo "==> 正在加载模型（约半分钟），然后就可以在终端里聊天；输入 /stop 或按 Ctrl-C 退出"
  "$VENV/bin/rasa" shell -m "$model" --endpoints endpoints.yml -p "$RASA_PORT" --quiet
  exit 0
fi

echo "==> Rasa server on http://127.0.0.1:$RASA_PORT (loading the model takes about half a minute)"
# Loopback only, and without Rasa's HTTP API (--enable-api): only the channels answer (tests/test_make_run.py).
"$VENV/bin/rasa" run -m "$model" --endpoints endpoints.yml --credentials credentials.yml \
  -i 127.0.0.1 -p "$RASA_PORT" --cors "*" >"$LOG_DIR/rasa.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 180); do
  curl -sf "http://127.0.0.1:$RASA_PORT/" >/dev/null 2>&1 && break
  if ! kill -0 "${pids[1]}" 2>/dev/null; then echo "Rasa server stopped; see $LOG_DIR/rasa.log" >&2; exit 1; fi
  sleep 1
done
cat <<MSG
==> 助手已启动。与它对话：
    curl -s http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook -H 'Content-Type: application/json' \\
         -d '{"sender": "me", "message": "你好，我想问下落户的事"}'
    或在另一个终端运行：make shell
    对话记录保存在 $RASA_DB；按 Ctrl-C 停止。
MSG
wait "${pids[1]}"
