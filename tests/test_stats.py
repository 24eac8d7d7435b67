"""Alert statistics (issue 19): the pure computation over rows (parameter tables), the period
and CSV helpers, and ``GET /api/stats``, ``/api/stats.csv`` and ``/stats`` over a real store."""

from __future__ import annotations

import base64
import csv
import io
import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from alerts.events import EventType
from alerts.notify_config import PatrolGroupConfig
from alerts.reviews import FalseAlarmReason, ReviewInput, Verdict
from alerts.stats import (
    BUSIEST_CAMERAS,
    NO_GROUP,
    AlertStats,
    StatsRow,
    compute_stats,
    percentiles,
    stats_rows,
)
from alerts.store import EventStore
from alerts.stored import CameraInfo
from alerts.summary_chart import cjk_font
from dashboard.app import create_app
from dashboard.auth import Role, hash_password
from dashboard.i18n import Texts
from dashboard.schemas import DashboardSettings, DashboardUser
from dashboard.stats import CSV_HEADER, stats_csv_rows, stats_period
from dashboard.stats_charts import stats_charts
from tests.test_patroller import add_event
from tests.web import LOCAL

TZ = ZoneInfo("Asia/Shanghai")
START, END = date(2026, 12, 1), date(2026, 12, 3)
PARKED, LIFT, WIRE = EventType.EBIKE_PARKED, EventType.EBIKE_IN_ELEVATOR, EventType.FLYING_WIRE
FAST = 1_000  # PBKDF2 iterations in tests


def at(text: str) -> float:
    """``"12-01 08:30"`` (2026, Shanghai time) as Unix seconds."""
    return datetime.strptime(f"2026-{text}", "%Y-%m-%d %H:%M").replace(tzinfo=TZ).timestamp()


def row(
    when: str = "12-01 08:30",
    camera: str = "c1",
    building: str = "1",
    floor: str = "1F",
    type_: EventType = PARKED,
    ack_after: float | None = None,
    resolve_after: float | None = None,
    verdict: Verdict | None = None,
    name: str | None = None,
) -> StatsRow:
    alert = at(when)
    return StatsRow(
        camera_id=camera,
        camera_name=name or f"Camera {camera}",
        building=building,
        floor=floor,
        type=type_,
        alert_ts=alert,
        acknowledged_at=None if ack_after is None else alert + ack_after,
        resolved_at=None if resolve_after is None else alert + resolve_after,
        verdict=verdict,
    )


def group(name: str, buildings: list[str], floors: list[str] | None = None) -> PatrolGroupConfig:
    return PatrolGroupConfig(name=name, buildings=buildings, floors=floors, channels=["x"])


def stats_of(rows: list[StatsRow], groups: list[PatrolGroupConfig] | None = None) -> AlertStats:
    return compute_stats(rows, START, END, TZ, groups or [])


# -- the pure computation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], (None, None)),
        ([60.0], (60.0, 60.0)),
        ([10.0, 20.0], (15.0, 19.0)),
        ([30.0, 10.0, 20.0], (20.0, 28.0)),
        ([float(v) for v in range(10, 101, 10)], (55.0, 91.0)),
    ],
)
def test_percentiles(values: list[float], expected: tuple[float | None, float | None]) -> None:
    median, p90 = percentiles(values)
    assert (median, p90) == (pytest.approx(expected[0]), pytest.approx(expected[1]))


@pytest.mark.parametrize(
    ("rows", "by_type", "by_building", "total"),
    [
        ([], {}, {}, 0),
        (
            [row("12-01 08:30"), row("12-01 09:00", type_=LIFT), row("12-03 23:59")],
            {"ebike_parked": [1, 0, 1], "ebike_in_elevator": [1, 0, 0]},
            {"1": [2, 0, 1]},
            3,
        ),
        (  # local days: 00:00 Shanghai is the day before in UTC; outside the range is dropped
            [row("12-01 00:00"), row("11-30 23:59"), row("12-04 00:00"), row("12-02 07:59")],
            {"ebike_parked": [1, 1, 0]},
            {"1": [1, 1, 0]},
            2,
        ),
        (  # types in a fixed order, buildings by name, "" for none given
            [row(type_=WIRE, building="B"), row(type_=PARKED, building=""), row(building="A")],
            {"ebike_parked": [2, 0, 0], "flying_wire": [1, 0, 0]},
            {"": [1, 0, 0], "A": [1, 0, 0], "B": [1, 0, 0]},
            3,
        ),
    ],
    ids=["empty", "days-and-types", "local-day-edges", "ordering"],
)
def test_alerts_per_day(
    rows: list[StatsRow],
    by_type: dict[str, list[int]],
    by_building: dict[str, list[int]],
    total: int,
) -> None:
    stats = stats_of(rows)
    assert stats.days == [date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)]
    assert {s.key: s.counts for s in stats.by_type} == by_type
    assert list({s.key: s.counts for s in stats.by_type}) == list(by_type)
    assert [(s.key, s.counts) for s in stats.by_building] == list(by_building.items())
    assert stats.total == total == sum(stats.by_hour)


@pytest.mark.parametrize(
    ("groups", "rows", "expected"),
    [
        (  # no groups configured: every event in one bucket
            [],
            [row(ack_after=60, resolve_after=600), row(ack_after=120), row()],
            [(NO_GROUP, 3, 2, 90.0, 114.0, 1, 600.0, 600.0)],
        ),
        (  # two groups by building; an event no group owns gets its own bucket
            [group("east", ["1"]), group("west", ["2"])],
            [
                row(building="1", ack_after=30, resolve_after=300),
                row(building="1", ack_after=90, resolve_after=900),
                row(building="2", resolve_after=60),
                row(building="9", ack_after=5),
            ],
            [
                ("east", 2, 2, 60.0, 84.0, 2, 600.0, 840.0),
                ("west", 1, 0, None, None, 1, 60.0, 60.0),
                (NO_GROUP, 1, 1, 5.0, 5.0, 0, None, None),
            ],
        ),
        (  # "*" owns every building; floors narrow a group; overlapping groups both count
            [group("all", ["*"]), group("lobby", ["1"], ["1F"])],
            [row(floor="1F", ack_after=10), row(floor="5F", ack_after=50)],
            [
                ("all", 2, 2, 30.0, 46.0, 0, None, None),
                ("lobby", 1, 1, 10.0, 10.0, 0, None, None),
            ],
        ),
        (  # a group with no alerts in the range is still listed
            [group("quiet", ["7"])],
            [row(building="1")],
            [
                ("quiet", 0, 0, None, None, 0, None, None),
                (NO_GROUP, 1, 0, None, None, 0, None, None),
            ],
        ),
    ],
    ids=["no-groups", "by-building", "wildcard-floors-overlap", "quiet-group"],
)
def test_response_times_per_patrol_group(
    groups: list[PatrolGroupConfig], rows: list[StatsRow], expected: list[tuple[object, ...]]
) -> None:
    got = [
        (
            t.group,
            t.alerts,
            t.acknowledged,
            t.acknowledge_median_s,
            t.acknowledge_p90_s,
            t.resolved,
            t.resolve_median_s,
            t.resolve_p90_s,
        )
        for t in stats_of(rows, groups).response_times
    ]
    assert got == expected


@pytest.mark.parametrize(
    ("rows", "cameras", "hours"),
    [
        (
            [
                row("12-01 08:10", camera="b"),
                row("12-01 08:50", camera="a"),
                row("12-02 23:00", camera="b", name="Renamed b"),
            ],
            [("b", "Renamed b", 2), ("a", "Camera a", 1)],  # the latest name; ties by id
            {8: 2, 23: 1},
        ),
        (
            [row(f"12-01 {h:02d}:00", camera=f"cam{h:02d}") for h in range(12)],
            [(f"cam{h:02d}", f"Camera cam{h:02d}", 1) for h in range(BUSIEST_CAMERAS)],
            {h: 1 for h in range(12)},
        ),
    ],
    ids=["ranked", "top-ten"],
)
def test_busiest_cameras_and_hours(
    rows: list[StatsRow], cameras: list[tuple[str, str, int]], hours: dict[int, int]
) -> None:
    stats = stats_of(rows)
    assert [(c.camera_id, c.camera_name, c.alerts) for c in stats.busiest_cameras] == cameras
    assert stats.by_hour == [hours.get(h, 0) for h in range(24)]


FALSE, TRUE = Verdict.FALSE_ALARM, Verdict.CONFIRMED


@pytest.mark.parametrize(
    ("rows", "shares"),
    [
        ([row(), row(camera="c2")], []),  # no verdicts yet: nothing to share
        (
            [
                row(camera="a", verdict=FALSE),
                row(camera="a", verdict=TRUE),
                row(camera="a"),  # unreviewed events do not count
                row(camera="b", verdict=FALSE),
                row(camera="c", verdict=TRUE),
            ],
            [("b", 1, 1, 1.0), ("a", 2, 1, 0.5), ("c", 1, 0, 0.0)],
        ),
    ],
    ids=["no-verdicts", "worst-first"],
)
def test_false_alarm_share_per_camera(
    rows: list[StatsRow], shares: list[tuple[str, int, int, float]]
) -> None:
    got = [(s.camera_id, s.reviewed, s.false_alarms, s.share) for s in stats_of(rows).false_alarms]
    assert got == shares


TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, (date(2026, 12, 1), TODAY)),
        (date(2026, 11, 1), None, (date(2026, 11, 1), date(2026, 11, 7))),
        (date(2026, 12, 5), None, (date(2026, 12, 5), TODAY)),
        (None, date(2026, 6, 30), (date(2026, 6, 24), date(2026, 6, 30))),
        (date(2026, 12, 7), date(2026, 12, 7), (TODAY, TODAY)),
        (date(2025, 12, 7), date(2026, 12, 7), (date(2025, 12, 7), TODAY)),  # 366 days
        (date(2026, 12, 8), date(2026, 12, 7), ValueError),
        (date(2025, 12, 6), date(2026, 12, 7), ValueError),  # 367 days
    ],
)
def test_stats_period(
    start: date | None, end: date | None, expected: tuple[date, date] | type[Exception]
) -> None:
    if isinstance(expected, tuple):
        assert stats_period(start, end, TODAY) == expected
    else:
        with pytest.raises(expected):
            stats_period(start, end, TODAY)


def test_csv_rows_hold_every_number() -> None:
    rows = [
        row("12-01 08:30", ack_after=60, resolve_after=90, verdict=FALSE),
        row("12-02 09:00", type_=LIFT, building="2"),
    ]
    lines = stats_csv_rows(stats_of(rows, [group("east", ["1"])]))
    assert all(len(line) == len(CSV_HEADER) for line in lines)
    for expected in (
        ["alerts_by_type", "ebike_parked", "", "2026-12-01", "1"],
        ["alerts_by_type", "ebike_in_elevator", "", "2026-12-02", "1"],
        ["alerts_by_building", "2", "", "2026-12-03", "0"],
        ["response_times", "east", "", "acknowledge_median_s", "60.000"],
        ["response_times", "east", "", "resolved", "1"],
        ["response_times", NO_GROUP, "", "resolve_p90_s", ""],
        ["busiest_cameras", "c1", "Camera c1", "", "2"],
        ["alerts_by_hour", "", "", "08", "1"],
        ["false_alarms", "c1", "Camera c1", "share", "1.000"],
    ):
        assert expected in lines


@pytest.mark.skipif(cjk_font() is None, reason="no CJK font installed (fonts-wqy-microhei)")
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_charts_are_svg_with_real_glyphs(lang: str) -> None:
    """Text is drawn as glyph paths: Chinese ones from the CJK font, never missing boxes."""
    rows = [row(name="3F 楼梯间", verdict=FALSE), row(camera="c2", type_=WIRE, building="5号楼")]
    charts = stats_charts(stats_of(rows), Texts(lang))  # type: ignore[arg-type]
    assert [c.id for c in charts] == [
        "per_day_type",
        "per_day_building",
        "response",
        "cameras",
        "hours",
        "false_share",
    ]
    for chart in charts:
        prefix, payload = chart.src.split(",", 1)
        assert prefix == "data:image/svg+xml;base64"
        svg = base64.b64decode(payload).decode()
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    cameras = base64.b64decode(charts[3].src.split(",", 1)[1]).decode()
    fonts = set(re.findall(r'id="([A-Za-z]+)-[0-9a-f]+"', cameras))
    assert {"DejaVuSans", cjk_font().replace(" ", "")} <= fonts  # type: ignore[union-attr]


# -- the routes over a real store ---------------------------------------------------------------


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def filled(tmp_path: Path) -> tuple[EventStore, Clock]:
    """Three alerts on 12-01 and 12-02 (Shanghai): acknowledged after 60 s and 180 s,
    one resolved after 600 s and called a false alarm."""
    clock = Clock(at("12-01 08:00"))
    store = EventStore.open(f"sqlite:///{tmp_path / 'e.db'}", tmp_path / "media", clock=clock)
    stairs = CameraInfo("cam-3f", "=3F 楼梯间", "3号楼", "3F")
    lift = CameraInfo("cam-lift", "2号电梯", "5号楼", "B1")
    first = add_event(store, stairs, at("12-01 08:30"), PARKED)
    second = add_event(store, lift, at("12-02 21:15"), LIFT)
    add_event(store, stairs, at("12-02 21:45"), PARKED)
    for event_id, alert, after in ((first, "12-01 08:30", 60), (second, "12-02 21:15", 180)):
        clock.now = at(alert) + after
        store.acknowledge(event_id, "otto")
    clock.now = at("12-01 08:30") + 600
    review = ReviewInput(verdict=Verdict.FALSE_ALARM, reason=FalseAlarmReason.BICYCLE)
    store.review(first, "otto", review)
    clock.now = at("12-07 12:00")
    yield store, clock
    store.close()


@pytest.fixture
def client(filled: tuple[EventStore, Clock]):
    store, clock = filled
    settings = DashboardSettings(timezone="Asia/Shanghai", default_lang="en")
    app = create_app(
        store, settings=settings, patrol_groups=[group("east", ["3号楼"])], clock=clock
    )
    with TestClient(app, base_url=LOCAL) as c:
        yield c


def test_stats_rows_read_the_range(filled: tuple[EventStore, Clock]) -> None:
    store, _ = filled
    rows = stats_rows(store.engine, at("12-02 00:00"), at("12-03 00:00"))
    assert [(r.camera_id, r.type, r.verdict) for r in rows] == [
        ("cam-lift", LIFT, None),
        ("cam-3f", PARKED, None),
    ]
    assert rows[0].acknowledged_at == at("12-02 21:15") + 180


def test_api_stats_json(client: TestClient) -> None:
    response = client.get("/api/stats", params={"start": "2026-12-01", "end": "2026-12-02"})
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["start"] == "2026-12-01" and body["days"] == ["2026-12-01", "2026-12-02"]
    assert body["total"] == 3
    assert body["by_type"] == [
        {"key": "ebike_parked", "counts": [1, 1]},
        {"key": "ebike_in_elevator", "counts": [0, 1]},
    ]
    assert body["by_building"] == [
        {"key": "3号楼", "counts": [1, 1]},
        {"key": "5号楼", "counts": [0, 1]},
    ]
    east, rest = body["response_times"]
    assert (east["group"], east["alerts"], east["acknowledged"]) == ("east", 2, 1)
    assert east["acknowledge_median_s"] == 60.0 and east["resolve_median_s"] == 600.0
    assert (rest["group"], rest["acknowledge_p90_s"]) == ("", 180.0)
    assert body["busiest_cameras"][0] == {
        "camera_id": "cam-3f",
        "camera_name": "=3F 楼梯间",
        "alerts": 2,
    }
    assert body["by_hour"][8] == 1 and body["by_hour"][21] == 2
    assert body["false_alarms"] == [
        {
            "camera_id": "cam-3f",
            "camera_name": "=3F 楼梯间",
            "reviewed": 1,
            "false_alarms": 1,
            "share": 1.0,
        }
    ]


def test_api_stats_defaults_to_the_last_week(client: TestClient) -> None:
    body = client.get("/api/stats").json()
    assert (body["start"], body["end"], body["total"]) == ("2026-12-01", "2026-12-07", 3)


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-12-05", "end": "2026-12-01"},
        {"start": "2024-01-01", "end": "2026-12-01"},
        {"start": "yesterday"},
        {"end": "2026-13-01"},
        {"start": "0001-01-01"},
        {"end": "9999-12-31"},
    ],
)
def test_api_stats_refuses_bad_ranges(client: TestClient, params: dict[str, str]) -> None:
    for path in ("/api/stats", "/api/stats.csv", "/stats"):
        assert client.get(path, params=params).status_code == 422


def test_api_stats_csv(client: TestClient) -> None:
    response = client.get("/api/stats.csv", params={"start": "2026-12-01", "end": "2026-12-02"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "stairwatch-stats-2026-12-01-2026-12-02.csv" in response.headers["content-disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert lines[0] == list(CSV_HEADER)
    assert ["alerts_by_type", "ebike_in_elevator", "", "2026-12-02", "1"] in lines
    assert ["busiest_cameras", "cam-3f", "'=3F 楼梯间", "", "2"] in lines  # no formula
    assert ["response_times", "east", "", "resolve_median_s", "600.000"] in lines


@pytest.mark.parametrize(
    ("lang", "titles"),
    [
        ("en", ["Alerts per day by type", "Busiest cameras", "False-alarm share per camera"]),
        ("zh-CN", ["每日告警（按类型）", "告警最多的摄像头", "误报比例（按摄像头）"]),
    ],
)
def test_stats_page(client: TestClient, lang: str, titles: list[str]) -> None:
    page = client.get("/stats", params={"lang": lang, "start": "2026-12-01", "end": "2026-12-02"})
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    for title in titles:
        assert title in page.text
    assert page.text.count('src="data:image/svg+xml;base64,') == 6
    assert "/api/stats.csv?start=2026-12-01&amp;end=2026-12-02" in page.text
    assert 'id="stats-total">3<' in page.text
    index = client.get("/", params={"lang": lang}).text
    assert f'href="/stats?lang={lang}"' in index


def test_stats_need_a_viewer(filled: tuple[EventStore, Clock]) -> None:
    store, _ = filled
    vera = DashboardUser(
        name="vera", role=Role.VIEWER, password_hash=SecretStr(hash_password("viewer-pw", FAST))
    )
    settings = DashboardSettings(users=(vera,), session_secret="s" * 32)
    basic = {"Authorization": "Basic " + base64.b64encode(b"vera:viewer-pw").decode()}
    with TestClient(create_app(store, settings=settings), base_url=LOCAL) as client:
        for path in ("/api/stats", "/api/stats.csv"):
            assert client.get(path).status_code == 401
            assert client.get(path, headers=basic).status_code == 200
        page = client.get("/stats", headers={"Accept": "text/html"}, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
