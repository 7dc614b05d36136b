"""The WeChat customer-service message API: the access_token (cached) and messages pushed to a user."""
from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp

TOKEN_ERRORS = {40001, 40014, 42001}  # invalid credential, invalid access_token, access_token expired


# --- the customer-service message API --------------------------------------------------------------------------

class WeChatAPIError(Exception):
    def __init__(self, errcode: Any, errmsg: Any) -> None:
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode = errcode


async def _json(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    resp.raise_for_status()
    data = json.loads(await resp.text(encoding="utf-8"))  # WeChat answers JSON, sometimes as text/plain
    if not isinstance(data, dict):
        raise WeChatAPIError(None, f"unexpected answer {data!r}")
    return data


class WeChatAPI:
    """GET /cgi-bin/token (the access_token, cached until shortly before it expires) and
    POST /cgi-bin/message/custom/send (a text message to a user who wrote within the last 48 hours)."""

    def __init__(self, api_base: str, app_id: str, app_secret: str, timeout: float = 10.0) -> None:
        self.api_base = api_base.rstrip("/")
        self.app_id = app_id
        self.app_secret = app_secret
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._token: str | None = None
        self._expires = 0.0
        self._lock: asyncio.Lock | None = None

    def session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(timeout=self.timeout)

    async def access_token(self, session: aiohttp.ClientSession, stale: str | None = None) -> str:
        """The cached token; a new one when it expires soon or when `stale` (refused by WeChat) is the cached one."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._token is None or self._token == stale or time.monotonic() >= self._expires:
                params = {"grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret}
                async with session.get(f"{self.api_base}/cgi-bin/token", params=params) as resp:
                    data = await _json(resp)
                if not data.get("access_token"):
                    raise WeChatAPIError(data.get("errcode"), data.get("errmsg"))
                expires_in = int(data.get("expires_in") or 7200)
                self._token = str(data["access_token"])
                self._expires = time.monotonic() + max(expires_in - 300, expires_in / 2)
            return self._token

    async def send_text(self, session: aiohttp.ClientSession, openid: str, content: str) -> None:
        body = json.dumps({"touser": openid, "msgtype": "text", "text": {"content": content}},
                          ensure_ascii=False).encode("utf-8")  # WeChat wants the characters, not \u escapes
        token = await self.access_token(session)
        for attempt in (1, 2):
            async with session.post(f"{self.api_base}/cgi-bin/message/custom/send", params={"access_token": token},
                                    data=body, headers={"Content-Type": "application/json; charset=utf-8"}) as resp:
                data = await _json(resp)
            code = int(data.get("errcode") or 0)
            if code == 0:
                return
            if code in TOKEN_ERRORS and attempt == 1:
                token = await self.access_token(session, stale=token)
                continue
            raise WeChatAPIError(code, data.get("errmsg"))
