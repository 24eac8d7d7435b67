"""Where the event sink starts a camera's clips."""

from __future__ import annotations

from typing import Protocol


class EventClips(Protocol):
    """A camera's clip recorder as the event sink sees it (:class:`CameraClips`); its source
    feeds it packets (:class:`~streams.packets.PacketTap`)."""

    def event_raised(self, event_id: str, alert_ts: float) -> None: ...
