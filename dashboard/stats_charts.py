"""The statistics page's charts, drawn by matplotlib on the server as SVG (nothing is fetched by
the browser: the page embeds them as ``data:`` images, which its CSP allows).

matplotlib's object API (no pyplot state) keeps it safe from any request thread. Text is drawn
as paths, so the browser needs no font; labels use DejaVu Sans with a CJK font as fallback (camera
and building names may be Chinese on the English page too).
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from alerts.events import EventType
from alerts.stats import NO_GROUP, AlertStats, DaySeries
from alerts.summary_chart import COLORS, cjk_font
from dashboard.i18n import Texts

SIZE_IN = (7.5, 3.4)  # inches; at 100 dpi about 750 x 340 px
SECONDS_PER_MINUTE = 60.0
MAX_DAY_TICKS = 12  # day labels on the x axis; longer ranges label every n-th day
BUILDING_COLORS = ("#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#5d4037")
RESPONSE_BARS = (
    ("stats_ack_median", "acknowledge_median_s", "#90caf9"),
    ("stats_ack_p90", "acknowledge_p90_s", "#1565c0"),
    ("stats_resolve_median", "resolve_median_s", "#a5d6a7"),
    ("stats_resolve_p90", "resolve_p90_s", "#2e7d32"),
)


@dataclass(frozen=True)
class Chart:
    """One chart for the page: ``id`` names it in the page, ``src`` is a ``data:`` SVG URL."""

    id: str
    title: str
    src: str


def stats_charts(stats: AlertStats, texts: Texts) -> list[Chart]:
    """The page's six charts, titled in the page's language."""
    drawers: list[tuple[str, Callable[[Axes, AlertStats, Texts], None]]] = [
        ("per_day_type", _per_day_by_type),
        ("per_day_building", _per_day_by_building),
        ("response", _response_times),
        ("cameras", _busiest_cameras),
        ("hours", _by_hour),
        ("false_share", _false_share),
    ]
    return [
        Chart(name, texts(f"chart_{name}"), _svg_data_url(draw, stats, texts))
        for name, draw in drawers
    ]


def font_families() -> list[str]:
    """Latin glyphs from DejaVu Sans, the rest from an installed CJK font (if any)."""
    cjk = cjk_font()
    return ["DejaVu Sans", cjk] if cjk else ["DejaVu Sans"]


def _svg_data_url(
    draw: Callable[[Axes, AlertStats, Texts], None], stats: AlertStats, texts: Texts
) -> str:
    figure = Figure(figsize=SIZE_IN, dpi=100)
    FigureCanvasSVG(figure)
    axes = figure.subplots()
    draw(axes, stats, texts)
    _use_fonts(figure)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _use_fonts(figure: Figure) -> None:
    families = font_families()
    for text in figure.findobj(lambda artist: hasattr(artist, "set_fontfamily")):
        text.set_fontfamily(families)  # type: ignore[attr-defined]  # findobj keeps Text only


def _empty(axes: Axes, message: str) -> None:
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes)
    axes.set_xticks([])
    axes.set_yticks([])


def _stacked_days(
    axes: Axes,
    stats: AlertStats,
    series: Sequence[DaySeries],
    label: Callable[[str], str],
    texts: Texts,
) -> None:
    axes.set_ylabel(texts("stats_alerts"))
    if not series:
        _empty(axes, texts("stats_empty"))
        return
    positions = range(len(stats.days))
    bottoms = [0] * len(stats.days)
    for i, line in enumerate(series):
        color = _series_color(i, line.key)
        axes.bar(positions, line.counts, bottom=bottoms, label=label(line.key), color=color)
        bottoms = [b + n for b, n in zip(bottoms, line.counts, strict=True)]
    step = max(1, math.ceil(len(stats.days) / MAX_DAY_TICKS))
    shown = positions[::step]
    axes.set_xticks(shown, [stats.days[i].strftime("%m-%d") for i in shown])
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(loc="best", fontsize="small")


def _series_color(index: int, key: str) -> str:
    if key in {t.value for t in EventType}:
        return COLORS[EventType(key)]
    return BUILDING_COLORS[index % len(BUILDING_COLORS)]


def _per_day_by_type(axes: Axes, stats: AlertStats, texts: Texts) -> None:
    by_type = stats.by_type
    _stacked_days(axes, stats, by_type, lambda key: texts.event_type(EventType(key)), texts)


def _per_day_by_building(axes: Axes, stats: AlertStats, texts: Texts) -> None:
    by_building = stats.by_building
    _stacked_days(axes, stats, by_building, lambda key: key or texts("stats_no_building"), texts)


def _response_times(axes: Axes, stats: AlertStats, texts: Texts) -> None:
    groups = [t for t in stats.response_times if t.alerts]
    if not groups:
        _empty(axes, texts("stats_empty"))
        return
    names = [t.group if t.group != NO_GROUP else texts("stats_no_group") for t in groups]
    width = 0.8 / len(RESPONSE_BARS)
    for i, (key, field, color) in enumerate(RESPONSE_BARS):
        minutes = [(getattr(t, field) or 0.0) / SECONDS_PER_MINUTE for t in groups]
        offsets = [g + (i - 1.5) * width for g in range(len(groups))]
        axes.bar(offsets, minutes, width, label=texts(key), color=color)
    axes.set_xticks(range(len(groups)), names)
    axes.set_ylabel(texts("stats_minutes"))
    axes.legend(loc="best", fontsize="small")


def _busiest_cameras(axes: Axes, stats: AlertStats, texts: Texts) -> None:
    cameras = list(reversed(stats.busiest_cameras))  # the busiest on top
    if not cameras:
        _empty(axes, texts("stats_empty"))
        return
    axes.barh([c.camera_name for c in cameras], [c.alerts for c in cameras], color="#c62828")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel(texts("stats_alerts"))


def _by_hour(axes: Axes, stats: AlertStats, texts: Texts) -> None:
    axes.bar(range(24), stats.by_hour, color="#ef6c00")
    axes.set_xticks(range(0, 24, 2))
    axes.set_xlim(-0.6, 23.6)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel(texts("stats_hour"))
    axes.set_ylabel(texts("stats_alerts"))


def _false_share(axes: Axes, stats: AlertStats, texts: Texts) -> None:
    cameras = list(reversed(stats.false_alarms))
    if not cameras:
        _empty(axes, texts("stats_no_reviews"))
        return
    names = [f"{c.camera_name} ({c.false_alarms}/{c.reviewed})" for c in cameras]
    axes.barh(names, [c.share for c in cameras], color="#6a1b9a")
    axes.set_xlim(0, 1)
    axes.xaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_xlabel(texts("stats_share"))
