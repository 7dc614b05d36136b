"""Rasa's SQLTrackerStore, with a last check that no personal data is written: the backstop of the channels.

Our channels mask ID-card, mobile, bank-card numbers and e-mail addresses before Rasa sees a message
(assistant/channels/guard.py). Rasa's HTTP API (`--enable-api`: POST /conversations/<id>/messages,
/tracker/events …) bypasses every channel, and so would a channel added later without the guard. This store
masks, with the same assistant/privacy.py, every string of every event it writes — the UserUttered text,
its parse data and metadata, slots, bot texts — and logs a warning when it had to, since that means a path
around the channels. Everything else is Rasa's own store: the table, SQLite or PostgreSQL, how events are
appended and read. endpoints.yml: `type: assistant.tracker_store.MaskingSQLTrackerStore` with the settings
of Rasa's `type: SQL`.

Why here and not in the first NLU component: Rasa builds UserUttered's text from the message, not from what
NLU saw, so a component could only mask the parse data.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from assistant.privacy import mask_value

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
    """SQLTrackerStore that writes every new event through `masked_event`."""

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        # Rasa's save() serialises exactly the events this returns (rasa 3.6 SQLTrackerStore.save).
        for event in super()._additional_events(session, tracker):
            yield masked_event(event, tracker.sender_id)
