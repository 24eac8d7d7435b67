"""One check-set clip on disk: ``NAME.mp4`` (H.264) and its sidecar ``NAME.json``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alerts.params import RuleParamsOverride
from lab.real_check.errors import CheckSetError
from lab.real_check.sources import TruthBox
from lab.synth.clips import write_sidecar
from lab.synth.encode import EncodeOptions, H264Writer
from stairwatch.config import ZoneConfig
from stairwatch.evaluation.sidecar import Sidecar, SidecarBox, SidecarCamera, SidecarEvent
from vision.zones import ZoneKind

WHOLE_FRAME = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
WATCH_EVERYTHING = [
    ZoneConfig(name="lift", kind=ZoneKind.ELEVATOR, polygon=WHOLE_FRAME),
    ZoneConfig(name="floor", kind=ZoneKind.NO_PARKING, polygon=WHOLE_FRAME),
    ZoneConfig(name="walls", kind=ZoneKind.CABLE_WATCH, polygon=WHOLE_FRAME),
]
"""Every rule watches the whole frame: on a clip without events, any alert is a false alarm."""

SHORT_RULES = RuleParamsOverride.model_validate(
    {"ebike_parked": {"dwell_s": 10.0}, "flying_wire": {"persist_s": 5.0}}
)
"""The sample clips' overrides, so that the clips stay short and every rule can fire in them."""


@dataclass(frozen=True)
class ClipInfo:
    """What the manifest says about one clip."""

    clip: str
    part: str
    sources: tuple[str, ...]  # the ../shared files its pictures come from
    duration_s: float
    events: int


def sidecar_boxes(t: float, boxes: Iterable[TruthBox]) -> list[SidecarBox]:
    """The true boxes of the frame at ``t`` seconds, rounded to 4 digits (empty ones dropped)."""
    out = []
    for b in boxes:
        x1, y1, x2, y2 = (round(min(max(v, 0.0), 1.0), 4) for v in b.xyxy)
        if x2 > x1 and y2 > y1:
            out.append(SidecarBox(t=round(t, 3), label=b.kind, xyxy=(x1, y1, x2, y2)))
    return out


def negative_sidecar(kind: str, boxes: list[SidecarBox], empty_frames: list[float]) -> Sidecar:
    """No event, every rule watching the whole frame."""
    return Sidecar(
        camera=SidecarCamera(kind=kind),
        zones=WATCH_EVERYTHING,
        rules=SHORT_RULES,
        events=[],
        boxes=boxes,
        empty_frames=empty_frames,
    )


def event(kind: str, zone: str, start_s: float, end_s: float) -> SidecarEvent:
    return SidecarEvent.model_validate(
        {"type": kind, "zone": zone, "start_s": round(start_s, 3), "end_s": round(end_s, 3)}
    )


def write_clip(
    out_dir: Path,
    name: str,
    fps: int,
    frames: Iterable[np.ndarray],
    duration_s: float,
    sidecar: Callable[[], Sidecar],
) -> Sidecar:
    """Encode ``frames`` (equal (H, W, 3) uint8 BGR, even sizes) to ``NAME.mp4`` at ``fps``,
    then write ``sidecar()`` (called once every frame is written) beside it; returns it."""
    path = out_dir / f"{name}.mp4"
    options = EncodeOptions(
        crf=23, preset="veryfast", max_bytes=int(1_000_000 + 400_000 * duration_s)
    )
    images = iter(frames)
    first = next(images, None)
    if first is None:
        raise CheckSetError(f"{path}: no frames to write")
    size = (first.shape[1], first.shape[0])
    with H264Writer(path, fps, size, duration_s, options) as writer:
        writer.write(first)
        for image in images:
            writer.write(image)
    result = sidecar()
    write_sidecar(result, path.with_suffix(".json"))
    return result
