"""WeChat official account (公众号) channel: `assistant.channels.wechat.WeChatInput`, URL /webhooks/wechat/.

WeChat's server calls this URL (服务器配置 of the official account):

- GET  ?signature&timestamp&nonce&echostr  — URL verification: the echostr comes back when the signature is right.
- POST ?signature&timestamp&nonce[&encrypt_type=aes&msg_signature]  — a user's message or an event, as XML,
  in plaintext mode or in safe mode (AES, EncodingAESKey). It waits 5 seconds for the answer, the passive
  reply (XML); without one it retries, up to three tries.

Signatures, AES and the XML of messages and replies are wechatpy's. A bad or missing signature, or a timestamp
more than 5 minutes away from now, is refused (403) before anything reaches the assistant. Each message reaches
the assistant once (retries are recognised by MsgId, events by FromUserName + CreateTime); the answer goes back
as the passive reply when it is ready within `reply_timeout` seconds, otherwise WeChat gets "success" and the
answer follows through the customer-service message API (客服消息, needs AppID and AppSecret). An answer longer
than a WeChat text message (2048 bytes) is split: the first part is the passive reply, the rest follow through
the customer-service API, in order.

The assistant's turn is rendered as text: its texts, then an `ask` payload's options as numbered lines
("回复1：本科"); a reply "1" (or "１") then answers with that option's payload. The `assessment` payload is not
shown (its Chinese explanation is in the same turn).

Configuration, from the credentials block, else from the environment:

    token             WECHAT_TOKEN              Token (令牌) of 服务器配置; without it the URL answers 503
    encoding_aes_key  WECHAT_ENCODING_AES_KEY   EncodingAESKey (43 characters), for safe mode
    app_id            WECHAT_APP_ID             AppID (safe mode and the customer-service API)
    app_secret        WECHAT_APP_SECRET         AppSecret (the customer-service API)
    api_base          WECHAT_API_BASE           default https://api.weixin.qq.com
    reply_timeout     (credentials only)        seconds to wait for a passive reply, default 4
    turn_timeout      (credentials only)        seconds after which the resident gets the fault message
                                                instead of the answer, default 20

What the channel remembers between requests — message ids and their answers, signed URLs (plaintext-mode replay)
and the numbered options — is in assistant/channels/state.py: in the process's memory, or, with `REDIS_URL`
set, on the Redis server that every Rasa process behind the load balancer shares. A retry that reaches another
process then gets the same answer, and the message still reaches the assistant once.

Every message goes through assistant/channels/guard.py, as on the REST channel: control characters are
stripped, a message over 1,000 characters gets a polite reply and never reaches the assistant, personal data
is masked before NLU and the tracker store, and a turn that fails or runs out of time gets the fault message.
"""
from __future__ import annotations

import asyncio
import collections
import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.events import BaseEvent
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from assistant import limits
from assistant.channels.guard import guarded, limit_action_calls
from assistant.channels.state import ChannelState, state
from assistant.channels.wechat_api import WeChatAPI
from assistant.channels.wechat_delivery import FAILED, REPLAY_WINDOW, SEEN_TTL, Deliveries, _Job
from assistant.channels.wechat_render import pick_option, render, split_text
from assistant.policy.rules import rule_data

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.weixin.qq.com"
DEFAULT_REPLY_TIMEOUT = 4.0      # WeChat gives up after 5 s
DEFAULT_TURN_TIMEOUT = 20.0      # later answers go as 客服消息; after this the fault message goes instead
OPTIONS_TTL = 24 * 3600
MAX_BODY = 64 * 1024
SUCCESS = "success"              # WeChat's "received, nothing to say, do not retry"

CONFIG_ENV = {"token": "WECHAT_TOKEN", "encoding_aes_key": "WECHAT_ENCODING_AES_KEY", "app_id": "WECHAT_APP_ID",
              "app_secret": "WECHAT_APP_SECRET", "api_base": "WECHAT_API_BASE"}

# Chinese texts live in assistant/conversation/messages.yml (wechat:).
_TEXTS = rule_data().messages["wechat"]
NOT_CONFIGURED = _TEXTS["not_configured"]
SAFE_MODE_NOT_CONFIGURED = _TEXTS["safe_mode_not_configured"]
BAD_SIGNATURE = _TEXTS["bad_signature"]
BAD_TIMESTAMP = _TEXTS["bad_timestamp"]
BAD_MESSAGE = _TEXTS["bad_message"]
TOO_LARGE = _TEXTS["too_large"]
TEXT_ONLY = _TEXTS["text_only"]
GREETING = _TEXTS["greeting"]


# --- the channel --------------------------------------------------------------------------------------------

def _setting(credentials: dict[str, Any], key: str) -> str:
    value = credentials.get(key)
    if value is None or str(value).strip() == "":
        value = os.environ.get(CONFIG_ENV[key], "")
    return str(value).strip()


class WeChatInput(Deliveries, InputChannel):
    """The WeChat official account channel (see the module's docstring)."""

    @classmethod
    def name(cls) -> str:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WeChatInput:
        credentials = dict(credentials or {})
        unknown = set(credentials) - set(CONFIG_ENV) - {"reply_timeout", "turn_timeout"}
        if unknown:
            logger.warning("wechat: unknown settings %s in credentials.yml (known: %s, reply_timeout, turn_timeout)",
                           sorted(unknown), ", ".join(CONFIG_ENV))
        timeout = credentials.get("reply_timeout")
        turn = credentials.get("turn_timeout")
        return cls(token=_setting(credentials, "token"),
                   encoding_aes_key=_setting(credentials, "encoding_aes_key"),
                   app_id=_setting(credentials, "app_id"),
                   app_secret=_setting(credentials, "app_secret"),
                   api_base=_setting(credentials, "api_base") or DEFAULT_API_BASE,
                   reply_timeout=DEFAULT_REPLY_TIMEOUT if timeout in (None, "") else float(timeout),
                   turn_timeout=DEFAULT_TURN_TIMEOUT if turn in (None, "") else float(turn))

    def __init__(self, token: str = "", encoding_aes_key: str = "", app_id: str = "", app_secret: str = "",
                 api_base: str = DEFAULT_API_BASE, reply_timeout: float = DEFAULT_REPLY_TIMEOUT,
                 turn_timeout: float = DEFAULT_TURN_TIMEOUT, shared: ChannelState | None = None) -> None:
        self.token = token or ""
        self.app_id = app_id or ""
        self.reply_timeout = max(0.0, float(reply_timeout))
        self.turn_timeout = max(self.reply_timeout, float(turn_timeout))
        limit_action_calls()
        self.crypto: WeChatCrypto | None = None
        if not self.token:
            logger.warning("wechat: no token (WECHAT_TOKEN): /webhooks/%s/ answers 503", self.name())
        if encoding_aes_key:
            try:
                if not self.app_id:
                    raise ValueError("safe mode needs the AppID too")
                self.crypto = WeChatCrypto(self.token, encoding_aes_key, self.app_id)
            except Exception as exc:  # a wrong key must not stop the assistant
                logger.error("wechat: EncodingAESKey/AppID unusable (%s): safe-mode messages answer 503", exc)
        self.api = WeChatAPI(api_base or DEFAULT_API_BASE, self.app_id, app_secret) \
            if self.app_id and app_secret else None
        if self.token and self.api is None:
            logger.warning("wechat: no AppID/AppSecret: answers slower than %.1fs and the rest of long answers "
                           "cannot be sent (customer-service message API)", self.reply_timeout)
        if self.reply_timeout > 4.5:
            logger.warning("wechat: reply_timeout %.1fs leaves WeChat's 5 s no margin", self.reply_timeout)
        self.state: ChannelState = shared if shared is not None else state()
        self.process = uuid.uuid4().hex   # names this process in the message ids it claims
        self._jobs: collections.OrderedDict[str, _Job] = collections.OrderedDict()
        self._deliveries: dict[str, asyncio.Task] = {}
        self._background: set = set()

    # -- HTTP ----------------------------------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint(f"{self.name()}_webhook")

        @bp.route("/", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            refused = self._refuse(request)
            if refused:
                return refused
            return response.text(request.args.get("echostr") or "")

        @bp.route("/", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refused = self._refuse(request)
            if refused:
                return refused
            if len(request.body or b"") > MAX_BODY:
                return response.text(TOO_LARGE, status=413)
            safe = (request.args.get("encrypt_type") or "raw").lower() == "aes"
            if safe:
                if self.crypto is None:
                    return response.text(SAFE_MODE_NOT_CONFIGURED, status=503)
                try:
                    xml = self.crypto.decrypt_message(request.body, request.args.get("msg_signature") or "",
                                                      request.args.get("timestamp"), request.args.get("nonce"))
                except (InvalidSignatureException, InvalidAppIdException):
                    return response.text(BAD_SIGNATURE, status=403)
                except Exception:
                    return response.text(BAD_MESSAGE, status=400)
            else:
                xml = request.body
                if not await self._first_use(request):
                    return response.text(BAD_SIGNATURE, status=403)
            try:
                message = parse_message(xml)
                openid = str(message.source or "")
                key = f"id:{int(message.id)}" if message.id else f"at:{openid}:{int(message.time)}"
                if not limits.valid_sender(openid) or not message.target:
                    raise ValueError("no FromUserName/ToUserName, or not an OpenID")
            except Exception:
                return response.text(BAD_MESSAGE, status=400)
            try:
                text = await self._handle(message, openid, key,
                                          guarded(on_new_message, request.app, self.turn_timeout))
            except Exception:
                logger.exception("wechat: handling a message failed")
                text = FAILED
            if not text:
                return response.text(SUCCESS)
            reply = TextReply(message=message, content=text.replace("]]>", "]] >")).render()
            if safe and self.crypto is not None:
                reply = self.crypto.encrypt_message(reply, request.args.get("nonce"))
            return response.text(reply, content_type="application/xml; charset=utf-8")

        return bp

    def _refuse(self, request: Request) -> HTTPResponse | None:
        """503 when the channel is not configured; 403 for a bad signature or a timestamp out of the window."""
        if not self.token:
            return response.text(NOT_CONFIGURED, status=503)
        timestamp, nonce = request.args.get("timestamp"), request.args.get("nonce")
        signature = request.args.get("signature")
        safe = (request.args.get("encrypt_type") or "").lower() == "aes"
        if not timestamp or not nonce or not (signature or (safe and request.method == "POST")):
            return response.text(BAD_SIGNATURE, status=403)
        try:
            if abs(time.time() - int(timestamp)) > REPLAY_WINDOW:
                return response.text(BAD_TIMESTAMP, status=403)
        except ValueError:
            return response.text(BAD_TIMESTAMP, status=403)
        if signature:  # in safe mode the msg_signature over the encrypted message is checked too
            try:
                check_signature(self.token, signature, timestamp, nonce)
            except InvalidSignatureException:
                return response.text(BAD_SIGNATURE, status=403)
        return None

    async def _first_use(self, request: Request) -> bool:
        """In plaintext mode the signature does not cover the body: a signed URL is good for one body only
        (WeChat's retries send the same one again)."""
        key = ":".join(str(request.args.get(name)) for name in ("timestamp", "nonce", "signature"))
        digest = hashlib.sha256(request.body or b"").hexdigest()
        if await self.state.add("url", key, digest, SEEN_TTL):
            return True
        return await self.state.get("url", key) in (digest, None)

    # -- messages ------------------------------------------------------------------------------------------

    async def _handle(self, message: Any, openid: str, key: str,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> str | None:
        """The passive reply to one request (None: "success")."""
        if isinstance(message, BaseEvent) or str(getattr(message, "_data", {}).get("MsgType")).lower() == "event":
            if getattr(message, "event", "") not in ("subscribe", "subscribe_scan"):
                return None
            text, message_id = GREETING, None
        elif message.type == "text" and (message.content or "").strip():
            text, message_id = message.content, str(message.id or "") or None
        else:
            text, message_id = None, None
        job = self._jobs.get(key)
        if job is None or job.task.cancelled():  # not this process's job: a retry here joins its job
            self._forget_old()
            if job is None and not await self.state.add("message", key, self.process, SEEN_TTL):
                return await self._wait_elsewhere(key, openid)  # another process has it (or had it)
            work = (self._ask_assistant(text, openid, message_id, on_new_message) if text
                    else self._constant([TEXT_ONLY]))
            job = _Job()
            job.task = asyncio.ensure_future(self._run(job, key, openid, work))
            self._jobs[key] = job
        return await self._wait(job, key, openid)

    async def _constant(self, parts: list[str]) -> list[str]:
        return parts

    async def _ask_assistant(self, text: str, openid: str, message_id: str | None,
                             on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> list[str]:
        """The assistant's answer to `text`, as WeChat messages; remembers the options it offers."""
        text = pick_option(text, await self._remembered(openid))
        collector = CollectingOutputChannel()
        try:
            await on_new_message(UserMessage(text, collector, sender_id=openid, input_channel=self.name(),
                                             message_id=message_id))
        except Exception:
            logger.exception("wechat: the assistant failed on a message")
            return [FAILED]
        rendered, options = render(collector.messages)
        await self._remember(openid, options)
        return split_text(rendered)

    async def _remembered(self, openid: str) -> list[dict[str, str]] | None:
        stored = await self.state.get("options", openid)
        return json.loads(stored) if stored else None

    async def _remember(self, openid: str, options: list[dict[str, str]] | None) -> None:
        if options:
            await self.state.put("options", openid, json.dumps(options, ensure_ascii=False), OPTIONS_TTL)
        else:
            await self.state.delete("options", openid)

