"""A thread's own CPU priority: readers run nicer than inference, the clip encoder nicer still."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest

from streams.priority import lower_thread_priority, thread_niceness_at_least


def niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def in_a_thread(change: Callable[[], None]) -> int:
    """The niceness of a new thread after ``change``, run on it."""
    seen: list[int] = []

    def run() -> None:
        change()
        seen.append(niceness())

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return seen[0]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda: lower_thread_priority(3), lambda base: base + 3),
        (lambda: thread_niceness_at_least(19), lambda base: 19),
        (lambda: thread_niceness_at_least(-20), lambda base: base),  # never less nice
    ],
)
def test_only_the_calling_thread_is_made_nicer(
    change: Callable[[], None], expected: Callable[[int], int]
) -> None:
    base = niceness()
    if base + 3 > 19:
        pytest.skip("already as nice as can be")
    assert in_a_thread(change) == expected(base)
    assert niceness() == base
