"""The conversation review page of the 12345 console: /webhooks/console/review, behind the console's token.

Added to the console's blueprint (assistant/channels/web.py, `routes`), so the token, the 401/503 refusals and
the locked page are the console's own:

    GET  /webhooks/console/review                      the page (assistant/web/review.html)
    GET  /webhooks/console/review/static/<file>        its script and styles
    GET  /webhooks/console/review/data?since=&until=&channel=&filter=handoff,abandoned
                                                       the figures and the list (assistant/tools/review.py)
    GET  /webhooks/console/review/conversation/<id>    one conversation, every turn with its signals
    POST /webhooks/console/review/label                {"sender_id", "turn", "topic"}: "标注正确主题"
                                                       (assistant/tools/reviewed_nlu.py)

The conversations are read from the Rasa server's own tracker store (its SQLAlchemy engine: SQLite or
PostgreSQL), in a worker thread so that the server goes on answering residents meanwhile.
"""
from __future__ import annotations

import asyncio
import functools
import json
from pathlib import Path
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.tools import review, review_store, reviewed_nlu
from assistant.tools.review_report import texts

WEB = Path(__file__).resolve().parents[1] / "web"
ROOT = Path(__file__).resolve().parents[2]
ASSETS = {"review.js": "text/javascript; charset=utf-8", "dropoff.js": "text/javascript; charset=utf-8",
          "review.css": "text/css; charset=utf-8"}


def engine_of(app: Any) -> Any:
    """The SQLAlchemy engine of the Rasa server's tracker store, or None (not loaded yet, or not SQL)."""
    store = getattr(getattr(getattr(app, "ctx", None), "agent", None), "tracker_store", None)
    while store is not None and not hasattr(store, "engine"):
        store = getattr(store, "_tracker_store", None)   # Rasa's wrappers (fail-safe, awaitable)
    return getattr(store, "engine", None)


def _filters(raw: str | None) -> set[str]:
    names = {n.strip() for n in (raw or "").split(",") if n.strip()}
    unknown = sorted(names - set(review.FILTERS))
    if unknown:
        raise review_store.RangeError("bad_filter", name=unknown[0])
    return names


def _shown_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def words() -> dict:
    """What the page labels with the server's words: filters, channels, reasons, FAQ topics."""
    t = texts()
    return {"filters": t["filters"], "filter_help": t["filter_help"], "channels": t["channels"],
            "reasons": t["reasons"], "branches": t["branches"], "signals": t["signals"],
            "topics": reviewed_nlu.topics()}


def listing(engine: Any, args: dict[str, str | None]) -> dict:
    """The data of the page: the figures of the range (and channel), and the conversations every filter finds."""
    span = review_store.parse_range(args.get("since"), args.get("until"))
    filters = _filters(args.get("filter"))
    channel = (args.get("channel") or "").strip() or None
    everything = review_store.conversations(engine, span)
    channels = sorted({c.channel for c in everything})
    scope = review.select(everything, channel=channel)
    chosen = review.select(scope, filters)
    return {"since": span.since.isoformat(), "until": span.until.isoformat(), "channel": channel,
            "filters": sorted(filters), "channels": channels, **review.figures(scope),
            "conversations": [review.summary(c) for c in chosen], "words": words()}


def label(engine: Any, body: Any) -> tuple[int, dict]:
    """"标注正确主题": the stored text of turn `turn` of the conversation, as an example of `topic`."""
    t = texts()
    turn = body.get("turn") if isinstance(body, dict) else None
    if not isinstance(body, dict) or not isinstance(body.get("sender_id"), str) \
            or not isinstance(turn, int) or isinstance(turn, bool) or not isinstance(body.get("topic"), str):
        return 400, {"error": t["label"]["bad_request"]}
    conv = review_store.conversation(engine, body["sender_id"])
    if conv is None:
        return 404, {"error": t["errors"]["not_found"].format(sender_id=body["sender_id"])}
    if not 0 <= body["turn"] < len(conv.turns):
        return 400, {"error": t["label"]["no_turn"].format(turn=body["turn"])}
    path = reviewed_nlu.reviewed_path()
    try:
        done = reviewed_nlu.add_example(conv.turns[body["turn"]].text, body["topic"], path)
    except reviewed_nlu.LabelError as exc:
        return (409 if exc.key in ("held_out", "trained_elsewhere") else 400), \
            {"error": t["label"][exc.key].format(**exc.fields)}
    except OSError as exc:
        return 500, {"error": t["label"]["write_failed"].format(path=_shown_path(path), error=exc)}
    title = reviewed_nlu.topics()[done.topic]
    message = t["label"]["added" if done.added else "exists"].format(title=title, path=_shown_path(done.path))
    return 200, {"added": done.added, "topic": done.topic, "text": done.text, "message": message,
                 "path": _shown_path(done.path)}


async def _in_thread(function: Any, *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args))


def routes(bp: Blueprint, console: Any) -> None:
    """Adds the review's routes to the console's blueprint; `console` is the ConsoleInput (token, refusals)."""
    from assistant.channels.web import SECURITY_HEADERS, _error, _file, _json
    from assistant.channels.web import texts as page_texts

    def refused(request: Request) -> HTTPResponse | None:
        refusal = console._refusal(request)
        if refusal:
            return _error(*refusal)
        if engine_of(request.app) is None:
            return _error(503, texts()["errors"]["not_sql"])
        return None

    @bp.route("/review", methods=["GET"])
    async def page(request: Request) -> HTTPResponse:
        if request.path.endswith("/"):   # relative asset paths resolve from /webhooks/console/
            query = f"?{request.query_string}" if request.query_string else ""
            return response.redirect(request.path.rstrip("/") + query, status=301)
        refusal = console._refusal(request)
        return console._locked_page(*refusal) if refusal else _file("review.html")

    @bp.route("/review/static/<name:str>", methods=["GET"])
    async def static(request: Request, name: str) -> HTTPResponse:
        if name not in ASSETS:
            return _error(404, page_texts()["errors"]["no_such_file"])
        return response.raw((WEB / name).read_bytes(), content_type=ASSETS[name], headers=SECURITY_HEADERS)

    @bp.route("/review/data", methods=["GET"])
    async def data(request: Request) -> HTTPResponse:
        no = refused(request)
        if no:
            return no
        args = {k: request.args.get(k) for k in ("since", "until", "channel", "filter")}
        try:
            return _json(await _in_thread(listing, engine_of(request.app), args))
        except review_store.RangeError as exc:
            group = "errors" if exc.key == "bad_filter" else "range"
            return _error(400, texts()[group][exc.key].format(**exc.fields))

    @bp.route("/review/conversation/<sender_id:path>", methods=["GET"], unquote=True)
    async def one(request: Request, sender_id: str) -> HTTPResponse:
        no = refused(request)
        if no:
            return no
        conv = await _in_thread(review_store.conversation, engine_of(request.app), sender_id)
        if conv is None:
            return _error(404, texts()["errors"]["not_found"].format(sender_id=sender_id))
        return _json({**review.detail(conv), "words": words()})

    @bp.route("/review/label", methods=["POST"])
    async def labelled(request: Request) -> HTTPResponse:
        no = refused(request)
        if no:
            return no
        try:
            body = json.loads(request.body or b"")
        except (ValueError, UnicodeDecodeError):
            body = None
        status, answer = await _in_thread(label, engine_of(request.app), body)
        return _error(status, answer["error"]) if status != 200 else _json(answer)
