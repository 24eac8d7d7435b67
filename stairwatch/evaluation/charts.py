"""The report's charts, drawn with matplotlib (Agg, no pyplot state) and returned as PNG bytes."""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from stairwatch.evaluation.matching import GRACE_S
from stairwatch.evaluation.metrics import EvalResult

TYPE_COLORS = {
    "ebike_parked": "#1f77b4",
    "ebike_in_elevator": "#9467bd",
    "flying_wire": "#ff7f0e",
    "shed_intrusion": "#e377c2",
    "exit_blocked": "#8c564b",
    "smoke_fire": "#d62728",
}
MATCHED = "#2ca02c"
FALSE_ALARM = "#d62728"


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def _color(event_type: str) -> str:
    return TYPE_COLORS.get(event_type, "#7f7f7f")


def precision_recall_chart(result: EvalResult) -> bytes:
    """Grouped bars: precision and recall per event type (n/a where undefined)."""
    fig = Figure(figsize=(6.4, 3.0))
    ax = fig.add_subplot()
    names = list(result.per_type)
    width = 0.36
    for offset, metric, color in (
        (-width / 2, "precision", "#4c72b0"),
        (width / 2, "recall", "#55a868"),
    ):
        values = [getattr(result.per_type[n], metric) for n in names]
        xs = [i + offset for i in range(len(names))]
        bars = ax.bar(xs, [v or 0.0 for v in values], width, label=metric, color=color)
        for bar, value in zip(bars, values, strict=True):
            label = "n/a" if value is None else f"{value:.2f}"
            ax.text(
                bar.get_x() + bar.get_width() / 2,
                (value or 0.0) + 0.02,
                label,
                ha="center",
                va="bottom",
                fontsize=8,
            )
    ax.set_xticks(range(len(names)), names)
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("score")
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), fontsize=8, ncols=2, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def latency_histogram(result: EvalResult) -> bytes:
    """Histogram of matched alerts' latency (seconds after the expected alert), stacked by type."""
    fig = Figure(figsize=(6.4, 2.8))
    ax = fig.add_subplot()
    by_type: dict[str, list[float]] = {}
    for clip in result.per_clip:
        for p in clip.predicted:
            if p.latency_s is not None:
                by_type.setdefault(p.type, []).append(p.latency_s)
    if by_type:
        names = sorted(by_type)
        ax.hist(
            [by_type[n] for n in names],
            bins=20,
            stacked=True,
            color=[_color(n) for n in names],
            label=names,
        )
        ax.axvline(0, color="#333333", linewidth=1, linestyle="--")
        ax.legend(fontsize=8, frameon=False, loc="best")
    else:
        ax.text(0.5, 0.5, "no matched alerts", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])
    ax.set_xlabel("latency (s): alert time - (start + expected delay)")
    ax.set_ylabel("alerts")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def timeline_chart(result: EvalResult) -> bytes:
    """One row per clip: truth intervals (bars, the +GRACE_S window pale) and alert ticks."""
    clips = result.per_clip
    fig = Figure(figsize=(9.0, 0.9 + 0.42 * len(clips)))
    ax = fig.add_subplot()
    for row, clip in enumerate(clips):
        y = len(clips) - 1 - row
        ax.plot([0, clip.duration_s], [y, y], color="#cccccc", linewidth=1, zorder=1)
        for t in clip.truth:
            color = _color(t.type)
            ax.broken_barh(
                [(t.start_s, t.end_s - t.start_s)],
                (y - 0.28, 0.56),
                color=color,
                alpha=0.75,
                zorder=2,
            )
            grace = min(GRACE_S, max(clip.duration_s - t.end_s, 0.0))  # no alert after the clip
            ax.broken_barh([(t.end_s, grace)], (y - 0.28, 0.56), color=color, alpha=0.2, zorder=2)
        for p in clip.predicted:
            ax.plot(
                [p.alert_s],
                [y],
                marker="|",
                markersize=16,
                markeredgewidth=2.5,
                color=MATCHED if p.matched else FALSE_ALARM,
                zorder=3,
            )
    ax.set_yticks(range(len(clips)), [c.clip for c in reversed(clips)], fontsize=8)
    ax.set_ylim(-0.7, len(clips) - 0.3)
    ax.set_xlim(left=0)
    ax.set_xlabel("seconds from clip start")
    handles = [
        *(Patch(color=c, alpha=0.75, label=n) for n, c in TYPE_COLORS.items()),
        Line2D(
            [],
            [],
            marker="|",
            linestyle="",
            color=MATCHED,
            markersize=10,
            markeredgewidth=2,
            label="alert (matched)",
        ),
        Line2D(
            [],
            [],
            marker="|",
            linestyle="",
            color=FALSE_ALARM,
            markersize=10,
            markeredgewidth=2,
            label="false alarm",
        ),
    ]
    ax.legend(
        handles=handles,
        fontsize=7,
        frameon=False,
        ncols=5,
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
    )
    ax.spines[["top", "right", "left"]].set_visible(False)
    return _png(fig)
