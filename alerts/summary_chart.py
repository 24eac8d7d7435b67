"""The daily summary's chart: alerts per building, stacked by event type, as a PNG.

Uses matplotlib's object API on the Agg canvas (no pyplot state, safe from any thread). Chinese
labels need a CJK font; without one installed (e.g. Debian's ``fonts-noto-cjk``) the chart
falls back to English labels rather than showing empty boxes.
"""

from __future__ import annotations

import contextlib
import io
from functools import cache

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from alerts.events import EventType
from alerts.notify_config import Language
from alerts.render import BuildingCount

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",  # Debian's fonts-wqy-microhei
    "Noto Sans CJK JP",
)
LABELS: dict[Language, dict[str, str]] = {
    "en": {
        EventType.EBIKE_PARKED: "E-bike parked",
        EventType.EBIKE_IN_ELEVATOR: "E-bike in elevator",
        EventType.FLYING_WIRE: "Flying wire",
        EventType.CAMERA_TAMPERED: "Camera tampered",
        EventType.CAMERA_OFFLINE: "Camera offline",
        EventType.SHED_INTRUSION: "Person in closed shed",
        EventType.EXIT_BLOCKED: "Exit blocked",
        EventType.NODE_OFFLINE: "Node offline",
        EventType.SMOKE_FIRE: "Smoke or fire",
        "title": "Alerts per building, {day}",
        "building": "Building {name}",
        "none": "(none)",
        "empty": "No alerts",
    },
    "zh-CN": {
        EventType.EBIKE_PARKED: "电动车违停",
        EventType.EBIKE_IN_ELEVATOR: "电动车进电梯",
        EventType.FLYING_WIRE: "飞线充电",
        EventType.CAMERA_TAMPERED: "摄像头被遮挡",
        EventType.CAMERA_OFFLINE: "摄像头离线",
        EventType.SHED_INTRUSION: "车棚非开放时段有人",
        EventType.EXIT_BLOCKED: "安全出口被堵",
        EventType.NODE_OFFLINE: "节点离线",
        EventType.SMOKE_FIRE: "冒烟起火",
        "title": "{day} 各楼栋告警",
        "building": "{name}号楼",
        "none": "未指定",
        "empty": "无告警",
    },
}
COLORS = {
    EventType.EBIKE_PARKED: "#f9a825",
    EventType.EBIKE_IN_ELEVATOR: "#c62828",
    EventType.FLYING_WIRE: "#6a1b9a",
    EventType.CAMERA_TAMPERED: "#546e7a",
    EventType.CAMERA_OFFLINE: "#90a4ae",
    EventType.SHED_INTRUSION: "#ad1457",
    EventType.EXIT_BLOCKED: "#ef6c00",
    EventType.NODE_OFFLINE: "#78909c",
    EventType.SMOKE_FIRE: "#ff3d00",
}


@cache
def cjk_font() -> str | None:
    """The name of an installed CJK font, or None."""
    found = _known_cjk_font()
    if found is None:
        _add_fonts_installed_since_the_cache()
        found = _known_cjk_font()
    return found


def _known_cjk_font() -> str | None:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def _add_fonts_installed_since_the_cache() -> None:
    """matplotlib lists the system's fonts once and caches the list: a font package installed
    later (``fonts-wqy-microhei`` by ``.ci/run``) is not in it until it is added."""
    known = {f.fname for f in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        if path not in known:
            with contextlib.suppress(Exception):  # an unreadable font is just not used
                font_manager.fontManager.addfont(path)


def render_chart(buildings: list[BuildingCount], day: str, language: Language) -> bytes:
    """PNG bytes (about 800 x 450 px) of a stacked bar per building."""
    font = cjk_font()
    lang: Language = language if language == "en" or font is not None else "en"
    family = font if lang != "en" and font is not None else "DejaVu Sans"
    labels = LABELS[lang]
    figure = Figure(figsize=(8, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    names = [
        labels["building"].format(name=b.name) if b.name else labels["none"] for b in buildings
    ]
    bottoms = [0] * len(buildings)
    for event_type in EventType:
        values = [dict(b.types).get(event_type.value, 0) for b in buildings]
        if any(values):
            color = COLORS[event_type]
            axes.bar(names, values, bottom=bottoms, label=labels[event_type], color=color)
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    if buildings:
        axes.legend(loc="upper right", prop={"family": family, "size": "small"})
    else:
        empty = axes.text(0.5, 0.5, labels["empty"], ha="center", va="center", fontfamily=family)
        empty.set_transform(axes.transAxes)
    axes.set_title(labels["title"].format(day=day), fontfamily=family)
    axes.set_ylabel("#")
    for tick in axes.get_xticklabels():
        tick.set_fontfamily(family)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
