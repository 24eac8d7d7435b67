"""Chat group robots: WeCom (企业微信), DingTalk (钉钉) and Feishu/Lark (飞书).

Each has a pure payload builder (tested against a local receiver) and a thin sender. The robots
answer HTTP 200 with an error code in the JSON body, so that is checked too; codes that mean the
robot's configuration is wrong are permanent, others (rate limits) are retried.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus

from alerts.channels.base import IDEMPOTENCY_HEADER
from alerts.channels.http import HttpReply, json_body, post
from alerts.errors import DeliveryRefused, NotifierError
from alerts.notices import Delivery, Notice
from alerts.notify_config import DingtalkChannel, FeishuChannel, WecomChannel

WECOM_MAX_BYTES = 4096
DINGTALK_MAX_BYTES = 18000
FEISHU_MAX_BYTES = 18000
# Codes that mean "fix the robot's settings", not "try again later".
WECOM_PERMANENT = frozenset({40008, 40058, 93000, 93004})  # bad type/param, bad key, robot off
DINGTALK_PERMANENT = frozenset({300001, 310000, 400101, 400102})  # token, security settings
FEISHU_PERMANENT = frozenset({9499, 19001, 19021, 19022, 19024})  # bad request, sign, IP, keyword

Clock = Callable[[], float]


def clip_utf8(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` of UTF-8, on a character boundary, marked with …"""
    data = text.encode()
    if len(data) <= max_bytes:
        return text
    return data[: max_bytes - 3].decode("utf-8", "ignore") + "…"


# -- WeCom ----------------------------------------------------------------------------------------


def wecom_payload(notice: Notice) -> dict[str, Any]:
    """A ``markdown`` message; critical titles in WeCom's warning colour."""
    text = notice.markdown
    if notice.critical:
        text = text.replace(
            f"### {notice.title}", f'### <font color="warning">{notice.title}</font>', 1
        )
    return {"msgtype": "markdown", "markdown": {"content": clip_utf8(text, WECOM_MAX_BYTES)}}


# -- DingTalk -------------------------------------------------------------------------------------


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")), URL-encoded."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def dingtalk_url(url: str, secret: str | None, timestamp_ms: int) -> str:
    """The robot URL, with ``timestamp`` and ``sign`` appended when the robot is signed."""
    if secret is None:
        return url
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def dingtalk_payload(notice: Notice) -> dict[str, Any]:
    """A ``markdown`` message; an alert shows its snapshot when links are public."""
    text = notice.markdown
    snapshot = notice.events[0].snapshot_url if len(notice.events) == 1 else None
    if snapshot is not None and notice.image_path is not None:
        text += f"\n\n![snapshot]({snapshot})"
    return {
        "msgtype": "markdown",
        "markdown": {"title": notice.title, "text": clip_utf8(text, DINGTALK_MAX_BYTES)},
    }


# -- Feishu / Lark --------------------------------------------------------------------------------


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")), as Feishu specifies."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def feishu_payload(notice: Notice, secret: str | None, timestamp_s: int) -> dict[str, Any]:
    """An ``interactive`` card: coloured header, the text as ``lark_md``, an open button."""
    lines = [line for line in notice.markdown.splitlines() if not line.startswith("### ")]
    elements: list[dict[str, Any]] = [
        {
            "tag": "div",
            "text": {
                "tag": "lark_md",
                "content": clip_utf8("\n".join(lines).strip(), FEISHU_MAX_BYTES),
            },
        }
    ]
    if notice.link is not None:
        label = "查看并处理" if notice.language == "zh-CN" else "Open and resolve"
        button = {"tag": "button", "text": {"tag": "plain_text", "content": label}}
        elements.append(
            {"tag": "action", "actions": [{**button, "type": "primary", "url": notice.link}]}
        )
    payload: dict[str, Any] = {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {
                "template": "red" if notice.critical else "blue",
                "title": {"tag": "plain_text", "content": notice.title},
            },
            "elements": elements,
        },
    }
    if secret is not None:
        payload = {
            "timestamp": str(timestamp_s),
            "sign": feishu_sign(secret, timestamp_s),
            **payload,
        }
    return payload


# -- senders --------------------------------------------------------------------------------------


def check_code(
    reply: HttpReply, fields: tuple[str, ...], permanent: frozenset[int], robot: str
) -> None:
    """Raise unless the first present field of ``fields`` in the reply is 0."""
    body = reply.json()
    code = next((body[f] for f in fields if f in body), 0)
    if code in (0, None):
        return
    # Only the code: the robot's own text is not ours to store and show (it may quote the key).
    shown = code if isinstance(code, int) and not isinstance(code, bool) else "?"
    error = f"{robot} robot refused the message: code {shown}"
    if isinstance(code, int) and code in permanent:
        raise DeliveryRefused(error)
    raise NotifierError(error)


def _headers(delivery: Delivery) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        IDEMPOTENCY_HEADER: delivery.idempotency_key,
    }


class WecomSender:
    def __init__(self, name: str, config: WecomChannel) -> None:
        self.name = name
        self._config = config

    def send(self, delivery: Delivery) -> None:
        body = json_body(wecom_payload(delivery.notice))
        reply = post(
            self._config.url.get_secret_value(), body, _headers(delivery), self._config.timeout_s
        )
        check_code(reply, ("errcode",), WECOM_PERMANENT, "WeCom")

    def close(self) -> None:
        return None


class DingtalkSender:
    def __init__(self, name: str, config: DingtalkChannel, clock: Clock = time.time) -> None:
        self.name = name
        self._config = config
        self._clock = clock

    def send(self, delivery: Delivery) -> None:
        secret = self._config.secret.get_secret_value() if self._config.secret else None
        url = dingtalk_url(self._config.url.get_secret_value(), secret, int(self._clock() * 1000))
        body = json_body(dingtalk_payload(delivery.notice))
        reply = post(url, body, _headers(delivery), self._config.timeout_s)
        check_code(reply, ("errcode",), DINGTALK_PERMANENT, "DingTalk")

    def close(self) -> None:
        return None


class FeishuSender:
    def __init__(self, name: str, config: FeishuChannel, clock: Clock = time.time) -> None:
        self.name = name
        self._config = config
        self._clock = clock

    def send(self, delivery: Delivery) -> None:
        secret = self._config.secret.get_secret_value() if self._config.secret else None
        body = json_body(feishu_payload(delivery.notice, secret, int(self._clock())))
        reply = post(
            self._config.url.get_secret_value(), body, _headers(delivery), self._config.timeout_s
        )
        check_code(reply, ("code", "StatusCode"), FEISHU_PERMANENT, "Feishu")

    def close(self) -> None:
        return None
