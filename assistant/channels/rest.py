"""Rasa's REST channel with input limits: `assistant.channels.rest.SafeRestInput` in credentials.yml.

Same URL (POST /webhooks/rest/webhook), same request ({"sender", "message", optional "metadata"}) and same
answer (the list of bot messages {recipient_id, text, custom, buttons …}) as Rasa's `rest` channel, but:

- a body over 16 KiB is refused with 413 before it is read whole or parsed (Content-Length first);
- a body that is not a JSON object with a string "message", a valid "sender" (1–64 characters of
  [A-Za-z0-9_.:@-]) and, if any, an object "metadata" (nested at most 16 deep) gets 400 with a Chinese {"error": …}, never a 500;
- an optional "message_id" (the same characters) makes a retry safe: when the conversation's last stored
  message has that id, its stored replies are the answer and the message is not handled again (a Rasa
  instance that died after storing a turn, before answering, whose request nginx passed to another);
- the message goes through assistant/channels/guard.py: cleaned, too long ones answered politely without
  reaching NLU, personal data masked, and always an answer within `turn_timeout` seconds (default 4.5).

Each reply may carry one field more than Rasa's: "response", the name of the domain response it was rendered
from (what the tracker's bot event records as metadata.utter_action).

Not offered: `?stream=true` (the answer comes whole: the fault message needs to know whether anything was
said) and the client's own "input_channel" (the tracker records "rest").
"""
from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant import limits
from assistant.channels.guard import guarded, limit_action_calls
from assistant.policy.rules import rule_data

DEFAULT_TURN_TIMEOUT = 4.5   # seconds: the resident hears something within 5 s, whatever happens behind
RESPONSE_KEY = "response"    # the name of the domain response a reply was rendered from (optional field)

_TEXTS = rule_data().messages["input"]


def _error(status: int, text: str) -> HTTPResponse:
    return response.json({"error": text}, status=status,
                         dumps=functools.partial(json.dumps, ensure_ascii=False))


async def read_body(request: Request, limit: int = limits.MAX_BODY_BYTES) -> bytes | None:
    """The body of a streamed request, or None as soon as it is known to be over `limit` bytes.

    Sanic then discards the rest without keeping it, so a huge body costs no memory."""
    if limits.body_too_large(request.headers.get("content-length"), limit):
        return None
    stream = request.stream
    assert stream is not None, "read_body serves routes declared with stream=True"
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await stream.read()
        if chunk is None:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


def parse_request(body: bytes) -> dict[str, Any] | str:
    """The JSON object of a request body, or the Chinese reason it is not acceptable."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # bad JSON, bad UTF-8, absurd nesting
        return _TEXTS["not_json"]
    if not isinstance(data, dict):
        return _TEXTS["not_json"]
    if not isinstance(data.get("message"), str):
        return _TEXTS["bad_message"]
    if not limits.valid_sender(data.get("sender")):
        return _TEXTS["bad_sender"]
    if data.get("metadata") is not None and (not isinstance(data["metadata"], dict)
                                             or limits.json_depth(data["metadata"]) > limits.MAX_METADATA_DEPTH):
        return _TEXTS["bad_metadata"]   # deeper ones would exhaust the stack of the code that cleans them
    if data.get("message_id") is not None and not limits.valid_sender(data["message_id"]):
        return _TEXTS["bad_message_id"]
    return data


async def stored_replies(app: Any, sender_id: str, message_id: str) -> list[dict[str, Any]] | None:
    """The replies stored for the conversation's last message when that message has `message_id`; else None."""
    store = getattr(getattr(getattr(app, "ctx", None), "agent", None), "tracker_store", None)
    while store is not None and not hasattr(store, "replies_to_last_message"):
        store = getattr(store, "_tracker_store", None)   # Rasa's wrappers (fail-safe, awaitable)
    if store is None:
        return None
    return await store.replies_to_last_message(sender_id, message_id)


class NamingOutputChannel(CollectingOutputChannel):
    """Rasa's collecting channel; each reply also names the domain response it was rendered from
    ("response": "utter_faq/points_line"), as the tracker's bot events do (metadata.utter_action), so that a
    client — the conversation tests (assistant/tools/conversation_tests.py) — need not read the tracker for it."""

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        name = message.get("utter_action")
        before = len(self.messages)
        await super().send_response(recipient_id, message)
        if isinstance(name, str) and name:
            for sent in self.messages[before:]:
                sent[RESPONSE_KEY] = name


class SafeRestInput(RestInput):
    """The REST channel (name "rest") with the limits of assistant/limits.py; see the module's docstring."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> SafeRestInput:
        timeout = (credentials or {}).get("turn_timeout")
        return cls(DEFAULT_TURN_TIMEOUT if timeout in (None, "") else float(timeout))

    def __init__(self, turn_timeout: float = DEFAULT_TURN_TIMEOUT) -> None:
        self.turn_timeout = turn_timeout
        limit_action_calls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint(f"custom_webhook_{type(self).__name__}")

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            body = await read_body(request)
            if body is None:
                return _error(413, _TEXTS["too_large"].format(limit=limits.MAX_BODY_BYTES))
            data = parse_request(body)
            if isinstance(data, str):
                return _error(400, data)
            message_id = data.get("message_id")
            if message_id:
                # a retry of a message whose turn is stored already (nginx passes a request on to another
                # instance when its own died after storing the turn, before answering): the stored answer
                stored = await stored_replies(request.app, data["sender"], message_id)
                if stored is not None:
                    return response.json(stored)
            collector = NamingOutputChannel()
            handle = guarded(on_new_message, request.app, self.turn_timeout)
            await handle(UserMessage(data["message"], collector, data["sender"], input_channel=self.name(),
                                     message_id=message_id, metadata=data.get("metadata")))
            return response.json(list(collector.messages))

        return bp
