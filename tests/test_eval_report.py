"""The HTML report: self-contained, every section present, empty cases render too."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pytest

from alerts.events import Box, EventType
from alerts.params import RuleParams
from stairwatch.evaluation.matching import PredictedEvent, TruthEvent, match_events
from stairwatch.evaluation.metrics import (
    ClipResult,
    EvalResult,
    FrameMetrics,
    Speed,
    clip_result,
    format_summary,
    summarize,
)
from stairwatch.evaluation.report import render_report, write_report
from stairwatch.evaluation.thumbnails import Outcome, Thumbnail, annotate, encode_jpeg
from vision.zones import Zone, ZoneKind

PARKED, WIRE = EventType.EBIKE_PARKED, EventType.FLYING_WIRE
LANDING = Zone(
    "landing", ZoneKind.NO_PARKING, ((0.05, 0.55), (0.95, 0.55), (0.95, 1.0), (0.05, 1.0))
)


def _clip(
    name: str, duration: float, predicted: list[PredictedEvent], truth: list[TruthEvent]
) -> ClipResult:
    matching = match_events(predicted, truth, RuleParams())
    return clip_result(name, duration, int(duration * 2), predicted, truth, matching)


def sample_result(frames: FrameMetrics | None) -> EvalResult:
    box = Box(0.3, 0.5, 0.6, 0.95)
    clips = [
        _clip(
            "stairwell_parked.mp4",
            120.0,
            [PredictedEvent(PARKED, "landing", 74.0, 0.8, box)],
            [TruthEvent(PARKED, "landing", 12.0, 80.0)],
        ),
        _clip(
            "corridor_wire.mp4",
            90.0,
            [
                PredictedEvent(WIRE, None, 30.0, 0.6, box),
                PredictedEvent(WIRE, None, 70.0, 0.5, box),
            ],
            [TruthEvent(WIRE, None, 20.0, 40.0), TruthEvent(PARKED, "landing", 50.0, 85.0)],
        ),
        _clip("empty_hall.mp4", 60.0, [], []),
    ]
    return summarize(
        clips, "models/test.onnx", frames, Speed(frames=540, wall_s=9.0, x_realtime=30.0)
    )


def sample_thumbnails() -> list[Thumbnail]:
    image = np.full((270, 480, 3), 90, np.uint8)
    fa = encode_jpeg(annotate(image, Box(0.3, 0.5, 0.6, 0.95), None))
    miss = encode_jpeg(annotate(image, None, LANDING))
    return [
        Thumbnail("corridor_wire.mp4", Outcome.FALSE_ALARM, WIRE, None, 70.0, fa),
        Thumbnail("corridor_wire.mp4", Outcome.MISS, PARKED, "landing", 67.5, miss),
    ]


SECTIONS = ["per-type", "latency", "timeline", "false-alarms", "misses", "per-clip"]


@pytest.mark.parametrize(
    ("frames", "with_thumbs"),
    [
        pytest.param(
            FrameMetrics(map50=0.9, per_class_ap50={"ebike": 0.9}, images=4, boxes=5), True
        ),
        pytest.param(None, False),
    ],
)
def test_report_has_every_section(frames: FrameMetrics | None, with_thumbs: bool) -> None:
    result = sample_result(frames)
    html = render_report(result, sample_thumbnails() if with_thumbs else [])
    for section in SECTIONS:
        assert f'id="{section}"' in html
    assert ('id="frames"' in html) == (frames is not None)
    charts = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(charts) == 3
    assert all(base64.b64decode(c).startswith(b"\x89PNG") for c in charts)
    jpegs = re.findall(r'src="data:image/jpeg;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(jpegs) == (2 if with_thumbs else 0)
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert "stairwell_parked.mp4" in html and "corridor_wire.mp4" in html


def test_report_without_any_event_renders(tmp_path: Path) -> None:
    result = summarize(
        [_clip("quiet.mp4", 30.0, [], [])],
        "m.onnx",
        None,
        Speed(frames=0, wall_s=0.0, x_realtime=None),
    )
    out = tmp_path / "sub" / "report.html"
    write_report(out, result, [])
    html = out.read_text(encoding="utf-8")
    assert all(f'id="{s}"' in html for s in SECTIONS)


def test_summary_numbers_and_table() -> None:
    result = sample_result(None)
    assert (result.overall.tp, result.overall.fp, result.overall.fn) == (2, 1, 1)
    assert result.per_type["ebike_parked"].latency_s is not None
    assert result.per_type["ebike_in_elevator"].precision is None
    assert result.per_type["ebike_in_elevator"].recall is None
    assert result.per_type["ebike_in_elevator"].f1 is None
    assert result.false_alarms_per_hour == pytest.approx(1 / (270 / 3600), abs=1e-3)
    text = format_summary(result)
    assert "ebike_parked" in text and "empty_hall.mp4" in text
