"""Privacy masks end to end: ``stairwatch run`` on a clip with a mask over a door, and
Chromium (Playwright) reading the pixels of the live picture and of the event's snapshot as
the dashboard shows them; the event's clip is decoded with PyAV. The masked area must be black
in all three, the rest of the picture not. Also the zone page drawing a mask.

Skips as the other browser tests do (no ``playwright`` package, no ``/usr/bin/chromium``).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import pytest
import yaml

from alerts.store import EventStore
from dashboard.app import create_app
from tests.camera_fakes import Cameras
from tests.media_helpers import write_static_clip
from tests.onnx_models import ultralytics_constant_model
from tests.test_dashboard_browser import _browser_page, browser  # noqa: F401 (a fixture)
from tests.web import free_port, serving

# The 320x180 clip: the door (top right) is masked; the e-bike box and the zone are below it.
DOOR = [[0.7, 0.1], [0.95, 0.1], [0.95, 0.45], [0.7, 0.45]]
INSIDE_DOOR = (228, 22, 300, 77)  # x0, y0, x1, y1 in pixels, a few pixels in from its edges
ELSEWHERE = (20, 20, 100, 60)  # top left: no zone, box or caption drawn there
BLACK_AT_MOST = 24  # JPEG and H.264 leave a little noise on black
LANDING = [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]

# (max of any channel inside ``a``, mean of ``b``) of an image element at its natural size.
PIXELS = """([selector, a, b]) => {
  const img = document.querySelector(selector);
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const g = canvas.getContext("2d");
  g.drawImage(img, 0, 0);
  const data = ([x0, y0, x1, y1]) => g.getImageData(x0, y0, x1 - x0, y1 - y0).data;
  const inside = data(a).filter((_, i) => i % 4 !== 3);
  const outside = data(b).filter((_, i) => i % 4 !== 3);
  return [Math.max(...inside), outside.reduce((s, v) => s + v, 0) / outside.length];
}"""


def _site(tmp_path: Path, port: int) -> Path:
    clip = write_static_clip(tmp_path / "landing.mp4", seconds=6.0)
    # Input 320x320: the 320x180 frame is letterboxed to rows 70..250; the box sits on the landing.
    model = ultralytics_constant_model(
        tmp_path / "always_ebike.onnx", [(120, 160, 200, 245)], [0], [0.9], ["ebike", "person"]
    )
    zone = {"name": "landing", "kind": "no_parking", "polygon": LANDING}
    config = {
        "cameras": [
            {
                "id": "landing",
                "source": str(clip),
                "loop": True,
                "zones": [{**zone, "rules": {"ebike_parked": {"dwell_s": 1.5}}}],
                "privacy_masks": [{"name": "door 301", "polygon": DOOR}],
            }
        ],
        "model": {"path": str(model)},
        "storage": {"data_dir": str(tmp_path / "data")},
        "server": {"port": port},
        "clips": {"pre_s": 1.0, "post_s": 1.0},
    }
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def running(tmp_path: Path) -> Iterator[str]:
    """``stairwatch run`` serving at the returned base URL until the test ends."""
    port = free_port()
    cmd = [sys.executable, "-m", "stairwatch", "run", "--config", str(_site(tmp_path, port))]
    proc = subprocess.Popen([*cmd, "--duration", "60"], stdout=subprocess.PIPE, text=True)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def _event_with_clip(base: str) -> str:
    """The first event's id once its clip is filed."""
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        try:
            events = httpx.get(f"{base}/api/events", timeout=2).json()
        except httpx.HTTPError:
            events = []
        if events and events[0].get("clip_path"):
            return str(events[0]["id"])
        time.sleep(0.3)
    raise AssertionError("no event with a clip within 45 s")


def _clip_frames(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def _region(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x0, y0, x1, y1 = box
    return image[y0:y1, x0:x1]


def test_mask_hides_its_area_in_live_picture_snapshot_and_clip(
    browser: Any,  # noqa: F811
    running: str,
) -> None:
    event_id = _event_with_clip(running)
    with _browser_page(browser, "en-GB") as page:
        page.goto(f"{running}/live?lang=en")
        live = '[data-camera="landing"] img'
        page.wait_for_function(f"() => document.querySelector('{live}').naturalWidth > 0")
        inside, outside = page.evaluate(PIXELS, [live, INSIDE_DOOR, ELSEWHERE])
        assert inside <= BLACK_AT_MOST < 60 <= outside, "live picture"
        page.goto(f"{running}/?lang=en")
        snapshot = f'article.event[data-id="{event_id}"] img'
        page.wait_for_function(f"() => document.querySelector('{snapshot}').naturalWidth > 0")
        inside, outside = page.evaluate(PIXELS, [snapshot, INSIDE_DOOR, ELSEWHERE])
        assert inside <= BLACK_AT_MOST < 60 <= outside, "snapshot"
        clip = page.request.get(f"{running}/api/events/{event_id}/clip.mp4")
        assert clip.status == 200
        frames = _clip_frames(clip.body())
    assert frames and frames[0].shape == (180, 320, 3)
    for frame in frames:
        assert _region(frame, INSIDE_DOOR).max() <= BLACK_AT_MOST
        assert _region(frame, ELSEWHERE).mean() >= 60


def test_zone_page_shows_masks_and_draws_a_new_one(
    browser: Any,  # noqa: F811
    store: EventStore,
) -> None:
    cameras = Cameras()
    app = create_app(store, cameras, pictures=cameras, zones=cameras)
    with _browser_page(browser, "zh-CN") as page, serving(app) as base:
        page.goto(f"{base}/cameras/cam-3f/zones?lang=zh-CN")
        page.wait_for_function("() => document.getElementById('canvas').width > 0")
        masks = json.loads(page.text_content("#masks") or "[]")
        assert [m["name"] for m in masks] == ["door 301"]
        assert page.is_hidden("#detect-field")
        page.select_option("#draw-what", "mask")
        assert page.is_hidden("#kind-field") and page.is_visible("#detect-field")
        page.fill("#zone-name", "301 门")
        page.check("#detect-through")
        box = page.locator("#canvas").bounding_box()
        for x, y in [(0.1, 0.1), (0.3, 0.1), (0.3, 0.4)]:
            page.mouse.click(box["x"] + x * box["width"], box["y"] + y * box["height"])
        lines = page.input_value("#yaml").splitlines()
    assert lines[0] == '- name: "301 门"' and lines[2] == "  detect_through: true"
    polygon = json.loads(lines[1].removeprefix("  polygon: "))
    assert polygon == [pytest.approx(p, abs=0.01) for p in [[0.1, 0.1], [0.3, 0.1], [0.3, 0.4]]]
