"""Playing WeChat's side of an official account over real HTTP: `WeChat` signs and sends what WeChat's server
sends to the account's URL (plaintext and safe mode, with wechatpy), `WeChatAPIStandIn` answers as WeChat's API
server does (/cgi-bin/token, /cgi-bin/message/custom/send), the only stand-in, since the real one is out of
reach. Used by tests/test_wechat.py and the HTTP fuzz (scripts/fuzz_http.py)."""
from __future__ import annotations

import itertools
import json
import secrets
import string
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import requests
import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from assistant.channels.wechat_render import MAX_TEXT_BYTES

# --- the stand-in of WeChat's API server ----------------------------------------------------------------------

class WeChatAPIStandIn:
    """GET /cgi-bin/token and POST /cgi-bin/message/custom/send, answering as WeChat documents them."""

    def __init__(self, app_id: str, app_secret: str) -> None:
        self.app_id, self.app_secret = app_id, app_secret
        self.tokens: set[str] = set()
        self.token_requests: list[dict] = []
        self.messages: list[dict] = []     # the customer-service messages accepted
        self.refused: list[dict] = []      # errcode answers given to message/custom/send
        self.lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _answer(self, data: dict) -> None:
                body = json.dumps(data, ensure_ascii=False).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json; encoding=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path != "/cgi-bin/token":
                    self.send_error(404)
                    return
                self._answer(stand_in.token({k: v[0] for k, v in parse_qs(url.query).items()}))

            def do_POST(self) -> None:
                url = urlparse(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if url.path != "/cgi-bin/message/custom/send":
                    self.send_error(404)
                    return
                token = parse_qs(url.query).get("access_token", [""])[0]
                self._answer(stand_in.custom_send(token, body))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def token(self, query: dict) -> dict:
        with self.lock:
            self.token_requests.append(query)
            if query.get("grant_type") != "client_credential":
                return {"errcode": 40002, "errmsg": "invalid grant_type"}
            if query.get("appid") != self.app_id:
                return {"errcode": 40013, "errmsg": "invalid appid"}
            if query.get("secret") != self.app_secret:
                return {"errcode": 40125, "errmsg": "invalid appsecret"}
            token = secrets.token_urlsafe(48)
            self.tokens.add(token)
            return {"access_token": token, "expires_in": 7200}

    def custom_send(self, token: str, body: bytes) -> dict:
        with self.lock:
            if token not in self.tokens:
                self.refused.append({"errcode": 40001})
                return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
            try:
                data = json.loads(body.decode("utf-8"))
                content = data["text"]["content"]
                assert data["msgtype"] == "text" and isinstance(data["touser"], str) and isinstance(content, str)
            except (ValueError, KeyError, TypeError, AssertionError):
                self.refused.append({"errcode": 40008})
                return {"errcode": 40008, "errmsg": "invalid message type"}
            if len(content.encode("utf-8")) > MAX_TEXT_BYTES:
                self.refused.append({"errcode": 45002})
                return {"errcode": 45002, "errmsg": "content size out of limit"}
            self.messages.append({**data, "raw": body})
            return {"errcode": 0, "errmsg": "ok"}

    def texts_for(self, openid: str) -> list[str]:
        with self.lock:
            return [m["text"]["content"] for m in self.messages if m["touser"] == openid]

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- playing WeChat's server --------------------------------------------------------------------------------------

class WeChat:
    """Signs and sends what WeChat's server sends to an official account's URL."""

    def __init__(self, rasa_url: str, token: str, aes_key: str, app_id: str, account: str) -> None:
        self.rasa_url, self.token, self.account = rasa_url, token, account
        self.crypto = WeChatCrypto(token, aes_key, app_id)
        self.ids = itertools.count(int(time.time() * 1000))

    def url(self, channel: str = "wechat") -> str:
        return f"{self.rasa_url}/webhooks/{channel}/"

    def sign(self, *values: str) -> str:
        signer = WeChatSigner()
        signer.add_data(*values)
        return signer.signature

    def params(self, timestamp: int | None = None) -> dict:
        when = str(int(time.time()) if timestamp is None else timestamp)
        nonce = str(secrets.randbelow(10 ** 10))
        return {"signature": self.sign(self.token, when, nonce), "timestamp": when, "nonce": nonce}

    def message(self, openid: str, msg_type: str = "text", msg_id: int | None = None, **fields) -> str:
        data = {"ToUserName": self.account, "FromUserName": openid, "CreateTime": int(time.time()),
                "MsgType": msg_type, **fields}
        if msg_type != "event":
            data["MsgId"] = next(self.ids) if msg_id is None else msg_id
        nodes = "".join(f"<{k}>{v}</{k}>" if isinstance(v, int) else f"<{k}>{cdata(str(v))}</{k}>"
                        for k, v in data.items())
        return f"<xml>{nodes}</xml>"

    def text(self, openid: str, content: str, msg_id: int | None = None) -> str:
        return self.message(openid, "text", msg_id, Content=content)

    def post(self, xml: str, channel: str = "wechat", safe: bool = False, params: dict | None = None,
             **overrides) -> requests.Response:
        params = dict(params or self.params())
        body = xml
        if safe:
            sealed = xmltodict.parse(self.crypto.encrypt_message(xml, params["nonce"], params["timestamp"]))["xml"]
            body = (f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>"
                    f"<Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt></xml>")
            params.update(encrypt_type="aes", msg_signature=sealed["MsgSignature"])
        params.update(overrides)
        return requests.post(self.url(channel), params=params, data=body.encode("utf-8"), timeout=30)

    def reply(self, resp: requests.Response, safe: bool = False) -> dict:
        """The passive reply of a response, decrypted and its signature checked in safe mode."""
        assert resp.status_code == 200, (resp.status_code, resp.text)
        xml = resp.text
        if safe:
            outer = xmltodict.parse(xml)["xml"]
            xml = self.crypto.decrypt_message(xml, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"])
        return xmltodict.parse(xml)["xml"]

    def decoded(self, resp: requests.Response, route: str) -> str:
        """The text of a passive reply ("" for "success" or anything that is no reply)."""
        try:
            return str(self.reply(resp, safe=route == "wechat_aes").get("Content") or "")
        except Exception:   # "success", or a refusal: no reply to read
            return ""

    def say(self, openid: str, content: str, **kwargs) -> str:
        reply = self.reply(self.post(self.text(openid, content), **kwargs))
        assert reply["MsgType"] == "text" and reply["ToUserName"] == openid and reply["FromUserName"] == self.account
        return reply["Content"]


def new_openid() -> str:
    """An OpenID as WeChat gives them (28 characters)."""
    return "o" + "".join(secrets.choice(string.ascii_letters + string.digits + "-_") for _ in range(27))


def cdata(text: str) -> str:
    """`text` as XML character data: "]]>" cannot stand inside one CDATA section, so it is split over two."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"
