"""Rasa's SQLTrackerStore, with a last check that no personal data is written: the backstop of the channels.

Our channels mask ID-card, mobile, bank-card numbers and e-mail addresses before Rasa sees a message
(assistant/channels/guard.py). Rasa's HTTP API (`--enable-api`: POST /conversations/<id>/messages,
/tracker/events …) bypasses every channel, and so would a channel added later without the guard. This store
masks, with the same assistant/stores/privacy.py, every string of every event it writes — the UserUttered text,
its parse data and metadata, slots, bot texts — and logs a warning when it had to, since that means a path
around the channels. Everything else is Rasa's own store: the table, SQLite or PostgreSQL, how events are
appended and read. endpoints.yml: `type: assistant.stores.tracker_store.MaskingSQLTrackerStore` with the settings
of Rasa's `type: SQL`. When the environment has `DATABASE_URL` (PostgreSQL), that database is used instead of the
settings' SQLite file (assistant/settings.py): the same endpoints.yml for `make run` and production.

Why here and not in the first NLU component: Rasa builds UserUttered's text from the message, not from what
NLU saw, so a component could only mask the parse data.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from assistant import settings
from assistant.stores.privacy import mask_value

logger = logging.getLogger(__name__)


def masked_event(event: Event, sender_id: str = "") -> Event:
    """`event` itself when it holds no personal data; otherwise a copy with it masked."""
    data = event.as_dict()
    masked = mask_value(data)
    if masked == data:
        return event
    logger.warning("tracker store: personal data masked in a '%s' event of conversation %s: it came in around "
                   "the channels", event.type_name, sender_id)
    copy = Event.from_parameters(masked)
    if copy is None:  # not an event type Rasa knows: cannot happen for events Rasa itself made
        raise ValueError(f"cannot mask an event of type {event.type_name!r}")
    return copy


class MaskingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that writes every new event through `masked_event`; on DATABASE_URL when it is set."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        url = settings.database_url()
        if url:
            kwargs["host"] = url   # Rasa takes a host with "://" as the whole database URL
            logger.info("tracker store: %s (DATABASE_URL)", settings.hidden(url))
        super().__init__(*args, **kwargs)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        # Rasa's save() serialises exactly the events this returns (rasa 3.6 SQLTrackerStore.save).
        for event in super()._additional_events(session, tracker):
            yield masked_event(event, tracker.sender_id)

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
