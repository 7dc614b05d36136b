"""The residents' web chat and the 12345 hotline staff console, as two Rasa input channels.

credentials.yml:

    assistant.channels.web.WebChatInput:   # name "web":     GET /webhooks/web/
    assistant.channels.web.ConsoleInput:   # name "console": GET /webhooks/console/ (CONSOLE_TOKEN)

The chat page talks to the REST channel on the same origin (POST /webhooks/rest/webhook) and draws the `ask`
and `assessment` payloads of docs/interfaces.md §3. The console runs the engine directly (POST …/assess), reads
a resident's conversation from the agent's tracker store (GET /webhooks/console/conversation/<sender_id>) and
offers it as a conversation test (GET …/conversation/<sender_id>/test.yml, assistant/tools/conversation_tests.py).
Its review page, /webhooks/console/review, is assistant/channels/review.py. The pages' files: assistant/web/.
"""
from __future__ import annotations

import functools
import hmac
import html
import json
import os
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.core.trackers import EventVerbosity
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.channels import review
from assistant.channels.pages import WEB, schema, terms, texts
from assistant.conversation.console import console_answer, conversation
from assistant.policy.profile import (
    ProfileError,
    field_label,
)
from assistant.tools.conversation_export import as_test_case

TEST_CASE_SUFFIX = "/test.yml"
TOKEN_ENV = "CONSOLE_TOKEN"

# The only files served, with their types: nothing else under assistant/web/ is reachable.
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
                 ".js": "text/javascript; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml"}
ASSETS = ("common.css", "chat.css", "chat.js", "card.js", "elder.js", "speech.js", "console.css", "console.js",
          "staff.js", "icon.svg")
# The console's pages, each framed by the <head> they share (`_console_page`).
CONSOLE_FRAME = "console-frame.html"
CONSOLE_PAGES = ("console.html", "review.html", "console-locked.html")

# Nothing from another origin: scripts, styles, images and requests stay on this server.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}




def _json(body: Any, status: int = 200, headers: dict | None = None) -> HTTPResponse:
    return response.json(body, status=status, headers={**SECURITY_HEADERS, **(headers or {})},
                         dumps=functools.partial(json.dumps, ensure_ascii=False, default=str))


def _error(status: int, message: str, **extra: Any) -> HTTPResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="console"'} if status == 401 else None
    return _json({"error": message, **extra}, status=status, headers=headers)


def _console_page(name: str) -> str:
    """A page of the console: its file holds its own head lines (the title, its styles: all before `<body`) and
    its body; the head the console's pages share is CONSOLE_FRAME, around them."""
    own = (WEB / name).read_text(encoding="utf-8")
    at = own.index("<body")
    head, _, body = (WEB / CONSOLE_FRAME).read_text(encoding="utf-8").partition("{{head}}")
    return head + own[:at] + body.replace("{{body}}", own[at:], 1)


def _file(name: str) -> HTTPResponse:
    path = WEB / name
    content = _console_page(name).encode("utf-8") if name in CONSOLE_PAGES else path.read_bytes()
    return response.raw(content, content_type=CONTENT_TYPES[path.suffix], headers=SECURITY_HEADERS)


def _asset(name: str) -> HTTPResponse:
    if name not in ASSETS or not (WEB / name).is_file():
        return _error(404, texts()["errors"]["no_such_file"])
    return _file(name)


def _with_slash(request: Request) -> HTTPResponse | None:
    """/webhooks/web -> /webhooks/web/, so that the pages' relative asset paths resolve."""
    if request.path.endswith("/"):
        return None
    query = f"?{request.query_string}" if request.query_string else ""
    return response.redirect(request.path + "/" + query, status=301)


# --- the channels ------------------------------------------------------------------------------------------

class WebChatInput(InputChannel):
    """The residents' chat page at /webhooks/web/; it posts to the REST channel on the same origin."""

    @classmethod
    def name(cls) -> str:
        return "web"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("web_chat_page")

        @bp.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            return _with_slash(request) or _file("chat.html")

        @bp.route("/terms.json", methods=["GET"])
        async def labels(request: Request) -> HTTPResponse:
            return _json(terms())

        @bp.route("/static/<name:str>", methods=["GET"])
        async def static(request: Request, name: str) -> HTTPResponse:
            return _asset(name)

        return bp


class ConsoleInput(InputChannel):
    """The hotline staff console at /webhooks/console/, behind the token in $CONSOLE_TOKEN."""

    @classmethod
    def name(cls) -> str:
        return "console"

    @staticmethod
    def _refusal(request: Request) -> tuple[int, str] | None:
        """None when the request carries the right token; else the status and the Chinese reason."""
        errors = texts()["errors"]
        expected = os.environ.get(TOKEN_ENV, "").strip()
        if not expected:
            return 503, errors["token_unset"]
        given = ""
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            given = value.strip()
        elif request.args.get("token"):
            given = request.args.get("token").strip()
        if not given:
            return 401, errors["token_missing"]
        if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
            return 401, errors["token_wrong"]
        return None

    def _guard(self, request: Request) -> HTTPResponse | None:
        refusal = self._refusal(request)
        return _error(*refusal) if refusal else None

    @staticmethod
    def _locked_page(status: int, message: str) -> HTTPResponse:
        words = texts()["locked"]
        body = _console_page("console-locked.html")
        for key, value in {"title": words["title"], "prompt": words["prompt"], "submit": words["submit"],
                           "message": message}.items():
            body = body.replace("{{" + key + "}}", html.escape(value))
        headers = dict(SECURITY_HEADERS)
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="console"'
        if status == 503:
            body = body.replace('class="locked-form"', 'class="locked-form" hidden')
        return response.html(body, status=status, headers=headers)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("hotline_console")
        self._page_routes(bp)
        self._assessment_routes(bp)
        self._conversation_routes(bp)
        review.routes(bp, self)
        return bp

    def _page_routes(self, bp: Blueprint) -> None:
        """The console's page (or the locked page), its files and the form's schema."""
        @bp.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            moved = _with_slash(request)
            if moved:
                return moved
            refusal = self._refusal(request)
            return self._locked_page(*refusal) if refusal else _file("console.html")

        @bp.route("/static/<name:str>", methods=["GET"])
        async def static(request: Request, name: str) -> HTTPResponse:
            return _asset(name)  # code and styles only: the data is behind the token

        @bp.route("/schema", methods=["GET"])
        async def form_schema(request: Request) -> HTTPResponse:
            return self._guard(request) or _json(schema())

    def _assessment_routes(self, bp: Blueprint) -> None:
        """POST …/assess: the engine run on the profile the form sends."""
        @bp.route("/assess", methods=["POST"])
        async def run_assessment(request: Request) -> HTTPResponse:
            refused = self._guard(request)
            if refused:
                return refused
            try:
                data = json.loads(request.body or b"")
            except (ValueError, UnicodeDecodeError):
                return _error(400, texts()["errors"]["not_json"])
            try:
                return _json(console_answer(data))
            except ProfileError as exc:
                errors = [{"field": e.field, "label": field_label(e.field) if e.field else "",
                           "message": e.message} for e in exc.errors]
                return _error(400, str(exc), errors=errors)

    async def _tracker_of(self, request: Request, sender_id: str) -> Any:
        """The stored conversation, or the refusal / error response."""
        refused = self._guard(request)
        if refused:
            return refused
        agent = getattr(request.app.ctx, "agent", None)
        store = getattr(agent, "tracker_store", None)
        if store is None:
            return _error(503, texts()["errors"]["not_ready"])
        tracker = await store.retrieve(sender_id)
        if tracker is None:
            return _error(404, texts()["errors"]["not_found"].format(sender_id=sender_id))
        return tracker

    def _conversation_routes(self, bp: Blueprint) -> None:
        """GET …/conversation/<sender_id>: a resident's conversation, or (…/test.yml) it as a conversation test."""
        @bp.route("/conversation/<sender_id:path>", methods=["GET"], unquote=True)
        async def look_up(request: Request, sender_id: str) -> HTTPResponse:
            # A sender id may contain "/", so the test case's address is told apart here.
            if sender_id.endswith(TEST_CASE_SUFFIX):
                return await test_case(request, sender_id[:-len(TEST_CASE_SUFFIX)])
            tracker = await self._tracker_of(request, sender_id)
            return tracker if isinstance(tracker, HTTPResponse) else _json(conversation(tracker))

        async def test_case(request: Request, sender_id: str) -> HTTPResponse:
            """"保存为测试": the conversation as a conversation test (YAML), personal numbers masked."""
            tracker = await self._tracker_of(request, sender_id)
            if isinstance(tracker, HTTPResponse):
                return tracker
            origin = f"{request.scheme}://{request.host}"
            body = as_test_case(tracker.current_state(EventVerbosity.ALL), origin)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", sender_id)[:80] or "conversation"
            return response.raw(body.encode("utf-8"), content_type="text/yaml; charset=utf-8",
                                headers={**SECURITY_HEADERS,
                                         "Content-Disposition": f'attachment; filename="test-{name}.yml"'})
