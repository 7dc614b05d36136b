"""The one way our channels (REST, WeChat) hand a resident's message to Rasa.

`guarded(on_new_message, app, budget)` wraps the handler Rasa gives a channel's blueprint. Before Rasa sees
a message it is cleaned (assistant/limits.py), an empty or too long one is answered here and never reaches
NLU or the tracker store, and personal data is masked (assistant/stores/privacy.py) — so the UserUttered text and
its parse data, which Rasa builds from the message text, are masked too. An ID number is used once: its age
(周岁 on the conversation's as_of) and sex go to the actions as metadata {"id_card": {"age", "sex"}}; the
number and the birth date go nowhere.

Then the resident always gets an answer: Rasa swallows a failed custom action (action server down) and
answers nothing, and waits up to 300 s for a hung one. The handling gets a time budget; when it runs out,
or when nothing at all was said, the resident gets the polite fault message with the 12345 hotline. A
handling that ran out keeps running in the background under Rasa's conversation lock, so the next message
waits for it instead of overlapping it; `limit_action_calls` keeps such a handling well within the lock's
60 s lifetime.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.constants import USER_INTENT_BACK, USER_INTENT_RESTART, USER_INTENT_SESSION_START

from assistant import limits
from assistant.policy.rules import rule_data
from assistant.stores import privacy

logger = logging.getLogger(__name__)

ACTION_CALL_TIMEOUT = 10.0   # seconds Rasa waits for the action server (its default: 300); actions take ms

_TEXTS = rule_data().messages["input"]
_background: set[asyncio.Task[Any]] = set()
# Rasa's own commands, which anyone can type: "/restart" (and /back, /session_start) would run Rasa's default
# action instead of ours, which says nothing, and the resident would get the fault message (found by the fuzz).
# Without the slash they are words like any other. Our buttons' payloads ("/inform{…}") stay payloads.
_RASA_COMMAND = re.compile(
    rf"^/(?:{USER_INTENT_RESTART}|{USER_INTENT_BACK}|{USER_INTENT_SESSION_START})(?![A-Za-z0-9_])")

Handler = Callable[[UserMessage], Awaitable[Any]]


def limit_action_calls(seconds: float = ACTION_CALL_TIMEOUT) -> None:
    """Rasa reads its action-call timeout from rasa.core.actions.action at call time; lower it once.

    A hung action server would otherwise hold a conversation's lock for 300 s, past the lock's 60 s
    lifetime, after which the next message of that conversation would be handled beside it."""
    import rasa.core.actions.action as rasa_action

    current = getattr(rasa_action, "DEFAULT_REQUEST_TIMEOUT", None)
    if isinstance(current, (int, float)) and current > seconds:
        rasa_action.DEFAULT_REQUEST_TIMEOUT = seconds
    from assistant.channels import action_calls  # and validate the calls' answers without rebuilding the validator

    action_calls.install()


def _store(app: Any) -> Any:
    return getattr(getattr(getattr(app, "ctx", None), "agent", None), "tracker_store", None)


async def _as_of(store: Any, sender_id: str) -> dt.date:
    """The date the conversation's rules are evaluated on: its as_of slot, else today."""
    value = None
    if store is not None:
        try:
            tracker = await store.retrieve(sender_id)
            value = tracker.get_slot("as_of") if tracker is not None else None
        except Exception:  # the store's trouble must not lose the message; today is a fair guess
            logger.warning("guard: could not read as_of of a conversation", exc_info=True)
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else dt.date.today()
    except ValueError:
        return dt.date.today()


async def _id_card(findings: list, store: Any, sender_id: str) -> dict[str, Any] | None:
    """Age and sex from the ID number of a message; none when it has two different ones (whose age?)."""
    numbers = {f.value for f in findings if f.kind == privacy.ID_CARD}
    if len(numbers) != 1:
        return None
    facts = privacy.id_card_facts(numbers.pop(), await _as_of(store, sender_id))
    return None if facts is None else {"age": facts.age, "sex": facts.sex}


async def _say(message: UserMessage, text: str) -> None:
    await message.output_channel.send_text_message(message.sender_id, text)


def _said(message: UserMessage) -> int | None:
    """How many messages the output channel has collected (None: it does not collect them)."""
    collected = getattr(message.output_channel, "messages", None)
    return len(collected) if isinstance(collected, list) else None


def _keep(task: asyncio.Task[Any]) -> None:
    """A handling that ran out of time goes on; keep a reference and log how it ends."""
    def finished(done: asyncio.Task[Any]) -> None:
        _background.discard(done)
        if not done.cancelled() and done.exception() is not None:
            logger.warning("guard: a late handling failed: %r", done.exception())

    _background.add(task)
    task.add_done_callback(finished)


async def _within_budget(on_new_message: Handler, message: UserMessage, budget: float) -> None:
    before = _said(message)
    task = asyncio.ensure_future(on_new_message(message))
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=budget)
    except asyncio.CancelledError:  # the client went away: the handling still finishes, as in Rasa's channel
        _keep(task)
        raise
    except asyncio.TimeoutError:
        logger.warning("guard: no answer within %.1fs (action server down or hung?); fault message sent", budget)
        _keep(task)
        await _say(message, _TEXTS["fault"])
        return
    except Exception:
        logger.exception("guard: handling a message failed; fault message sent")
        await _say(message, _TEXTS["fault"])
        return
    if before is not None and _said(message) == before:
        logger.warning("guard: the assistant said nothing (a failed custom action?); fault message sent")
        await _say(message, _TEXTS["fault"])


async def prepare(message: UserMessage, store: Any) -> UserMessage | None:
    """The message as Rasa may see it: cleaned, masked, with the ID card's facts in its metadata; None when
    it was answered here already (empty or too long)."""
    text = limits.clean_text(message.text or "")
    if not text:
        await _say(message, _TEXTS["empty"])
        return None
    if limits.too_long(text):
        await _say(message, _TEXTS["too_long"].format(length=len(text), limit=limits.MAX_MESSAGE_CHARS))
        return None
    text = _RASA_COMMAND.sub(lambda m: m.group()[1:], text)
    findings = privacy.find(text)
    metadata = privacy.mask_value(limits.clean_value(dict(message.metadata or {})))
    metadata.pop(privacy.ID_CARD_METADATA, None)  # only the channel says what an ID number gave
    facts = await _id_card(findings, store, message.sender_id)
    if facts:
        metadata[privacy.ID_CARD_METADATA] = facts
    return UserMessage(privacy.mask(text, findings), message.output_channel, message.sender_id,
                       input_channel=message.input_channel, message_id=message.message_id,
                       metadata=metadata or None)


def guarded(on_new_message: Handler, app: Any, budget: float) -> Handler:
    """`on_new_message` with the limits, the masking and the time budget (seconds) of this module."""

    async def handle(message: UserMessage) -> None:
        safe = await prepare(message, _store(app))
        if safe is not None:
            await _within_budget(on_new_message, safe, budget)

    return handle
