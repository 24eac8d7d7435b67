"""Finding alerts in a real browser (issue 19): the filter bar puts the filter in the URL, the
page shows only what matches, "more" pages on by cursor, the back button returns to the view
before, and a shared link opens the same view. Chromium through Playwright, as
``test_dashboard_browser``; skips the same way."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from alerts.events import EventType
from alerts.store import EventStore
from alerts.stored import CameraInfo
from dashboard.app import create_app
from dashboard.schemas import DashboardSettings
from tests.records import parked_record
from tests.test_dashboard_browser import (  # noqa: F401 (browser: a fixture)
    _browser_page,
    _card_ids,
    browser,
    pytestmark,
)
from tests.test_find_events import tiny_jpeg
from tests.web import serving

BUILDINGS = ("1号楼", "2号楼")


@pytest.fixture
def site(store: EventStore) -> Iterator[tuple[str, dict[str, list[str]]]]:
    """Five events in each building, a minute apart; pages of two cards."""
    now = time.time()
    ids: dict[str, list[str]] = {b: [] for b in BUILDINGS}
    for i in range(10):
        building = BUILDINGS[i % 2]
        camera = CameraInfo(f"cam-{i % 2}", f"Stairs {i % 2}", building, "3F")
        record = parked_record(f"k{i}", camera.id, "stair", now - 60 * i, EventType.EBIKE_PARKED)
        ids[building].append(store.record_raised(record, camera, tiny_jpeg()).id)  # newest first
    settings = DashboardSettings(default_lang="en", page_size=2, refresh_s=1)
    with serving(create_app(store, settings=settings)) as base:
        yield base, ids


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_filter_page_back_and_share(
    browser: Any,  # noqa: F811 (the fixture imported above)
    site: tuple[str, dict[str, list[str]]],
) -> None:
    base, ids = site
    with _browser_page(browser, "en-GB") as page:
        page.goto(f"{base}/?lang=en")
        assert len(_card_ids(page)) == 2
        page.select_option('#filter-bar select[name="building"]', "2号楼")  # applies at once
        page.wait_for_url("**building=*")
        query = query_of(page.url)
        assert query == {"lang": ["en"], "building": ["2号楼"]}, "untouched fields stay out"
        assert _card_ids(page) == ids["2号楼"][:2]

        page.click("nav.paging a.more")
        page.wait_for_url("**cursor=*")
        assert query_of(page.url)["building"] == ["2号楼"]
        assert _card_ids(page) == ids["2号楼"][2:4]
        page.wait_for_timeout(1500)  # a refresh of the page's list keeps its filter and page
        assert _card_ids(page) == ids["2号楼"][2:4]
        second_page = page.url
        page.click("nav.paging a.more")
        page.wait_for_url(lambda url: url != second_page)
        assert _card_ids(page) == ids["2号楼"][4:]
        assert page.locator("nav.paging a.more").count() == 0, "the last page"

        page.go_back()
        page.go_back()
        page.wait_for_function("() => !location.search.includes('cursor')")
        assert _card_ids(page) == ids["2号楼"][:2]
        assert page.input_value('#filter-bar select[name="building"]') == "2号楼"

        shared = f"{base}/?lang=zh-CN&building=1号楼&verdict=none"
        page.goto(shared)
        assert _card_ids(page) == ids["1号楼"][:2]
        assert page.input_value('#filter-bar select[name="verdict"]') == "none"
        assert page.locator('#filter-bar option[value="none"]').inner_text() == "未判定"

        # The events are from the last ten minutes: yesterday to today holds them all.
        today = date.today()
        since, until = str(today - timedelta(days=1)), str(today)
        page.fill('#filter-bar input[name="from"]', since)
        page.fill('#filter-bar input[name="to"]', until)
        page.click('#filter-bar button[type="submit"]')
        page.wait_for_url("**to=*")
        assert query_of(page.url)["from"] == [since] and query_of(page.url)["to"] == [until]
        assert _card_ids(page) == ids["1号楼"][:2], "the other filters stay"
        assert page.get_attribute('#filter-bar input[name="to"]', "min") == since
