"""The page's filter bar: one select per filter, the date range, and the paging links.

The filter lives in the page's URL (a GET form), so a filtered view can be shared as a link and
the browser's back button returns to the view before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from alerts.event_query import FilterChoices, VerdictFilter
from alerts.events import EventStatus, EventType, Severity
from dashboard.filters import FindQuery
from dashboard.i18n import Texts


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    selected: bool


@dataclass(frozen=True)
class FilterSelect:
    name: str  # the query parameter
    label: str
    options: list[Option]  # after "any" (the empty value)


@dataclass(frozen=True)
class FilterBar:
    selects: list[FilterSelect]
    date_from: str
    date_to: str
    active: bool  # some filter is set: the clear link is shown
    clear_href: str
    newest_href: str | None  # on a later page: back to the first
    more_href: str | None  # more events match: the next page


def filter_bar(
    find: FindQuery, choices: FilterChoices | None, texts: Texts, next_token: str | None
) -> FilterBar:
    """``next_token``: the cursor of the page after this one, None on the last page;
    ``choices`` None: no selects (the event list's fragment shows only the paging links)."""
    choices = choices or FilterChoices([], [], {})
    lang = texts.lang
    labelled = [
        ("building", texts("filter_building"), {b: b for b in _natural(choices.buildings)}),
        ("floor", texts("filter_floor"), {f: f for f in _natural(choices.floors)}),
        ("camera", texts("camera"), choices.cameras),
        ("type", texts("filter_type"), {t.value: texts.event_type(t) for t in EventType}),
        ("severity", texts("severity"), {s.value: texts.severity(s) for s in Severity}),
        ("status", texts("status"), {s.value: texts.status(s) for s in EventStatus}),
        (
            "verdict",
            texts("verdict"),
            {v.value: texts(f"verdict_{v.value}") for v in VerdictFilter},
        ),
    ]
    selects = [_select(find, name, label, values) for name, label, values in labelled]
    return FilterBar(
        selects=selects,
        date_from=find.params.get("from", ""),
        date_to=find.params.get("to", ""),
        active=bool(find.params),
        clear_href=f"?lang={lang}",
        newest_href=None if find.cursor is None else find.link(lang=lang),
        more_href=None if next_token is None else find.link(lang=lang, cursor=next_token),
    )


def _select(find: FindQuery, name: str, label: str, values: dict[str, str]) -> FilterSelect:
    current = find.params.get(name)
    if current is not None and current not in values:
        values = {**values, current: current}  # filtered by a value no stored event has (yet)
    options = [Option(v, shown, v == current) for v, shown in values.items()]
    return FilterSelect(name, label, options)


def _natural(values: list[str]) -> list[str]:
    """``2F`` before ``10F``: runs of digits compare as numbers."""
    return sorted(
        values,
        key=lambda v: [
            (0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", v)
        ],
    )
