"""What ``stairwatch bench`` reports (``--json``), and the summary it prints."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from stairwatch.bench.machine import Machine

ALERT_LATENCY_NOTE = (
    "alert latencies run from the capture of the frame on which a rule fired; "
    "alert_latency_p95_s ends when the real outbox dispatcher hands the new-event notice to a "
    "channel (an in-process feed channel that sends nothing; the dispatcher polls every 0.25 s), "
    "alert_stored_latency_p95_s when the event and its snapshot are stored"
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ServiceRun(_Frozen):
    """One run of the whole service on looping file cameras, counted after a warm-up.

    Ratios are None when their denominator is zero; times in seconds, memory in MiB.
    """

    scene: str  # service, still (one frame of each clip, with sensor noise) or saturation
    source: str  # the clips, their still frames, or the RTSP test pattern (--rtsp)
    cameras: int
    detect_fps: float
    motion_gate: bool
    seconds: float
    frames_in: int
    detections_due: int
    detections_run: int
    detections_skipped: int
    frames_dropped: int
    detector_errors: int
    detections_per_s: float
    due_detections_ratio: float | None
    # The worst camera's share of its own due detections: under overload, how evenly the box
    # degrades (equal to due_detections_ratio when every camera gets the same share).
    due_ratio_min_camera: float | None = None
    still_cameras: int = 0  # cameras showing a still scene (--still-share), the rest move
    capacity_problem: bool = False  # the service reported a capacity problem during the run
    # Milliseconds to answer what /api/cameras and /api/health ask, once a second (p95).
    status_p95_ms: float | None = None
    motion_skip_ratio: float | None
    cameras_with_objects: int  # still scenes: cameras whose scene shows our objects
    motion_skip_ratio_empty: float | None  # over the other cameras only
    frame_age_p50_s: float | None
    frame_age_p95_s: float | None
    events_raised: int
    alerts_handed: int
    alert_latency_p95_s: float | None
    alert_stored_latency_p95_s: float | None
    rss_start_mb: float
    rss_end_mb: float
    rss_max_mb: float  # the highest of the timeline
    rss_timeline_mb: list[float]  # after the warm-up, then every tenth of the run
    cpu_steal_ratio: float | None = None  # CPU time the hypervisor took away during the run
    other_cores: float | None = None  # cores other processes kept busy during the run
    # Cores each thread group kept busy on average (reader, inference, clip-encoder, native:
    # onnxruntime's and FFmpeg's own threads, exited: threads that ended during the run).
    cores_by_thread: dict[str, float] | None = None
    mean_batch: float | None = None  # frames per detector call (the model alone runs full ones)
    reader_cores_per_camera: float | None = None  # the reader threads' cores over the cameras
    # Event clips filed during the run and of them copied from the cameras' own H.264 rather
    # than decoded and encoded again (None without clips); the clip encoder thread's CPU
    # milliseconds per clip filed.
    clips_filed: int | None = None
    clips_remuxed: int | None = None
    clip_encoder_ms_per_clip: float | None = None


class BenchResult(_Frozen):
    machine: Machine
    model: str
    model_input: tuple[int, int]
    batch: int
    workers: int  # inference threads of the service; the model alone is called by as many
    threads_per_call: int | None  # onnxruntime threads of each call (None: onnxruntime's choice)
    cameras: int
    width: int
    height: int
    source_fps: int
    source_codec: str = "h264"  # the cameras' stream (--codec)
    detect_fps: float
    raw_fps_batch1: float | None
    raw_fps: float | None  # at ``batch``
    raw_fps_at_saturation: float | None  # at ``batch``: the mean of just before and just after
    pipeline_fps: float | None  # detections/s of the whole service asked for more than it can do
    efficiency: float | None  # pipeline_fps / raw_fps_at_saturation
    saturated: bool | None  # frames were dropped in the saturation run (the worker was the limit)
    due_detections_ratio: float | None
    due_ratio_min_camera: float | None = None
    frame_age_p95_s: float | None
    # Still scenes: frames kept from the detector over frames sampled, on scenes without our
    # objects; and on all still scenes (objects in view are detected at detect_fps by design).
    motion_skip_ratio: float | None
    motion_skip_ratio_with_objects: float | None
    alert_latency_p95_s: float | None
    alert_stored_latency_p95_s: float | None
    alert_latency_note: str = ALERT_LATENCY_NOTE
    rss_mb: float | None
    rss_start_mb: float | None
    rss_end_mb: float | None
    rss_growth_ratio: float | None  # (end - start) / start over the service run
    service: ServiceRun | None
    still: ServiceRun | None
    saturation: ServiceRun | None


def _fmt(value: float | None, spec: str = ".2f") -> str:
    return "n/a" if value is None else format(value, spec)


def format_summary(result: BenchResult) -> str:
    m = result.machine
    lines = [
        f"machine: {m.cpu_model}, {m.cores} cores, onnxruntime {m.onnxruntime}",
        f"model: {result.model} (input {result.model_input[0]}x{result.model_input[1]})",
        f"model alone: {_fmt(result.raw_fps_batch1, '.1f')} fps at batch 1, "
        f"{_fmt(result.raw_fps, '.1f')} fps at batch {result.batch} "
        f"({result.workers} caller(s) at once, {result.threads_per_call or 'auto'} thread(s) each)",
    ]
    for run in (result.service, result.still, result.saturation):
        if run is None:
            continue
        lines.append(
            f"{run.scene} ({run.source}) x{run.cameras} @ {run.detect_fps:g} fps"
            f"{' gated' if run.motion_gate else ''}: {run.detections_per_s:.1f} det/s, "
            f"due run {_fmt(run.due_detections_ratio, '.1%')} "
            f"(worst camera {_fmt(run.due_ratio_min_camera, '.1%')}), "
            f"{'capacity problem raised, ' if run.capacity_problem else ''}"
            f"status answered in {_fmt(run.status_p95_ms, '.1f')} ms p95, "
            f"{f'{run.still_cameras} still cameras, ' if run.still_cameras else ''}"
            f"motion skipped {_fmt(run.motion_skip_ratio, '.1%')} "
            f"({_fmt(run.motion_skip_ratio_empty, '.1%')} without objects in view), "
            f"frame age p95 {_fmt(run.frame_age_p95_s)} s, dropped {run.frames_dropped}, "
            f"events {run.events_raised} (alert p95 {_fmt(run.alert_latency_p95_s)} s), "
            f"RSS {run.rss_start_mb:.0f} -> {run.rss_end_mb:.0f} MiB, "
            f"CPU stolen by the hypervisor {_fmt(run.cpu_steal_ratio, '.1%')}, "
            f"other processes {_fmt(run.other_cores, '.2f')} cores"
        )
        if run.cores_by_thread:
            busy = ", ".join(f"{name} {cores:.2f}" for name, cores in run.cores_by_thread.items())
            per_camera = _fmt(run.reader_cores_per_camera, ".4f")
            lines.append(f"  cores busy by thread: {busy}; readers per camera {per_camera}")
        if run.clips_filed is not None:
            lines.append(
                f"  clips filed {run.clips_filed}, {run.clips_remuxed} of them copied; clip "
                f"encoder {_fmt(run.clip_encoder_ms_per_clip, '.1f')} ms of CPU a clip"
            )
    lines.append(
        f"pipeline {_fmt(result.pipeline_fps, '.1f')} det/s saturated, model alone "
        f"{_fmt(result.raw_fps_at_saturation, '.1f')} fps around it: "
        f"efficiency {_fmt(result.efficiency)}"
    )
    return "\n".join(lines)
