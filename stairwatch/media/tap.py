"""Where readers hand frames to the clip recorder."""

from __future__ import annotations

from typing import Protocol

from streams.frame import Frame
from streams.packets import PacketTap


class FrameTap(Protocol):
    """Sees every decoded frame of one camera, at the camera's own rate, in capture order.

    Called from the camera's reader thread; must return fast (it drops what it does not need
    and shrinks and compresses the rest, a few milliseconds at most).
    """

    def observe(self, frame: Frame) -> None: ...


class ClipTap(FrameTap, PacketTap, Protocol):
    """A camera's clip recorder as a reader sees it: decoded frames, or, where the source has
    them, compressed packets (cheaper: nothing is decoded or compressed again per frame)."""


class EventClips(ClipTap, Protocol):
    """A camera's clip recorder as the event sink sees it (:class:`CameraClips`)."""

    def event_raised(self, event_id: str, alert_ts: float) -> None: ...
