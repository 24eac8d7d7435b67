"""The shed panel and the residents' public page in a real browser (Playwright on the system's
Chromium, uvicorn over a real store), in both languages. Skips as tests/test_dashboard_browser.py
does when Playwright or Chromium is missing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerts.occupancy import ShedPlace
from alerts.rules.shed_spots import ShedOccupancy, SpotState
from alerts.store import EventStore
from dashboard.app import create_app
from tests.test_dashboard_browser import _browser_page, browser  # noqa: F401 (a fixture)
from tests.web import serving
from vision.kinds import ObjectKind

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/chromium").is_file(), reason="/usr/bin/chromium is missing"
)

EBIKE, BICYCLE = ObjectKind.EBIKE, ObjectKind.BICYCLE


def spots(*occupants: ObjectKind | None) -> tuple[SpotState, ...]:
    return tuple(SpotState(f"A{i + 1}", o) for i, o in enumerate(occupants))


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("sheds")
    store = EventStore.open(f"sqlite:///{root / 'events.db'}", root / "media")
    now = time.time()
    place = ShedPlace("cam-shed", "North shed cam", "3")
    for ago, occupants in [(5 * 3600, (None, None, None)), (3600, (EBIKE, None, None))]:
        store.sheds.record(place, [ShedOccupancy("north", spots(*occupants))], now - ago)
    store.sheds.record(place, [ShedOccupancy("north", spots(EBIKE, BICYCLE, None))], now - 20)
    try:
        with serving(create_app(store)) as url:
            yield url
    finally:
        store.close()


@pytest.mark.parametrize(
    ("lang", "heading", "count", "chips"),
    [
        ("zh-CN", "车棚充电位", "空闲 1 / 共 3", ["A1 · 电动车", "A2 · 自行车", "A3 · 空闲"]),
        ("en", "Shed charging spots", "1 of 3 free", ["A1 · e-bike", "A2 · bicycle", "A3 · free"]),
    ],
)
def test_shed_panel_shows_spots_and_draws_the_day(
    browser: Any,  # noqa: F811 (the fixture imported above)
    base: str,
    lang: str,
    heading: str,
    count: str,
    chips: list[str],
) -> None:
    with _browser_page(browser, lang) as page:
        page.goto(f"{base}/?lang={lang}")
        panel = page.locator("#sheds")
        assert panel.locator("h2").inner_text() == heading
        assert panel.locator(".shed h3").inner_text().startswith("North shed cam · north")
        assert panel.locator(".shed-count").inner_text() == count
        assert panel.locator(".spot").all_inner_texts() == chips
        page.wait_for_selector("#sheds figure.shed-chart svg polyline")
        points = page.get_attribute("#sheds polyline", "points") or ""
        assert len(points.split()) >= 5  # three samples as steps, to now


@pytest.mark.parametrize(
    ("lang", "title", "line"),
    [
        ("zh-CN", "车棚空闲充电位", "3号楼 north 空闲 1 / 共 3"),
        ("en", "Free charging spots in the bike sheds", "Building 3, north 1 of 3 free"),
    ],
)
def test_public_page_in_a_browser(
    browser: Any,  # noqa: F811
    base: str,
    lang: str,
    title: str,
    line: str,
) -> None:
    with _browser_page(browser, lang) as page:
        page.goto(f"{base}/public/sheds")  # no sign-in, the browser's language
        assert page.title() == title
        assert " ".join(page.locator(".public-shed").inner_text().split()) == line
        assert page.locator("img, video, script").count() == 0
