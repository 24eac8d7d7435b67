"""Notice texts from the Jinja2 templates in ``alerts/templates/<language>/``.

Each template sets ``title`` at its top level and renders a body in the small markdown subset of
:class:`~alerts.notices.Notice`. :func:`markdown_to_html` turns that subset into e-mail HTML.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from alerts.events import detail_key
from alerts.links import link_url, sign_link
from alerts.notices import EventBrief, Notice, NoticeKind
from alerts.notify_config import Language
from alerts.stored import StoredEvent

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
DIGEST_MAX_LINES = 20  # a phone screen or two; the full list is in the structured payload
# The strictest robot (WeCom markdown, 4096 bytes) must get a digest whole, never cut mid-line.
DIGEST_MAX_BYTES = 4000


@dataclass(frozen=True)
class LinkMaker:
    """Signs ``/p/{token}`` links valid for ``ttl`` from the moment a notice is rendered."""

    public_url: str
    secret: str
    ttl: timedelta

    def event_link(self, event_id: str, now: float) -> str:
        token = sign_link(event_id, now + self.ttl.total_seconds(), self.secret)
        return link_url(self.public_url, token)

    def snapshot_url(self, event_id: str, now: float) -> str:
        return self.event_link(event_id, now) + "/snapshot.jpg"


@dataclass(frozen=True)
class DigestEntry:
    """One line of a digest: an event, and whether it is a reminder rather than news."""

    event: StoredEvent
    reminder: bool


@dataclass(frozen=True)
class BuildingCount:
    """Alerts of one building in a summary, total and per event type (most first)."""

    name: str
    total: int
    types: tuple[tuple[str, int], ...]


class NoticeRenderer:
    """Renders notices in a group's language; ``tz`` None means the machine's local time."""

    def __init__(self, tz: tzinfo | None = None, links: LinkMaker | None = None) -> None:
        self._tz = tz
        self._links = links
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATE_DIR),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            autoescape=False,  # markdown for chat robots; HTML is escaped in markdown_to_html
        )
        self._env.filters["detail_key"] = _detail_key

    def event_notice(
        self, kind: NoticeKind, event: StoredEvent, group: str, language: Language, now: float
    ) -> Notice:
        """An alert, reminder, ended or escalation notice about one event."""
        brief = self.brief(event, now)
        waited = timedelta(seconds=round(max(0.0, now - event.created_at)))
        title, body = self._render(
            f"{language}/alert.md.j2",
            kind=kind.value,
            e=brief,
            since=self.local_time(event.start_ts, now),
            ended=self.local_time(event.end_ts, now) if event.end_ts is not None else "",
            waited=_short_duration(waited, language),
        )
        return Notice(
            kind=kind,
            group=group,
            language=language,
            title=title,
            markdown=body,
            link=brief.link,
            events=(brief,),
            image_path=event.snapshot_path if kind is not NoticeKind.ENDED else None,
            critical=kind in (NoticeKind.ALERT, NoticeKind.ESCALATION, NoticeKind.REMINDER),
            created_at=now,
        )

    def digest(
        self,
        entries: list[DigestEntry],
        still_open: int,
        group: str,
        language: Language,
        now: float,
    ) -> Notice:
        """One message listing a group's new routine alerts: the first :data:`DIGEST_MAX_LINES`
        as lines, fewer when that would pass :data:`DIGEST_MAX_BYTES`, and the count of the rest.
        """
        briefs = [self.brief(entry.event, now) for entry in entries]
        lines = [
            {"e": b, "reminder": entry.reminder, "since": self.local_time(b.start_ts, now)}
            for b, entry in zip(briefs, entries, strict=True)
        ]
        count = min(len(lines), DIGEST_MAX_LINES)
        while True:
            title, body = self._render(
                f"{language}/digest.md.j2",
                group=group,
                total=len(entries),
                shown=lines[:count],
                hidden=len(entries) - count,
                still_open=still_open,
            )
            if count == 0 or len(body.encode()) <= DIGEST_MAX_BYTES:
                break
            count -= 1
        return Notice(
            kind=NoticeKind.DIGEST,
            group=group,
            language=language,
            title=title,
            markdown=body,
            link=None,
            events=tuple(briefs),
            created_at=now,
        )

    def summary(
        self,
        buildings: list[BuildingCount],
        still_open: int,
        day: str,
        chart_path: str | None,
        group: str,
        language: Language,
        now: float,
    ) -> Notice:
        """The daily counts per building and type; ``chart_path`` relative to the media folder."""
        total = sum(b.total for b in buildings)
        title, body = self._render(
            f"{language}/summary.md.j2",
            group=group,
            day=day,
            total=total,
            buildings=buildings,
            still_open=still_open,
        )
        return Notice(
            kind=NoticeKind.SUMMARY,
            group=group,
            language=language,
            title=title,
            markdown=body,
            link=None,
            events=(),
            image_path=chart_path,
            created_at=now,
        )

    def brief(self, event: StoredEvent, now: float) -> EventBrief:
        if self._links is None:
            return EventBrief.of(event)
        return EventBrief.of(
            event,
            link=self._links.event_link(event.id, now),
            snapshot_url=self._links.snapshot_url(event.id, now),
        )

    def local_time(self, ts: float, now: float) -> str:
        """``14:03`` today, ``03-18 14:03`` on another day (local time)."""
        moment = datetime.fromtimestamp(ts, self._tz)
        today = datetime.fromtimestamp(now, self._tz).date()
        return moment.strftime("%H:%M" if moment.date() == today else "%m-%d %H:%M")

    def _render(self, name: str, **context: Any) -> tuple[str, str]:
        template = self._env.get_template(name)
        module = template.make_module(context)
        body = re.sub(r"\n{3,}", "\n\n", str(module)).strip()
        return str(module.title), body  # type: ignore[attr-defined]


def _short_duration(span: timedelta, language: Language) -> str:
    minutes = int(span.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if language == "zh-CN":
        return f"{hours} 小时 {minutes} 分钟" if hours else f"{minutes} 分钟"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def markdown_to_html(markdown: str) -> str:
    """The notice markdown subset as HTML; everything else is escaped text."""
    out: list[str] = []
    in_list = False
    for raw in markdown.splitlines():
        line = raw.strip()
        is_item = line.startswith("- ")
        if in_list and not is_item:
            out.append("</ul>")
            in_list = False
        if not line:
            continue
        if line.startswith("### "):
            out.append(f"<h3>{_inline(line[4:])}</h3>")
        elif is_item:
            if not in_list:
                out.append('<ul style="padding-left: 1.2em;">')
                in_list = True
            out.append(f"<li>{_inline(line[2:])}</li>")
        else:
            out.append(f"<p>{_inline(line)}</p>")
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def _inline(text: str) -> str:
    escaped = html.escape(text, quote=True)
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    return _LINK.sub(r'<a href="\2">\1</a>', escaped)


def render_email_html(notice: Notice, image_cid: str | None) -> str:
    """The whole HTML e-mail for ``notice``; ``image_cid`` names an inline image part."""
    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True)
    return env.get_template("email.html.j2").render(
        language=notice.language,
        title=notice.title,
        critical=notice.critical,
        body=Markup(markdown_to_html(notice.markdown)),
        image_cid=image_cid,
    )


def _detail_key(stored: str) -> str:
    """A stored detail as the key the templates' ``DETAILS`` know; an unknown text as it is."""
    return detail_key(stored) or stored
