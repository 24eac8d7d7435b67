"""Render a storyboard to ``NAME.mp4`` (H.264) plus its ground-truth sidecar ``NAME.json``.

The sidecar is the :class:`~stairwatch.evaluation.sidecar.Sidecar` model that ``stairwatch eval``
and ``stairwatch demo`` read: the storyboard's zones (floor areas mapped through the lens) and rule
overrides, the events derived by :mod:`.truth`, and every labelled box at whole seconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from alerts.params import RuleParams
from lab.synth.clip_frames import ClipFrame, ClipRenderer, DrawnObject
from lab.synth.encode import EncodeOptions, H264Writer
from lab.synth.fire import blaze_start
from lab.synth.motion import Track
from lab.synth.storyboard import (
    ActorKind,
    FloorArea,
    FloorAt,
    FloorUnder,
    SpotPlan,
    Storyboard,
    ZonePlan,
)
from lab.synth.truth import EventContext, FireSpan, FrameTruth, derive_events, frame_truth
from stairwatch.config import SpotConfig, ZoneConfig
from stairwatch.evaluation.sidecar import Sidecar, SidecarBox, SidecarCamera, SidecarEvent

_EDGE_STEPS = 2  # points per zone edge, so lens-curved edges stay close to the floor's
_DIGITS = 4


def _clip_to_unit(points: np.ndarray) -> np.ndarray:
    """Sutherland-Hodgman: the (K, 2) polygon cut to the unit square."""
    poly = [tuple(p) for p in points]
    for axis, bound, keep_below in (
        (0, 0.0, False),
        (0, 1.0, True),
        (1, 0.0, False),
        (1, 1.0, True),
    ):

        def inside(
            p: tuple[float, ...], axis: int = axis, bound: float = bound, below: bool = keep_below
        ) -> bool:
            return p[axis] <= bound if below else p[axis] >= bound

        def cut(
            a: tuple[float, ...], b: tuple[float, ...], axis: int = axis, bound: float = bound
        ) -> tuple[float, ...]:
            f = (bound - a[axis]) / (b[axis] - a[axis])
            return (a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]))

        out: list[tuple[float, ...]] = []
        for i, cur in enumerate(poly):
            prev = poly[i - 1]
            if inside(cur):
                if not inside(prev):
                    out.append(cut(prev, cur))
                out.append(cur)
            elif inside(prev):
                out.append(cut(prev, cur))
        poly = out
    return np.array(poly, float).reshape(-1, 2)


def zone_polygon(plan: ZonePlan | SpotPlan, renderer: ClipRenderer) -> list[tuple[float, float]]:
    """The zone's polygon in normalized coordinates of the final frame."""
    if not isinstance(plan.area, FloorArea):
        return [(float(x), float(y)) for x, y in plan.area.points]
    a = plan.area
    corners = [(a.u0, a.v0), (a.u1, a.v0), (a.u1, a.v1), (a.u0, a.v1)]
    pts = []
    for (u0, v0), (u1, v1) in zip(corners, corners[1:] + corners[:1], strict=True):
        for f in np.linspace(0, 1, _EDGE_STEPS, endpoint=False):
            pts.append(renderer.ground.pixel(u0 + f * (u1 - u0), v0 + f * (v1 - v0)))
    px = renderer.distort(np.array(pts, np.float32))
    unit = _clip_to_unit(px / np.array([renderer.width, renderer.height]))
    return [(round(float(x), _DIGITS), round(float(y), _DIGITS)) for x, y in unit]


def _zones(storyboard: Storyboard, renderer: ClipRenderer) -> list[ZoneConfig]:
    return [
        ZoneConfig(
            name=z.name,
            kind=z.kind,
            polygon=zone_polygon(z, renderer),
            spots=[SpotConfig(name=s.name, polygon=zone_polygon(s, renderer)) for s in z.spots],
        )
        for z in storyboard.zones
    ]


def _boxes(frames: list[FrameTruth], fps: int, width: int, height: int) -> list[SidecarBox]:
    scale = np.array([width, height, width, height], float)
    out = []
    for index, f in enumerate(frames):
        if index % fps:
            continue
        for b in f.boxes:
            if not b.labelled:
                continue
            x1, y1, x2, y2 = (round(float(v), _DIGITS) for v in np.asarray(b.xyxy) / scale)
            if x2 > x1 and y2 > y1:
                out.append(SidecarBox(t=round(f.t, 3), label=b.kind, xyxy=(x1, y1, x2, y2)))
    return out


def _fire_spans(storyboard: Storyboard, renderer: ClipRenderer) -> tuple[FireSpan, ...]:
    duration = renderer.frame_count / renderer.fps
    spans = []
    for blaze in storyboard.blazes:
        start = blaze_start(blaze)
        end = duration if blaze.t1 is None else min(blaze.t1, duration)
        floor = blaze.at if isinstance(blaze.at, FloorAt) else FloorUnder(blaze.at.vehicle)
        undistorted = renderer.cable_point(floor, start)
        x, y = renderer.distort(np.array([undistorted], np.float32))[0]
        # A bike at the picture's bottom edge stands on floor just below it; its fire burns
        # above the zone's bottom edge all the same.
        inside = (
            min(max(float(x), 0.0), renderer.width - 1.0),
            min(max(float(y), 0.0), renderer.height - 1.0),
        )
        spans.append(FireSpan(round(start, 3), round(end, 3), inside))
    return tuple(spans)


def _sidecar(storyboard: Storyboard, renderer: ClipRenderer, frames: list[FrameTruth]) -> Sidecar:
    width, height, fps = renderer.width, renderer.height, renderer.fps
    zones = _zones(storyboard, renderer)
    ctx = EventContext(
        zones=tuple(z.to_zone() for z in zones),
        params=RuleParams().merged(storyboard.rules),
        width=width,
        height=height,
        duration_s=renderer.frame_count / fps,
        fps=fps,
        ebike_tracks=_tracks(storyboard, renderer, ActorKind.EBIKE),
        cables=tuple(c.name for c in storyboard.cables),
        bicycle_tracks=_tracks(storyboard, renderer, ActorKind.BICYCLE),
        people=tuple(a.name for a in storyboard.actors if a.kind == ActorKind.PERSON),
        fires=_fire_spans(storyboard, renderer),
    )
    events = [
        SidecarEvent(type=e.type, zone=e.zone, start_s=round(e.start_s, 3), end_s=round(e.end_s, 3))
        for e in derive_events(frames, ctx)
    ]
    return Sidecar(
        camera=SidecarCamera(kind=storyboard.scene.value),
        zones=zones,
        rules=storyboard.rules,
        events=events,
        boxes=_boxes(frames, fps, width, height),
    )


def _tracks(storyboard: Storyboard, renderer: ClipRenderer, kind: ActorKind) -> dict[str, Track]:
    return {a.name: renderer.track(a.name) for a in storyboard.actors if a.kind == kind}


@dataclass(frozen=True)
class ClipTruth:
    """A clip's sidecar and the truth of every frame (boxes in pixels, named per object)."""

    sidecar: Sidecar
    frames: tuple[FrameTruth, ...]


def render_clip(
    storyboard: Storyboard,
    out_path: Path,
    fps: int = 10,
    size: tuple[int, int] = (640, 360),
    seed: int = 0,
    encode: EncodeOptions | None = None,
) -> Sidecar:
    """Render ``storyboard`` to ``out_path`` (.mp4) and its sidecar beside it (.json);
    returns the sidecar. Deterministic in all arguments."""
    out_path = Path(out_path)
    renderer = ClipRenderer(storyboard, fps, size, seed)
    frames: list[FrameTruth] = []
    duration = renderer.frame_count / fps
    with H264Writer(out_path, fps, size, duration, encode) as writer:
        for frame in _with_truth(renderer, frames):
            writer.write(frame.image)
    sidecar = _sidecar(storyboard, renderer, frames)
    write_sidecar(sidecar, out_path.with_suffix(".json"))
    return sidecar


def clip_truth(
    storyboard: Storyboard, fps: int = 10, size: tuple[int, int] = (640, 360), seed: int = 0
) -> ClipTruth:
    """What :func:`render_clip` would write as truth, without encoding a video."""
    renderer = ClipRenderer(storyboard, fps, size, seed)
    frames: list[FrameTruth] = []
    for _ in _with_truth(renderer, frames):
        pass
    return ClipTruth(_sidecar(storyboard, renderer, frames), tuple(frames))


def _with_truth(renderer: ClipRenderer, truths: list[FrameTruth]) -> Iterator[ClipFrame]:
    """The renderer's frames, appending each one's truth to ``truths`` on the way (a frame
    whose objects did not change reuses the previous truth)."""
    last: tuple[DrawnObject, ...] | None = None
    for frame in renderer.frames():
        if truths and frame.objects is last:
            truths.append(replace(truths[-1], t=frame.t))
        else:
            truths.append(frame_truth(frame.t, frame.objects, renderer.width, renderer.height))
        last = frame.objects
        yield frame


def write_sidecar(sidecar: Sidecar, path: Path) -> None:
    """JSON with one zone, event or box per line (diffable, still short)."""
    data = sidecar.model_dump(mode="json", exclude_none=True)
    for zone in data.get("zones", []):
        if not zone.get("spots"):
            zone.pop("spots", None)  # most zones have none: sidecars stay as they were
    parts = []
    for key, value in data.items():
        if isinstance(value, list) and value:
            body = ",\n".join(f"    {json.dumps(v, ensure_ascii=False)}" for v in value)
            parts.append(f"  {json.dumps(key)}: [\n{body}\n  ]")
        else:
            parts.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    path.write_text("{\n" + ",\n".join(parts) + "\n}\n", encoding="utf-8")
