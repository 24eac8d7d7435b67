"""Building the configured channels by name."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from alerts.channels.base import Channel
from alerts.channels.email import EmailSender
from alerts.channels.response import ResponseSender
from alerts.channels.robots import DingtalkSender, FeishuSender, WecomSender
from alerts.channels.webhook import WebhookSender
from alerts.notify_config import (
    ChannelConfig,
    DingtalkChannel,
    EmailChannel,
    FeishuChannel,
    MqttChannel,
    NotificationsConfig,
    WebhookChannel,
    WecomChannel,
)


def build_channel(
    name: str, config: ChannelConfig, media_dir: Path, clock: Callable[[], float] = time.time
) -> Channel:
    if isinstance(config, WebhookChannel):
        return WebhookSender(name, config, media_dir, clock)
    if isinstance(config, EmailChannel):
        return EmailSender(name, config, media_dir)
    if isinstance(config, WecomChannel):
        return WecomSender(name, config)
    if isinstance(config, DingtalkChannel):
        return DingtalkSender(name, config, clock)
    if isinstance(config, FeishuChannel):
        return FeishuSender(name, config, clock)
    if isinstance(config, MqttChannel):
        from alerts.channels.mqtt import MqttSender  # paho is only needed when MQTT is used

        return MqttSender(name, config)
    raise TypeError(f"unknown channel config {type(config).__name__}")


def build_channels(
    config: NotificationsConfig, media_dir: Path, clock: Callable[[], float] = time.time
) -> dict[str, Channel]:
    """Every channel some group uses, by name, and one channel per on-site response
    (``response:<name>``)."""
    used = {name for group in config.groups for name in group.channels}
    channels = {
        name: build_channel(name, channel, media_dir, clock)
        for name, channel in config.channels.items()
        if name in used
    }
    brokers = {n: c for n, c in config.channels.items() if isinstance(c, MqttChannel)}
    for response in config.responses:
        channels[response.channel] = ResponseSender(response, brokers, clock)
    return channels
