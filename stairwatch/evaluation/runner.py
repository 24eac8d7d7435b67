"""Runs the service's per-camera pipeline over labelled clips and scores what it raises.

Each clip is one camera: frames come from :class:`~streams.file_source.FileSource` at
``detect_fps`` (and, on a clip with a shed zone, the fire check's extra frames between them, as
the service reads them: :mod:`stairwatch.cadence`) as fast as the CPU allows, with
``timestamp = position_s`` (clip start = 0), so rule time is the video's own time, never the wall
clock (which only measures speed). The time of day the rules' schedules see is that time in UTC:
every clip starts at midnight (00:00 UTC).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC
from pathlib import Path

from tqdm import tqdm

from alerts.events import ChangeKind, EventChange
from alerts.params import RuleParams
from alerts.rules import smoke_fire
from stairwatch.cadence import FrameCadence
from stairwatch.config import MotionConfig
from stairwatch.evaluation.errors import ClipError
from stairwatch.evaluation.frames import FrameScorer, nearest_frames, targets
from stairwatch.evaluation.matching import (
    EVALUATED_TYPES,
    ClipMatching,
    PredictedEvent,
    TruthEvent,
    match_events,
)
from stairwatch.evaluation.metrics import ClipResult, EvalResult, Speed, clip_result, summarize
from stairwatch.evaluation.sidecar import LabeledClip
from stairwatch.evaluation.thumbnails import Outcome, Thumbnail, annotate, encode_jpeg
from stairwatch.gating import motion_gate, should_detect
from stairwatch.pipeline import CameraPipeline
from streams.errors import StreamError
from streams.file_source import FileSource
from vision.bytetrack import ByteTrackConfig
from vision.detector import Detector
from vision.kinds import KindMapper, ObjectKind


@dataclass(frozen=True)
class EvalOptions:
    """How to run. ``rules``: the global rule parameters (sidecars and zones override them).
    ``motion_gate``: skip the detector on still frames with the service's default motion gate,
    so the evaluation measures what the service does."""

    model_name: str
    confidence: float = 0.35
    track_confidence: float = 0.15  # the detector must return scores down to this
    class_map: Mapping[ObjectKind, tuple[str, ...]] = field(default_factory=dict)
    detect_fps: float = 2.0
    rules: RuleParams = field(default_factory=RuleParams)
    thumbnails: bool = False
    progress: bool = True
    motion_gate: bool = True
    workers: int = 1  # clips evaluated at once


@dataclass(frozen=True)
class EvalRun:
    """The scored result and, when asked for, thumbnails of every false alarm and miss."""

    result: EvalResult
    thumbnails: tuple[Thumbnail, ...]


@dataclass(frozen=True)
class _PipelineRun:
    predicted: list[PredictedEvent]
    duration_s: float
    frames: int
    scored_times: frozenset[float]  # box times already scored on frames of this pass


def predicted_from(changes: Sequence[EventChange]) -> list[PredictedEvent]:
    """RAISED changes of scored types as predictions (alert time = seconds from clip start)."""
    return [
        PredictedEvent(
            c.event.type, c.event.zone, c.event.alert_ts, c.event.confidence, c.event.box
        )
        for c in changes
        if c.kind == ChangeKind.RAISED and c.event.type in EVALUATED_TYPES
    ]


@dataclass(frozen=True)
class _ClipOutcome:
    row: ClipResult
    thumbnails: list[Thumbnail]
    frames: int
    scorer: FrameScorer


class Evaluator:
    """Evaluates clips with one detector, ``options.workers`` clips at a time (the detector
    must allow concurrent calls, as onnxruntime sessions do). Results do not depend on it."""

    def __init__(self, detector: Detector, options: EvalOptions):
        self._detector = detector
        self._options = options
        self._mapper = KindMapper(detector.class_names, dict(options.class_map))

    def run(self, clips: Sequence[LabeledClip]) -> EvalRun:
        expected = sum(math.ceil(probe_duration(c) * self._options.detect_fps) for c in clips)
        with tqdm(
            total=expected, unit="frame", disable=not self._options.progress, dynamic_ncols=True
        ) as bar:
            progress = _SharedBar(bar)
            started = time.perf_counter()
            if self._options.workers == 1 or len(clips) < 2:
                outcomes = [self._clip(clip, progress) for clip in clips]
            else:
                with ThreadPoolExecutor(self._options.workers, thread_name_prefix="eval") as pool:
                    outcomes = list(pool.map(lambda clip: self._clip(clip, progress), clips))
            wall = time.perf_counter() - started
        scorer = FrameScorer()
        for outcome in outcomes:  # in clip order, whatever order they finished in
            scorer.extend(outcome.scorer)
        rows = [o.row for o in outcomes]
        duration = sum(r.duration_s for r in rows)
        speed = Speed(
            frames=sum(o.frames for o in outcomes),
            wall_s=round(wall, 3),
            x_realtime=round(duration / wall, 2) if wall > 0 else None,
        )
        result = summarize(rows, self._options.model_name, scorer.compute(), speed)
        return EvalRun(result, tuple(t for o in outcomes for t in o.thumbnails))

    def _clip(self, clip: LabeledClip, bar: _SharedBar) -> _ClipOutcome:
        scorer = FrameScorer()
        run = self._run_pipeline(clip, bar, scorer)
        truth = clip.sidecar.truth()
        matching = self._match(clip, run.predicted, truth)
        row = clip_result(clip.name, run.duration_s, run.frames, run.predicted, truth, matching)
        thumbs = self._frame_pass(clip, run.predicted, truth, matching, scorer, run.scored_times)
        return _ClipOutcome(row, thumbs, run.frames, scorer)

    def _params(self, clip: LabeledClip) -> tuple[RuleParams, dict[str, RuleParams]]:
        sidecar = clip.sidecar
        return sidecar.params(self._options.rules), sidecar.zone_params(self._options.rules)

    def _match(
        self, clip: LabeledClip, predicted: list[PredictedEvent], truth: list[TruthEvent]
    ) -> ClipMatching:
        params, zone_params = self._params(clip)
        return match_events(predicted, truth, params, zone_params)

    def _run_pipeline(
        self, clip: LabeledClip, bar: _SharedBar, scorer: FrameScorer
    ) -> _PipelineRun:
        """The service's pipeline over the clip; boxed frames that this pass decodes anyway are
        scored here, so most clips need no second decode."""
        params, zone_params = self._params(clip)
        boxed = clip.sidecar.labelled_frames()
        scored: set[float] = set()
        pipeline = CameraPipeline(
            clip.name,
            clip.sidecar.to_zones(),
            params,
            self._mapper,
            zone_params=zone_params,
            tracking=ByteTrackConfig.following(
                self._options.confidence,
                self._options.detect_fps,
                self._options.track_confidence,
            ),
            tz=UTC,
        )
        gate = motion_gate(MotionConfig(enabled=self._options.motion_gate))
        cadence = FrameCadence(
            self._options.detect_fps,
            smoke_fire.check_fps(pipeline.zones, params, self._options.detect_fps),
        )
        changes: list[EventChange] = []
        frames = 0
        last_ts = 0.0
        try:
            with FileSource(
                clip.video,
                clip.name,
                realtime=False,
                loop=False,
                start_time=0.0,
                sample_fps=cadence.sample_fps,
            ) as source:
                duration = source.duration_s
                half_frame = 0.5 / source.fps
                for frame in source:
                    if not cadence.full(frame.position_s):
                        changes.extend(pipeline.check_fire(frame).changes)
                        continue
                    detections = (
                        self._detector.detect([frame.image])[0]
                        if should_detect(gate, frame, pipeline.has_live_tracks)
                        else None
                    )
                    for t in [t for t in boxed if abs(t - frame.position_s) <= half_frame]:
                        found = (
                            detections
                            if detections is not None
                            else self._detector.detect([frame.image])[0]
                        )
                        truth_boxes = targets(boxed[t], frame.width, frame.height)
                        scorer.add(self._mapper(found), truth_boxes)
                        scored.add(t)
                    changes.extend(pipeline.process(frame, detections).changes)
                    frames += 1
                    last_ts = frame.timestamp
                    bar.update(clip.name)
        except StreamError as exc:
            raise ClipError(f"cannot read clip: {exc}") from exc
        if frames == 0:
            raise ClipError(f"{clip.video}: no frames could be decoded")
        changes.extend(pipeline.finish(last_ts))
        return _PipelineRun(
            predicted_from(changes), max(duration, last_ts), frames, frozenset(scored)
        )

    def _frame_pass(
        self,
        clip: LabeledClip,
        predicted: list[PredictedEvent],
        truth: list[TruthEvent],
        matching: ClipMatching,
        scorer: FrameScorer,
        scored_times: frozenset[float],
    ) -> list[Thumbnail]:
        """Second decode for boxed frames the sampled pass missed (mAP) and for thumbnails."""
        boxed = {
            t: boxes for t, boxes in clip.sidecar.labelled_frames().items() if t not in scored_times
        }
        false_alarms = (
            [predicted[i] for i in matching.false_alarms] if self._options.thumbnails else []
        )
        misses = [truth[i] for i in matching.misses] if self._options.thumbnails else []
        times = [*boxed, *(p.alert_s for p in false_alarms), *(t.middle_s for t in misses)]
        if not times:
            return []
        picked = nearest_frames(clip.video, times)
        if boxed:
            images = [picked[t].image for t in boxed]
            found = self._detector.detect(images)
            for image, detections, boxes in zip(images, found, boxed.values(), strict=True):
                scorer.add(self._mapper(detections), targets(boxes, image.shape[1], image.shape[0]))
        zones = {z.name: z for z in clip.sidecar.to_zones()}
        thumbs = [
            Thumbnail(
                clip.name,
                Outcome.FALSE_ALARM,
                p.type,
                p.zone,
                p.alert_s,
                encode_jpeg(annotate(picked[p.alert_s].image, p.box, zones.get(p.zone or ""))),
            )
            for p in false_alarms
        ]
        thumbs += [
            Thumbnail(
                clip.name,
                Outcome.MISS,
                t.type,
                t.zone,
                t.middle_s,
                encode_jpeg(annotate(picked[t.middle_s].image, None, zones.get(t.zone or ""))),
            )
            for t in misses
        ]
        return thumbs


def probe_duration(clip: LabeledClip) -> float:
    """The clip's length in seconds from its header; raises :class:`ClipError` if unreadable."""
    try:
        with FileSource(
            clip.video, clip.name, realtime=False, loop=False, start_time=0.0
        ) as source:
            return source.duration_s
    except StreamError as exc:
        raise ClipError(f"cannot read clip: {exc}") from exc


def evaluate(clips: Sequence[LabeledClip], detector: Detector, options: EvalOptions) -> EvalRun:
    """Run and score every clip (see :class:`Evaluator`)."""
    return Evaluator(detector, options).run(clips)


__all__ = [
    "EvalOptions",
    "EvalRun",
    "Evaluator",
    "ModelSource",
    "evaluate",
    "evaluate_model",
    "predicted_from",
]


class _SharedBar:
    """One progress bar that several clip threads advance."""

    def __init__(self, bar: tqdm):
        self._bar = bar
        self._lock = threading.Lock()
        self._shown = ""

    def update(self, clip_name: str) -> None:
        """One more frame done, of ``clip_name``."""
        with self._lock:
            if clip_name != self._shown:
                self._bar.set_postfix_str(clip_name, refresh=False)
                self._shown = clip_name
            self._bar.update(1)


@dataclass(frozen=True)
class ModelSource:
    """A model file to evaluate, with its class names file (None: from its metadata), the
    tracking threshold, NMS IoU and input long side in pixels (``model.input_size``; None: the
    model's own size) of the configuration."""

    path: Path
    labels: Path | None = None
    track_confidence: float = 0.15
    iou: float = 0.5
    input_size: int | None = None


def evaluate_model(
    clips: Sequence[LabeledClip],
    model: ModelSource,
    options: EvalOptions,
    workers: int | None = None,
) -> EvalRun:
    """Load ``model`` and evaluate ``clips`` with it: ``options`` but the model's own name,
    tracking threshold and, unless ``workers`` is given, as many clips at once as the cores
    allow. Raises :class:`~vision.errors.VisionError` for an unloadable model."""
    from stairwatch.config import InferenceConfig, usable_cores
    from vision.detector import load_detector

    cores, parallel = usable_cores(), InferenceConfig(workers=workers)
    track_confidence = min(model.track_confidence, options.confidence)
    detector = load_detector(
        model.path,
        model.labels,
        track_confidence,
        model.iou,
        threads=parallel.threads_per_call(cores, len(clips)),
        input_side=model.input_size,
    )
    chosen = replace(
        options,
        model_name=str(model.path),
        track_confidence=track_confidence,
        workers=parallel.worker_count(cores, len(clips)),
    )
    return evaluate(clips, detector, chosen)
