"""Which packets of a stream to decode: only what the frames due for detection need.

A predicted picture (H.264 P-frame) needs every picture before it back to the last key frame,
and nothing after the last picture a reader will take in a group of pictures (key frame to key
frame) is needed by anything: the next group starts afresh at its key frame. So a reader decodes
each group's key frame and the pictures up to the last one it takes, and skips the tail (its
packets still go to the packet tap, for clips). Under overload a :class:`DecodePlan` limits
each group to its first few due frames, so decoding falls with the detections that can run.

Pure decisions on stream positions (seconds on the frames' clock); no decoding here.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class DecodePlan:
    """How much of each group of pictures a reader decodes.

    Attributes:
        share: the share (0 to 1) of the group's due frames to decode, from its key frame on
            (0: the key frame alone); None decodes every frame a due frame needs.
    """

    share: float | None = None

    def __post_init__(self) -> None:
        if self.share is not None and not 0.0 <= self.share <= 1.0:
            raise ValueError(f"a decode plan's share must be in [0, 1], got {self.share}")

    @property
    def full(self) -> bool:
        return self.share is None or self.share >= 1.0


FULL_PLAN = DecodePlan()

REGULAR_GROUPS = 3  # key frame spacings that must agree before a group's length is trusted


class GopSkipper:
    """Decides packet by packet (decoding order, no B-frames reordered) whether to decode it.

    Skips a group's tail only while key frames come regularly (the last
    :data:`REGULAR_GROUPS` spacings within a frame of each other, as IP cameras send them) and
    a group holds at least two due frames: a scene cut's early key frame, or a file of
    irregular or very short groups, would make it skip frames a longer group still needs.
    ``slack_s`` (half a frame) absorbs timestamp rounding; ``period_s``: seconds between due
    frames (None: every frame is due). A plan's share is turned into a count of due frames a
    group, carrying the fraction to the next group (3.2 frames a group: 3, 3, 3, 3, 4), so each
    camera gets its share on average whatever its groups' phase. Not thread-safe: the reader's
    thread owns it.
    """

    def __init__(self, slack_s: float, period_s: float | None = None) -> None:
        self._slack = slack_s
        self._period = period_s
        self._key_at: float | None = None
        self._spacings: deque[float] = deque(maxlen=REGULAR_GROUPS)
        self._last_due_s: float | None = None  # this group's last due frame to decode; None: all
        self._credit = 0.0
        self._skipping = False

    @property
    def gop_s(self) -> float | None:
        """Seconds between key frames while they come regularly, else None."""
        spacings = self._spacings
        if len(spacings) < REGULAR_GROUPS or max(spacings) - min(spacings) > 2 * self._slack:
            return None
        return max(spacings)

    def restart(self) -> None:
        """A new stream (reconnect, loop): forget the group, keep the learned length."""
        self._key_at = None
        self._skipping = False

    def decode(
        self, position_s: float, keyframe: bool, next_due_s: float | None, plan: DecodePlan
    ) -> bool:
        """True when the packet at ``position_s`` must be decoded; ``next_due_s``: when the
        next frame is due (None: every frame is)."""
        if keyframe:
            if self._key_at is not None and position_s - self._key_at > self._slack:
                self._spacings.append(position_s - self._key_at)
            self._key_at, self._skipping = position_s, False
            self._last_due_s = self._group_last_due(position_s, next_due_s, plan)
            return True
        if self._skipping or self._key_at is None:
            return not self._skipping  # before a first key frame: nothing to go by, decode
        self._skipping = self._past_share(next_due_s) or self._tail(next_due_s)
        return not self._skipping

    def _group_last_due(
        self, key_s: float, next_due_s: float | None, plan: DecodePlan
    ) -> float | None:
        """The due time of the last frame the plan lets the group starting at ``key_s`` decode
        (None: no limit). Below one frame a group, the key frame alone (taken when due)."""
        group_s = self.gop_s or (self._spacings[-1] if self._spacings else None)
        if plan.full or self._period is None or group_s is None or next_due_s is None:
            self._credit = 0.0
            return None
        assert plan.share is not None
        self._credit += plan.share * group_s / self._period
        frames = int(self._credit + 1e-9)  # 0.25 * 2 s / 0.5 s is one frame, not 0.999...
        self._credit = max(0.0, self._credit - frames)
        return max(next_due_s, key_s) + (frames - 1) * self._period

    def _past_share(self, next_due_s: float | None) -> bool:
        """Whether the frames due in this group that the plan allows are all taken."""
        last = self._last_due_s
        return last is not None and next_due_s is not None and next_due_s > last + self._slack

    def _tail(self, next_due_s: float | None) -> bool:
        """Whether the next due frame lies in the next group (at or after its key frame)."""
        gop_s = self.gop_s
        if next_due_s is None or gop_s is None or self._key_at is None or self._period is None:
            return False
        if gop_s < 2 * self._period:
            return False
        # A frame is taken from half a frame (the slack) before its due time, so this group's
        # last frame, a frame before the next key frame, is taken only for a due time up to
        # half a frame before that key frame.
        return next_due_s > self._key_at + gop_s - self._slack
