"""Rasa's SQLTrackerStore, with a last check that no personal data is written: the backstop of the channels.

Our channels mask ID-card, mobile, bank-card numbers and e-mail addresses before Rasa sees a message
(assistant/channels/guard.py). Rasa's HTTP API (`--enable-api`: POST /conversations/<id>/messages,
/tracker/events …) bypasses every channel, and so would a channel added later without the guard. This store
masks, with the same assistant/stores/privacy.py, every string of every event it writes — the UserUttered text,
its parse data and metadata, slots, bot texts — and logs a warning when it had to, since that means a path
around the channels. It writes each event once serialised, as UTF-8 JSON, without what no reader of a stored
conversation needs (`stored_form`: the FAQ answers' texts in the parse data, the values a response was filled
with): a turn's events are a third of the bytes, and every later turn reads them back. Everything else is
Rasa's own store: the table, SQLite or PostgreSQL, how events are
appended and read. endpoints.yml: `type: assistant.stores.tracker_store.MaskingSQLTrackerStore` with the settings
of Rasa's `type: SQL`. When the environment has `DATABASE_URL` (PostgreSQL), that database is used instead of the
settings' SQLite file (assistant/settings.py): the same endpoints.yml for `make run` and production.

Why here and not in the first NLU component: Rasa builds UserUttered's text from the message, not from what
NLU saw, so a component could only mask the parse data.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from assistant import settings
from assistant.stores.privacy import mask_value

logger = logging.getLogger(__name__)


def _masked(data: dict[str, Any], type_name: str, sender_id: str) -> dict[str, Any]:
    masked = mask_value(data)
    if masked == data:
        return data
    logger.warning("tracker store: personal data masked in a '%s' event of conversation %s: it came in around "
                   "the channels", type_name, sender_id)
    return masked


# What a stored bot event keeps of its metadata: the response's name and the decision table's row (the console,
# the review and the REST channel's retry read them), the model's and assistant's ids (Rasa's). The values a
# response was filled with (the FAQ's thresholds and dates, the areas of a question) were for rendering it.
BOT_METADATA = ("utter_action", "template", "turn_branch", "model_id", "assistant_id")


def stored_form(event: Event, sender_id: str = "") -> dict[str, Any]:
    """What is written of an event: its dict, masked, without what no reader of a stored conversation needs
    (the FAQ answer texts inside the response selector's parse data, the values a bot response was filled
    with). The conversation in memory, which the turn and the channels use, keeps all of it."""
    data = event.as_dict()
    selector = (data.get("parse_data") or {}).get("response_selector")
    if isinstance(selector, dict):
        data["parse_data"] = {**data["parse_data"], "response_selector": {
            name: ({k: v for k, v in found.items() if k != "response"} if isinstance(found, dict) else found)
            for name, found in selector.items()}}
    if data.get("event") == "bot" and isinstance(data.get("metadata"), dict):
        data["metadata"] = {k: v for k, v in data["metadata"].items() if k in BOT_METADATA}
    return _masked(data, event.type_name, sender_id)


def _json(data: dict[str, Any]) -> str:
    """UTF-8 JSON; escaped as Rasa writes it when a text holds what UTF-8 cannot encode (a lone surrogate)."""
    text = json.dumps(data, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(data)
    return text


class MaskingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that writes every new event in its `stored_form`; on DATABASE_URL when it is set."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        url = settings.database_url()
        if url:
            kwargs["host"] = url   # Rasa takes a host with "://" as the whole database URL
            logger.info("tracker store: %s (DATABASE_URL)", settings.hidden(url))
        super().__init__(*args, **kwargs)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa 3.6's SQLTrackerStore.save, each new event serialised once, in its `stored_form`, as UTF-8 JSON
        (half the bytes of escaped Chinese, read back the same by Rasa's json.loads)."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = stored_form(event, tracker.sender_id)
                intent = ((data.get("parse_data") or {}).get("intent") or {}).get(INTENT_NAME_KEY)
                session.add(self.SQLEvent(sender_id=tracker.sender_id, type_name=event.type_name,
                                          timestamp=data.get("timestamp"), intent_name=intent,
                                          action_name=data.get("name"), data=_json(data)))
            session.commit()

    async def replies_to_last_message(self, sender_id: str, message_id: str) -> list[dict[str, Any]] | None:
        """The replies stored after the conversation's last user message, as the REST channel sends them, when that
        message has `message_id`; None when it has another id (the message was not handled yet)."""
        with self.session_scope() as session:
            table = self.SQLEvent
            last = (session.query(table).filter(table.sender_id == sender_id, table.type_name == "user")
                    .order_by(table.id.desc()).first())
            if last is None or json.loads(last.data).get("message_id") != message_id:
                return None
            bots = (session.query(table).filter(table.sender_id == sender_id, table.type_name == "bot",
                                                table.id > last.id).order_by(table.id).all())
            return [reply for bot in bots for reply in _as_sent(sender_id, json.loads(bot.data))]


def _as_sent(sender_id: str, event: dict[str, Any]) -> list[dict[str, Any]]:
    """A stored bot message as Rasa's CollectingOutputChannel delivers it (OutputChannel.send_response's order)."""
    data = event.get("data") or {}
    out: list[dict[str, Any]] = []
    text = event.get("text")
    if text and data.get("buttons"):
        out.append({"recipient_id": sender_id, "text": text, "buttons": data["buttons"]})
    elif text:   # CollectingOutputChannel.send_text_message: one message per paragraph
        out += [{"recipient_id": sender_id, "text": part} for part in text.strip().split("\n\n")]
    for key in ("custom", "image", "attachment"):
        if data.get(key):
            out.append({"recipient_id": sender_id, key: data[key]})
    name = (event.get("metadata") or {}).get("utter_action")
    if isinstance(name, str) and name:   # as the REST channel names them (assistant/channels/rest.py)
        out = [{**reply, "response": name} for reply in out]
    return out
