"""``stairwatch bench``: the model alone, then the whole service on looping file cameras.

Phases (each optional):
- ``model``: onnxruntime frames/s at batch 1 and at the pipeline's batch size, called by as many
  threads at once as the service has inference workers;
- ``service``: N cameras on the sample clips at ``detect_fps`` with motion gating, for S seconds:
  due detections run, frame age (capture -> detection done), memory;
- ``still``: the same on still scenes (one frame of each clip plus sensor noise): how many
  detector calls motion gating saves;
- ``saturation``: every frame of every camera detected (no gating, the source's full rate):
  detections/s of the whole pipeline, against the model alone at the same batch size.
"""

from __future__ import annotations

import contextlib
import statistics
import tempfile
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr
from tqdm import tqdm

from alerts.store import EventStore
from stairwatch.bench.clips import BenchClip, ClipFormat, prepare_clips, still_clip
from stairwatch.bench.handoff import AlertClock
from stairwatch.bench.machine import cpu_ticks, other_cores, rss_mb, steal_ratio, this_machine
from stairwatch.bench.result import BenchResult, ServiceRun
from stairwatch.bench.rtsp import PatternServer
from stairwatch.bench.threads_cpu import cores_by_group, read_cpu
from stairwatch.config import (
    CameraConfig,
    InferenceConfig,
    ModelConfig,
    MotionConfig,
    Settings,
    StorageConfig,
)
from stairwatch.media.clips import ClipStats
from stairwatch.runtime.health import HealthSnapshot
from stairwatch.runtime.service import Service
from stairwatch.runtime.status import ServiceCameraStatuses
from vision.benchmark import measure_fps
from vision.detector import OnnxDetector
from vision.kinds import KindMapper, ObjectKind
from vision.letterbox import Size

PHASES = ("model", "service", "still", "saturation")
Alongside = Callable[[EventStore], contextlib.AbstractContextManager[object]]
SATURATION_DEMAND = 1.5  # the saturation run asks for this many times what the model can do
HANDOFF_GRACE_S = 1.0
RSS_POINTS = 10  # the memory timeline: RSS at the start and at every tenth of a run


@dataclass(frozen=True)
class BenchOptions:
    """Seconds are wall-clock durations of each phase; ``warmup_s`` is left out of the counts."""

    cameras: int = 8
    seconds: float = 60.0
    phase_seconds: float = 20.0
    model_seconds: float = 5.0
    warmup_s: float = 5.0
    detect_fps: float = 2.0
    batch: int = 4
    max_wait_ms: float = 50.0
    workers: int = 1  # inference threads of the service, and callers of the model alone
    threads: int | None = None  # onnxruntime threads per call (informational: the detector's)
    fmt: ClipFormat = field(default_factory=ClipFormat)
    class_map: Mapping[ObjectKind, tuple[str, ...]] = field(default_factory=dict)
    phases: frozenset[str] = frozenset(PHASES)
    rtsp: bool = False
    progress: bool = True
    still_share: float = 0.0  # of the service run's cameras showing a still scene


@dataclass(frozen=True)
class _Scene:
    name: str
    clips: Sequence[BenchClip]
    detect_fps: float
    motion_gate: bool
    seconds: float
    rtsp_url: str | None = None  # every camera on this live stream instead of the clips


def run_bench(detector: OnnxDetector, clips_dir: Path, options: BenchOptions) -> BenchResult:
    with tempfile.TemporaryDirectory(prefix="stairwatch-bench-") as tmp:
        work = Path(tmp)
        clips = prepare_clips(clips_dir, work / "clips", options.fmt)
        raw1 = raw = None
        if "model" in options.phases:
            raw1, raw = _model_fps(detector, clips[0], options)
        runs: dict[str, ServiceRun] = {}
        reference: list[float] = []  # raw fps at batch, measured just around the saturation run
        with contextlib.ExitStack() as stack:
            url = stack.enter_context(PatternServer(options.fmt)).url if options.rtsp else None
            for scene in _scenes(detector, clips, work, options, url, raw):
                saturating = scene.name == "saturation" and raw is not None
                if saturating:
                    reference.append(_batch_fps(detector, clips[0], options))
                runs[scene.name] = _run_service(detector, scene, work / scene.name, options)
                if saturating:
                    reference.append(_batch_fps(detector, clips[0], options))
    at_saturation = round(statistics.fmean(reference), 2) if reference else None
    return _result(detector, options, (raw1, raw, at_saturation), runs)


def _batch_fps(detector: OnnxDetector, clip: BenchClip, options: BenchOptions) -> float:
    return measure_fps(
        detector, clip.first_frame, options.batch, options.model_seconds, options.workers
    )


def _model_fps(
    detector: OnnxDetector, clip: BenchClip, options: BenchOptions
) -> tuple[float, float]:
    frame = clip.first_frame
    batch1 = measure_fps(detector, frame, 1, options.model_seconds, options.workers)
    batched = _batch_fps(detector, clip, options)
    return round(batch1, 2), round(batched, 2)


def _scenes(
    detector: OnnxDetector,
    clips: list[BenchClip],
    work: Path,
    options: BenchOptions,
    rtsp_url: str | None,
    raw_fps: float | None,
) -> list[_Scene]:
    """The service runs in order; with ``rtsp_url`` the service and saturation runs read it."""
    scenes = []
    stills: list[BenchClip] = []
    if "still" in options.phases or options.still_share > 0:
        mapper = KindMapper(detector.class_names, dict(options.class_map))
        stills = [_still(detector, mapper, clip, work, i, options) for i, clip in enumerate(clips)]
    if "service" in options.phases:
        mixed = mixed_cameras(clips, stills, options.cameras, options.still_share)
        scenes.append(_Scene("service", mixed, options.detect_fps, True, options.seconds, rtsp_url))
    if "still" in options.phases:
        scenes.append(_Scene("still", stills, options.detect_fps, True, options.phase_seconds))
    if "saturation" in options.phases:
        fps = saturation_fps(raw_fps, options)
        scenes.append(_Scene("saturation", clips, fps, False, options.phase_seconds, rtsp_url))
    return scenes


def mixed_cameras(
    moving: Sequence[BenchClip], stills: Sequence[BenchClip], cameras: int, still_share: float
) -> list[BenchClip]:
    """One clip per camera: the first ``round(still_share * cameras)`` show still scenes (as
    stairwells do most of the day), the others the moving clips, each list in turn."""
    still_count = round(still_share * cameras) if stills else 0
    return [stills[i % len(stills)] for i in range(still_count)] + [
        moving[i % len(moving)] for i in range(cameras - still_count)
    ]


def saturation_fps(raw_fps: float | None, options: BenchOptions) -> float:
    """Per-camera detect_fps asking :data:`SATURATION_DEMAND` times the model's frames/s of all
    cameras together (every frame, when the model was not measured or the cameras are too few).

    Asking much more would only time the conversion of frames that are then dropped."""
    source = float(options.fmt.fps)
    if raw_fps is None:
        return source
    return round(min(source, SATURATION_DEMAND * raw_fps / options.cameras), 2)


def _still(
    detector: OnnxDetector,
    mapper: KindMapper,
    clip: BenchClip,
    work: Path,
    index: int,
    options: BenchOptions,
) -> BenchClip:
    """A still scene of ``clip``: its frame with the fewest of our objects (ideally none, so
    the gate measures motion, not tracked objects kept under watch)."""
    found = detector.detect(list(clip.stills))
    counts = [len(mapper(detections)) for detections in found]
    image = clip.stills[counts.index(min(counts))]
    path = still_clip(image, work / f"{clip.name}_still.mp4", options.fmt, seed=index)
    return BenchClip(f"{clip.name}-still", path, clip.zones, clip.rules, (image,), min(counts))


def bench_settings(
    clips: Sequence[BenchClip], scene: _Scene, data_dir: Path, model: Path, options: BenchOptions
) -> Settings:
    """``options.cameras`` looping file cameras over ``clips`` in turn."""
    cameras = []
    for index in range(options.cameras):
        clip = clips[index % len(clips)]
        live = scene.rtsp_url is not None
        cameras.append(
            CameraConfig(
                id=f"cam{index + 1:02d}",
                name=f"{'rtsp' if live else clip.name} {index + 1}",
                source=SecretStr(scene.rtsp_url or str(clip.path)),
                detect_fps=scene.detect_fps,
                loop=True,
                motion=MotionConfig(enabled=scene.motion_gate),
                zones=[] if live else list(clip.zones),
                rules=None if live else clip.rules,
            )
        )
    return Settings(
        cameras=cameras,
        model=ModelConfig(path=model, class_map={k: list(v) for k, v in options.class_map.items()}),
        storage=StorageConfig(data_dir=data_dir),
        inference=InferenceConfig(
            batch_size=options.batch, max_wait_ms=options.max_wait_ms, workers=options.workers
        ),
    )


def run_service_alongside(
    detector: OnnxDetector,
    clips: Sequence[BenchClip],
    data_dir: Path,
    options: BenchOptions,
    alongside: Alongside,
) -> ServiceRun:
    """The ``service`` phase (``options.cameras`` cameras on ``clips`` at ``detect_fps``, motion
    gating on) with ``alongside(store)`` entered for its measured seconds, after the warm-up:
    e.g. a load on the dashboard over the store the service writes to. The store is the SQLite
    file under ``data_dir`` that :func:`bench_settings` names (it may be filled beforehand)."""
    scene = _Scene("service", clips, options.detect_fps, True, options.seconds)
    return _run_service(detector, scene, data_dir, options, alongside)


def _run_service(
    detector: OnnxDetector,
    scene: _Scene,
    data_dir: Path,
    options: BenchOptions,
    alongside: Alongside | None = None,
) -> ServiceRun:
    settings = bench_settings(scene.clips, scene, data_dir, detector.path, options)
    data_dir.mkdir(parents=True, exist_ok=True)
    store = EventStore.open(settings.storage.resolved_database_url(), data_dir / "media")
    alerts = AlertClock(store)
    due = scene.seconds * options.cameras * min(scene.detect_fps, options.fmt.fps)
    service = Service(
        settings, detector, detector.class_names, store, alerts.stored, round(due) + 1000
    )
    warmup = min(options.warmup_s, scene.seconds / 5)
    alerts.start()
    service.start()
    try:
        _tick(service, warmup, f"{scene.name} warm-up", options.progress)
        before, rss_start = service.health(), rss_mb()
        clips_start = _clip_stats(service)
        service.worker.frame_ages_s.clear()
        batches_before = service.worker.batches
        stored_before = len(alerts.stored_latencies())
        handed_before = len(alerts.channel.latencies())
        started, ticks_start, cpu_start = time.monotonic(), cpu_ticks(), read_cpu()
        own_start = time.process_time()
        status_ms: list[float] = []
        with alongside(store) if alongside is not None else contextlib.nullcontext():
            timeline = _tick(service, scene.seconds, scene.name, options.progress, status_ms)
        ticks_end, own_s = cpu_ticks(), time.process_time() - own_start
        elapsed, steal = time.monotonic() - started, steal_ratio(ticks_start, ticks_end)
        others = other_cores(ticks_start, ticks_end, own_s, elapsed)
        cpu_end = read_cpu()
        after, rss_end = service.health(), rss_mb()
        clips = _clip_counts(clips_start, _clip_stats(service))
        capacity = any(p.subject == "capacity" for p in service.problems())
        ages = sorted(service.worker.frame_ages_s)
        batches = service.worker.batches - batches_before
    finally:
        service.stop()
        time.sleep(HANDOFF_GRACE_S)  # alerts raised at the very end are still handed over
        alerts.stop()
        store.close()
    latencies = _Latencies(
        stored=alerts.stored_latencies()[stored_before:],
        handed=alerts.channel.latencies()[handed_before:],
    )
    run = _service_run(
        scene, before, after, elapsed, ages, latencies, [rss_start, *timeline[1:], rss_end]
    )
    cores = cores_by_group(cpu_start, cpu_end, elapsed) if cpu_start and cpu_end else None
    mean_batch = round(run.detections_run / batches, 2) if batches else None
    readers = (cores or {}).get("reader")
    return run.model_copy(
        update={
            "cpu_steal_ratio": steal,
            "other_cores": others,
            "cores_by_thread": cores,
            "mean_batch": mean_batch,
            "capacity_problem": capacity,
            "status_p95_ms": _quantile(sorted(status_ms), 0.95),
            "reader_cores_per_camera": (
                None if readers is None else round(readers / run.cameras, 5)
            ),
            "clips_filed": clips[0] if clips else None,
            "clips_remuxed": clips[1] if clips else None,
            "clip_encoder_ms_per_clip": _ms_per_clip(cores, elapsed, clips),
        }
    )


def _clip_stats(service: Service) -> ClipStats | None:
    return service.clips.stats() if service.clips is not None else None


def _clip_counts(start: ClipStats | None, end: ClipStats | None) -> tuple[int, int] | None:
    """Clips filed between two readings, and of them copied (remuxed)."""
    if start is None or end is None:
        return None
    return end.filed - start.filed, end.remuxed - start.remuxed


def _ms_per_clip(
    cores: dict[str, float] | None, seconds: float, clips: tuple[int, int] | None
) -> float | None:
    """CPU milliseconds the clip encoder thread spent per clip filed."""
    if not cores or "clip-encoder" not in cores or not clips or clips[0] == 0:
        return None
    return round(cores["clip-encoder"] * seconds * 1000.0 / clips[0], 1)


@dataclass(frozen=True)
class _Latencies:
    """Seconds from the capture of the frame on which a rule fired to the event stored, and to
    its notice handed to a channel."""

    stored: list[float]
    handed: list[float]


def _tick(
    service: Service,
    seconds: float,
    label: str,
    progress: bool,
    status_ms: list[float] | None = None,
) -> list[float]:
    """Wait ``seconds`` with a progress bar; returns the RSS (MiB) at every tenth of them.
    Every second the dashboard's camera and health answers are made as ``/api/cameras`` and
    ``/api/health`` make them, their time (ms) appended to ``status_ms``: is the service still
    responsive?"""
    statuses = ServiceCameraStatuses(service)
    timeline = [rss_mb()]
    rss_max = timeline[0]
    started = time.monotonic()
    end = started + seconds
    with tqdm(total=round(seconds), unit="s", desc=label, disable=not progress) as bar:
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(1.0, left))
            rss = rss_mb()
            rss_max = max(rss_max, rss)
            if time.monotonic() - started >= len(timeline) * seconds / RSS_POINTS:
                timeline.append(rss)
            asked = time.perf_counter()
            statuses.camera_statuses()
            statuses.service_health()
            if status_ms is not None:
                status_ms.append((time.perf_counter() - asked) * 1000.0)
            health = service.health()
            bar.set_postfix(
                det=sum(h.detections_run for h in health),
                dropped=sum(h.frames_dropped for h in health),
                rss=f"{rss_max:.0f}M",
            )
            bar.update(min(1, bar.total - bar.n))
    return timeline


def _service_run(
    scene: _Scene,
    before: list[HealthSnapshot],
    after: list[HealthSnapshot],
    elapsed: float,
    ages: list[float],
    latencies: _Latencies,
    rss: list[float],
) -> ServiceRun:
    def delta(name: str, cameras: Collection[str] | None = None) -> int:
        def total(snapshots: list[HealthSnapshot]) -> int:
            return sum(
                getattr(h, name) for h in snapshots if cameras is None or h.camera_id in cameras
            )

        return total(after) - total(before)

    empty = _empty_scene_cameras(scene, [h.camera_id for h in after])

    frames_in, due, run = delta("frames_in"), delta("detections_due"), delta("detections_run")
    return ServiceRun(
        scene=scene.name,
        source=_source(scene),
        cameras=len(after),
        detect_fps=scene.detect_fps,
        motion_gate=scene.motion_gate,
        seconds=round(elapsed, 2),
        frames_in=frames_in,
        detections_due=due,
        detections_run=run,
        detections_skipped=delta("detections_skipped"),
        frames_dropped=delta("frames_dropped"),
        detector_errors=delta("detector_errors"),
        detections_per_s=round(run / elapsed, 2) if elapsed > 0 else 0.0,
        due_detections_ratio=_ratio(run, due),
        due_ratio_min_camera=_min_camera_ratio(before, after),
        still_cameras=sum(1 for clip in scene.clips[: len(after)] if clip.objects is not None)
        if scene.name == "service"
        else 0,
        motion_skip_ratio=_ratio(delta("detections_skipped"), frames_in),
        cameras_with_objects=_cameras_with_objects(scene, len(after)),
        motion_skip_ratio_empty=_ratio(
            delta("detections_skipped", empty), delta("frames_in", empty)
        ),
        frame_age_p50_s=_quantile(ages, 0.5),
        frame_age_p95_s=_quantile(ages, 0.95),
        events_raised=len(latencies.stored),
        alerts_handed=len(latencies.handed),
        alert_latency_p95_s=_quantile(sorted(latencies.handed), 0.95),
        alert_stored_latency_p95_s=_quantile(sorted(latencies.stored), 0.95),
        rss_start_mb=rss[0],
        rss_end_mb=rss[-1],
        rss_max_mb=max(rss),
        rss_timeline_mb=rss,
    )


def _min_camera_ratio(before: list[HealthSnapshot], after: list[HealthSnapshot]) -> float | None:
    """The lowest share of its own due detections any camera got."""
    start = {h.camera_id: h for h in before}
    ratios = []
    for h in after:
        first = start.get(h.camera_id)
        due = h.detections_due - (first.detections_due if first else 0)
        run = h.detections_run - (first.detections_run if first else 0)
        if (ratio := _ratio(run, due)) is not None:
            ratios.append(ratio)
    return min(ratios, default=None)


def _empty_scene_cameras(scene: _Scene, camera_ids: list[str]) -> set[str]:
    """Cameras whose clip is known to show none of our objects (still scenes only), in the
    order :func:`bench_settings` assigns clips to cameras."""
    clips = scene.clips
    return {
        camera_id
        for index, camera_id in enumerate(camera_ids)
        if scene.rtsp_url is None and clips[index % len(clips)].objects == 0
    }


def _cameras_with_objects(scene: _Scene, cameras: int) -> int:
    clips = scene.clips
    return sum(1 for i in range(cameras) if (clips[i % len(clips)].objects or 0) > 0)


def _source(scene: _Scene) -> str:
    if scene.rtsp_url is not None:
        return "rtsp test pattern"
    return "still frames of the clips" if scene.name == "still" else "clips"


def _ratio(part: int, whole: int) -> float | None:
    return round(min(part / whole, 1.0), 4) if whole > 0 else None


def _quantile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    if len(sorted_values) == 1:
        return round(sorted_values[0], 3)
    cuts = statistics.quantiles(sorted_values, n=100, method="inclusive")
    return round(cuts[round(q * 100) - 1], 3)


def _result(
    detector: OnnxDetector,
    options: BenchOptions,
    raw_fps: tuple[float | None, float | None, float | None],
    runs: dict[str, ServiceRun],
) -> BenchResult:
    """``raw_fps``: at batch 1, at ``options.batch``, and at ``options.batch`` around the
    saturation run (the reference of ``efficiency``: this machine's speed drifts)."""
    raw1, raw, at_saturation = raw_fps
    service, still, saturation = runs.get("service"), runs.get("still"), runs.get("saturation")
    pipeline_fps = saturation.detections_per_s if saturation else None
    memory = service or still or saturation
    return BenchResult(
        machine=this_machine(),
        model=str(detector.path),
        model_input=_model_input(detector, options.fmt),
        batch=options.batch,
        workers=options.workers,
        threads_per_call=options.threads,
        cameras=options.cameras,
        width=options.fmt.width,
        height=options.fmt.height,
        source_fps=options.fmt.fps,
        source_codec=options.fmt.codec,
        detect_fps=options.detect_fps,
        raw_fps_batch1=raw1,
        raw_fps=raw,
        pipeline_fps=pipeline_fps,
        raw_fps_at_saturation=at_saturation,
        efficiency=(
            round(pipeline_fps / at_saturation, 3)
            if pipeline_fps is not None and at_saturation
            else None
        ),
        saturated=saturation.frames_dropped > 0 if saturation else None,
        due_detections_ratio=service.due_detections_ratio if service else None,
        due_ratio_min_camera=service.due_ratio_min_camera if service else None,
        frame_age_p95_s=service.frame_age_p95_s if service else None,
        motion_skip_ratio=still.motion_skip_ratio_empty if still else None,
        motion_skip_ratio_with_objects=still.motion_skip_ratio if still else None,
        alert_latency_p95_s=service.alert_latency_p95_s if service else None,
        alert_stored_latency_p95_s=service.alert_stored_latency_p95_s if service else None,
        rss_mb=memory.rss_end_mb if memory else None,
        rss_start_mb=memory.rss_start_mb if memory else None,
        rss_end_mb=memory.rss_end_mb if memory else None,
        rss_growth_ratio=(
            round((memory.rss_end_mb - memory.rss_start_mb) / memory.rss_start_mb, 4)
            if memory and memory.rss_start_mb > 0
            else None
        ),
        service=service,
        still=still,
        saturation=saturation,
    )


def _model_input(detector: OnnxDetector, fmt: ClipFormat) -> tuple[int, int]:
    """(width, height) in pixels of the model input the bench's frames run at."""
    width, height = detector.input_size_for(Size(fmt.width, fmt.height))
    return width, height
