"""Issue 19 in a real browser (the system's Chromium through Playwright, as
``test_dashboard_browser``): the statistics page draws its charts in both languages, and the
patroller's phone page sends "on my way" and a resolve with a photo through its real form."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from alerts.events import EventType
from alerts.links import sign_link
from alerts.reviews import FalseAlarmReason, ReviewInput, Verdict
from alerts.store import EventStore
from alerts.stored import CameraInfo
from dashboard.app import create_app
from dashboard.schemas import DashboardSettings
from tests.test_dashboard_browser import GLYPHS_DRAWN, _browser_page, browser  # noqa: F401
from tests.test_patroller import add_event
from tests.web import serving

SECRET = "patrol-link-secret-for-the-browser"
CHART_IDS = ["per_day_type", "per_day_building", "response", "cameras", "hours", "false_share"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, EventStore]]:
    root = tmp_path_factory.mktemp("stats-browser")
    store = EventStore.open(f"sqlite:///{root / 'events.db'}", root / "media")
    stairs = CameraInfo("cam-3f", "3F 楼梯间", "3号楼", "3F")
    lift = CameraInfo("cam-lift", "2号电梯", "5号楼", "B1")
    now = time.time()
    for n in range(6):
        camera = stairs if n % 2 else lift
        kind = EventType.EBIKE_PARKED if n % 2 else EventType.EBIKE_IN_ELEVATOR
        event_id = add_event(store, camera, now - 3600 * (n + 1), kind)
        if n % 3 == 0:
            store.acknowledge(event_id, "otto")
            review = ReviewInput(verdict=Verdict.FALSE_ALARM, reason=FalseAlarmReason.BICYCLE)
            store.review(event_id, "otto", review)
    settings = DashboardSettings(link_secret=SECRET)
    try:
        with serving(create_app(store, settings=settings)) as base:
            yield base, store
    finally:
        store.close()


def _inked_colors(png: bytes) -> int:
    """How many distinct colours a screenshot holds (a blank or broken image has one or two)."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)
    return len(np.unique(pixels, axis=0))


@pytest.mark.parametrize(
    ("lang", "caption"),
    [("zh-CN", "每日告警（按类型）"), ("en", "Alerts per day by type")],
)
def test_stats_page_renders_its_charts(
    browser: Any,  # noqa: F811
    site: tuple[str, EventStore],
    tmp_path: Path,
    lang: str,
    caption: str,
) -> None:
    base, _ = site
    with _browser_page(browser, lang) as page:
        page.goto(f"{base}/?lang={lang}")
        page.click(f"a[href='/stats?lang={lang}']")
        page.wait_for_function(
            "() => { const imgs = Array.from(document.querySelectorAll('.chart img'));"
            " return imgs.length === 6 && imgs.every(i => i.complete && i.naturalWidth > 0); }"
        )
        ids = page.eval_on_selector_all(".chart", "charts => charts.map(c => c.id)")
        assert ids == [f"chart-{name}" for name in CHART_IDS]
        assert page.locator(".chart figcaption").first.inner_text() == caption
        assert page.inner_text("#stats-total") == "6"
        for name in CHART_IDS:
            drawn = page.locator(f"#chart-{name} img").screenshot()
            assert _inked_colors(drawn) > 20, f"chart {name} looks blank"
        if lang == "zh-CN":
            glyphs = page.locator(".chart figcaption").first.evaluate(GLYPHS_DRAWN)
            assert glyphs["ink"] and glyphs["differs"], "the caption is drawn as boxes"
        page.screenshot(path=str(tmp_path / f"stats-{lang}.png"), full_page=True)


def _photo_file(tmp_path: Path) -> Path:
    """A noisy PNG of about 200 KiB: larger than the body limit of every other route."""
    noise = np.random.default_rng(7).integers(0, 255, (240, 300, 3), dtype=np.uint8)
    path = tmp_path / "place.png"
    Image.fromarray(noise).save(path)
    assert path.stat().st_size > 64 * 1024
    return path


def test_patroller_heads_there_then_resolves_with_a_photo(
    browser: Any,  # noqa: F811
    site: tuple[str, EventStore],
    tmp_path: Path,
) -> None:
    base, store = site
    camera = CameraInfo("cam-b1", "B1 车库", "3号楼", "B1")
    event_id = add_event(store, camera, time.time() - 60, EventType.EBIKE_PARKED)
    url = f"{base}/p/{sign_link(event_id, time.time() + 3600, SECRET)}?lang=en"
    photo = _photo_file(tmp_path)
    with _browser_page(browser, "en") as page:
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(url)
        page.fill("#name", "Wang Wei")
        page.set_input_files("#photo", str(photo))  # chosen early: "on my way" leaves it out
        page.click("button:has-text('On my way')")
        page.wait_for_url("**done=on_my_way**")
        assert "patroller:Wang Wei" in page.inner_text("dd.on-way")
        assert store.get(event_id).photo_path is None
        page.fill("#note", "bike moved to the shed")
        page.set_input_files("#photo", str(photo))
        page.click("button:has-text('Resolve')")
        page.wait_for_url("**done=resolve**")
        page.wait_for_function(
            "() => { const i = document.querySelector('a.photo img');"
            " return i && i.complete && i.naturalWidth === 300; }"
        )
    event = store.get(event_id)
    assert event.resolved_by == "patroller:Wang Wei" and event.photo_path is not None
    with _browser_page(browser, "en") as page:
        page.goto(f"{base}/?lang=en")
        card = page.locator(f"article.event[data-id='{event_id}']")
        assert "patroller:Wang Wei" in card.locator("dd.on-way").inner_text()
        assert card.locator("a.photo").get_attribute("href") == f"/api/events/{event_id}/photo.jpg"
