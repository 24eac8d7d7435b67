"""``--report OUT.html``: one self-contained page (inline CSS, images as base64 data URIs)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path

import jinja2

from stairwatch.evaluation.charts import latency_histogram, precision_recall_chart, timeline_chart
from stairwatch.evaluation.matching import GRACE_S
from stairwatch.evaluation.metrics import EvalResult
from stairwatch.evaluation.thumbnails import Outcome, Thumbnail

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>stairwatch evaluation</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       max-width: 1100px; margin: 24px auto; padding: 0 20px; }
h1 { font-size: 22px; margin-bottom: 2px; }
h2 { font-size: 17px; margin-top: 30px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.sub { color: #666; margin-top: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 16px 0; }
.card { border: 1px solid #e3e3e3; border-radius: 6px; padding: 8px 14px;
        flex: 1 1 0; min-width: 96px; }
.card b { display: block; font-size: 20px; } .card span { color: #666; font-size: 12px; }
table { border-collapse: collapse; margin: 8px 0; } th, td { padding: 4px 10px; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
tr:nth-child(even) td { background: #fafafa; }
img.chart { max-width: 100%; }
.thumbs { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; border: 1px solid #e3e3e3; border-radius: 6px; padding: 6px; width: 360px; }
figure img { width: 360px; display: block; }
figcaption { font-size: 12px; color: #444; margin-top: 4px; }
.fa { color: #d62728; } .miss { color: #c26a00; } .none { color: #888; font-style: italic; }
</style></head><body>
{% macro card(value, label) %}<div class="card"><b>{{ value }}</b><span>{{ label }}</span></div>
{% endmacro %}
{% macro row(cells) %}<tr>{% for c in cells %}<td>{{ c }}</td>{% endfor %}</tr>{% endmacro %}
{% macro head(cells) %}<tr>{% for c in cells %}<th>{{ c }}</th>{% endfor %}</tr>{% endmacro %}
{% macro thumbs(items, css, note) %}
{% if items %}<div class="thumbs">{% for t in items %}<figure>
<img alt="{{ css }}" src="data:image/jpeg;base64,{{ t.data }}">
<figcaption><span class="{{ css }}">{{ t.type }}</span>{% if t.zone %} in {{ t.zone }}{% endif %}
&middot; {{ t.clip }} @ {{ "%.1f"|format(t.t) }} s{{ note }}</figcaption></figure>
{% endfor %}</div>{% else %}<p class="none">none</p>{% endif %}
{% endmacro %}
<h1>stairwatch evaluation</h1>
<p class="sub">model <code>{{ r.model }}</code> &middot; {{ r.clips }} clips &middot;
{{ "%.1f"|format(r.duration_s) }} s of video</p>
<div class="cards">
{{ card(num(r.overall.precision), "precision") }}
{{ card(num(r.overall.recall), "recall") }}
{{ card(num(r.overall.f1), "F1") }}
{{ card("%d / %d / %d"|format(r.overall.tp, r.overall.fp, r.overall.fn), "TP / FP / FN") }}
{{ card(num(r.false_alarms_per_hour, 2), "false alarms per hour") }}
{% if r.frames %}{{ card(num(r.frames.map50), "frame mAP50") }}{% endif %}
{{ card(num(r.speed.x_realtime, 1) ~ "×", "real time (%d frames)"|format(r.speed.frames)) }}
</div>

<h2 id="per-type">Per event type</h2>
<table>{{ head(["type", "TP", "FP", "FN", "precision", "recall", "F1",
                "latency mean (s)", "latency p95 (s)"]) }}
{% for name, s in r.per_type.items() %}{{ row([name, s.tp, s.fp, s.fn,
    num(s.precision), num(s.recall), num(s.f1),
    num(s.latency_s.mean if s.latency_s else None, 1),
    num(s.latency_s.p95 if s.latency_s else None, 1)]) }}
{% endfor %}</table>
<img class="chart" alt="precision and recall per type" src="data:image/png;base64,{{ charts.pr }}">

<h2 id="latency">Latency</h2>
<p class="sub">Seconds from the expected alert (truth start + the rule's dwell) to the alert.</p>
<img class="chart" alt="latency histogram" src="data:image/png;base64,{{ charts.latency }}">

<h2 id="timeline">Timeline</h2>
<p class="sub">Bars: true events (pale: the {{ grace }} s grace after the end). Ticks: alerts.</p>
<img class="chart" alt="timeline per clip" src="data:image/png;base64,{{ charts.timeline }}">

<h2 id="false-alarms">False alarms ({{ false_alarms|length }})</h2>
{{ thumbs(false_alarms, "fa", "") }}

<h2 id="misses">Misses ({{ misses|length }})</h2>
{{ thumbs(misses, "miss", " (middle of the event)") }}

<h2 id="per-clip">Per clip</h2>
<table>{{ head(["clip", "duration (s)", "frames", "TP", "FP", "FN", "alerts (s)"]) }}
{% for c in r.per_clip %}<tr><td>{{ c.clip }}</td><td>{{ "%.1f"|format(c.duration_s) }}</td>
<td>{{ c.frames }}</td><td>{{ c.tp }}</td><td>{{ c.fp }}</td><td>{{ c.fn }}</td><td>
{% for p in c.predicted %}<span class="{{ '' if p.matched else 'fa' }}">{{ p.type }}
{{ "%.1f"|format(p.alert_s) }}</span>{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>
{% endfor %}</table>

{% if r.frames %}<h2 id="frames">Frame-level detection</h2>
<p class="sub">Boxed frames: {{ r.frames.images }}; true boxes: {{ r.frames.boxes }}.
AP at IoU 0.5 per kind, from the model's classes mapped to our kinds.</p>
<table>{{ head(["kind", "AP50"]) }}
{% for k, v in r.frames.per_class_ap50.items() %}{{ row([k, num(v)]) }}{% endfor %}
{{ row(["mAP50", num(r.frames.map50)]) }}</table>{% endif %}
<p class="sub" style="margin-top:30px">Speed: {{ r.speed.frames }} frames in
{{ "%.1f"|format(r.speed.wall_s) }} s.</p>
</body></html>
"""


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def render_report(result: EvalResult, thumbnails: Sequence[Thumbnail]) -> str:
    """The HTML page for ``result`` with every false alarm's and miss's thumbnail."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(_TEMPLATE)

    def view(outcome: Outcome) -> list[dict[str, object]]:
        return [
            {"clip": t.clip, "type": t.type.value, "zone": t.zone, "t": t.t, "data": _b64(t.jpeg)}
            for t in thumbnails
            if t.outcome == outcome
        ]

    charts = {
        "pr": _b64(precision_recall_chart(result)),
        "latency": _b64(latency_histogram(result)),
        "timeline": _b64(timeline_chart(result)),
    }
    return template.render(
        r=result,
        charts=charts,
        false_alarms=view(Outcome.FALSE_ALARM),
        misses=view(Outcome.MISS),
        grace=f"{GRACE_S:g}",
        num=_num,
    )


def write_report(path: Path, result: EvalResult, thumbnails: Sequence[Thumbnail]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(result, thumbnails), encoding="utf-8")
