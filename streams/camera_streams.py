"""A camera's two streams: a low-resolution sub-stream for detection, the main one for snapshots."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from types import TracebackType

from streams.health import HealthSnapshot
from streams.live_source import LiveSource, LiveSourceConfig
from streams.packets import PacketTap


@dataclass(frozen=True)
class CameraStreamsHealth:
    """``snapshot`` is None when the camera has a single stream (it is then ``detect``)."""

    detect: HealthSnapshot
    snapshot: HealthSnapshot | None


class CameraStreams:
    """``detect`` reads the sub-stream when there is one, else the main stream; ``snapshot`` is
    always the main stream (the same object as ``detect`` without a sub-stream). With a
    sub-stream the main stream decodes key frames only: it is there for evidence pictures, and
    decoding every frame of a high-resolution stream would cost more than the detection. The
    ``packet_tap`` (the event clips) gets the detection stream's packets."""

    def __init__(
        self,
        camera_id: str,
        main: str | int,
        substream: str | None = None,
        config: LiveSourceConfig | None = None,
        rng: random.Random | None = None,
        packet_tap: PacketTap | None = None,
    ) -> None:
        self.camera_id = camera_id
        config = config or LiveSourceConfig()
        if substream is None:
            self.snapshot = LiveSource(main, camera_id, config, rng, packet_tap)
            self.detect = self.snapshot
        else:
            keys_only = replace(config, keyframes_only=True)
            self.snapshot = LiveSource(main, camera_id, keys_only, rng)
            self.detect = LiveSource(substream, camera_id, config, rng, packet_tap)

    @property
    def has_substream(self) -> bool:
        return self.detect is not self.snapshot

    def health(self) -> CameraStreamsHealth:
        main = self.snapshot.health()
        if not self.has_substream:
            return CameraStreamsHealth(detect=main, snapshot=None)
        return CameraStreamsHealth(detect=self.detect.health(), snapshot=main)

    def start(self) -> None:
        self.detect.start()
        if self.has_substream:
            self.snapshot.start()

    def stop(self) -> None:
        try:
            self.detect.stop()
        finally:
            if self.has_substream:
                self.snapshot.stop()

    def __enter__(self) -> CameraStreams:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
