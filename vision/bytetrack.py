"""ByteTrack (Zhang et al., ECCV 2022), written for low, uneven frame rates.

Supervision 0.31 no longer ships a tracker and its successor package (``trackers``, 2.3 and
later: ByteTrack, OC-SORT) requires the GUI build of OpenCV (``opencv-python``), which clashes
with ``opencv-python-headless`` (both own ``cv2``); its trackers also give a new track no id on
its first frame, which at 2 fps delays every alert by half a second. Hence this compact version.

Differences from the reference implementation, all for ~2 fps detection:
* the Kalman filter steps by the real time between frames (``frame_rate`` only scales its noise),
  so a skipped frame does not look like a jump;
* lost tracks are kept for ``track_buffer_s`` seconds rather than frames;
* a new track gets its id at once (no "unconfirmed" frame: at 2 fps that costs half a second).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

_STD_POSITION = 1.0 / 20
_STD_VELOCITY = 1.0 / 160


@dataclass(frozen=True)
class ByteTrackConfig:
    """Tracker settings.

    Attributes:
        frame_rate: nominal detection rate in frames per second (scales the motion noise).
        track_buffer_s: seconds a lost track waits to be found again before it is dropped.
        high_threshold: detections at or above this score take part in the first association.
        low_threshold: detections in [low_threshold, high_threshold) only extend existing tracks.
        new_track_threshold: an unmatched detection needs this score to start a track.
        match_iou: least IoU for the first association (predicted box vs detection).
        low_match_iou: least IoU for the second (low score) association.
    """

    frame_rate: float = 2.0
    track_buffer_s: float = 8.0
    high_threshold: float = 0.5
    low_threshold: float = 0.1
    new_track_threshold: float = 0.5
    match_iou: float = 0.2
    low_match_iou: float = 0.5

    @classmethod
    def following(
        cls, confidence: float, frame_rate: float, low_confidence: float | None = None
    ) -> ByteTrackConfig:
        """Thresholds that follow the configured ones: a detection at or above ``confidence``
        may start a track; one at or above ``low_confidence`` (default :attr:`low_threshold`)
        only extends a track. The detector must return scores down to ``low_confidence``."""
        confidence = float(np.float32(confidence))  # scores are float32: 0.35f < 0.35
        low = cls.low_threshold if low_confidence is None else float(np.float32(low_confidence))
        return cls(
            frame_rate=frame_rate,
            high_threshold=confidence,
            new_track_threshold=confidence,
            low_threshold=min(low, confidence),
        )

    def __post_init__(self) -> None:
        if self.frame_rate <= 0 or self.track_buffer_s < 0:
            raise ValueError("frame_rate must be > 0 and track_buffer_s >= 0")
        if not 0 <= self.low_threshold <= self.high_threshold <= 1:
            raise ValueError("need 0 <= low_threshold <= high_threshold <= 1")
        if not (0 < self.match_iou <= 1 and 0 < self.low_match_iou <= 1):
            raise ValueError("IoU thresholds must be in (0, 1]")


class _Track:
    """One track: Kalman state over (cx, cy, aspect w/h, h) and their velocities (per frame)."""

    def __init__(self, track_id: int, xyxy: NDArray[np.float64], ts: float):
        z = _xyxy_to_xyah(xyxy)
        h = z[3]
        self.mean = np.concatenate([z, np.zeros(4)])
        std = [2 * _STD_POSITION * h, 2 * _STD_POSITION * h, 1e-2, 2 * _STD_POSITION * h]
        std += [10 * _STD_VELOCITY * h, 10 * _STD_VELOCITY * h, 1e-5, 10 * _STD_VELOCITY * h]
        self.cov = np.diag(np.square(std))
        self.track_id = track_id
        self.last_seen_ts = ts
        self.lost = False

    def predict(self, frames: float) -> None:
        if self.lost:
            self.mean[7] = 0.0  # as in ByteTrack: a lost box keeps its size
        h = self.mean[3]
        motion = np.eye(8)
        motion[:4, 4:] = np.eye(4) * frames
        q = [_STD_POSITION * h, _STD_POSITION * h, 1e-2, _STD_POSITION * h]
        q += [_STD_VELOCITY * h, _STD_VELOCITY * h, 1e-5, _STD_VELOCITY * h]
        self.mean = motion @ self.mean
        self.cov = motion @ self.cov @ motion.T + np.diag(np.square(q)) * frames

    def update(self, xyxy: NDArray[np.float64], ts: float) -> None:
        z = _xyxy_to_xyah(xyxy)
        h = self.mean[3]
        r = np.diag(np.square([_STD_POSITION * h, _STD_POSITION * h, 1e-1, _STD_POSITION * h]))
        proj = np.eye(4, 8)
        s = proj @ self.cov @ proj.T + r
        gain = np.linalg.solve(s, proj @ self.cov).T
        self.mean = self.mean + gain @ (z - proj @ self.mean)
        self.cov = self.cov - gain @ s @ gain.T
        self.last_seen_ts = ts
        self.lost = False

    def xyxy(self) -> NDArray[np.float64]:
        cx, cy, a, h = self.mean[:4]
        w = a * h
        return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


class ByteTrack:
    """A tracker for one kind of object. Not thread-safe; one per camera and kind.

    ``next_id`` hands out track ids; pass one shared source to several trackers to keep ids
    unique across them.
    """

    def __init__(self, config: ByteTrackConfig, next_id: IdSource):
        self.config = config
        self._next_id = next_id
        self._tracks: list[_Track] = []
        self._last_ts: float | None = None

    @property
    def active_track_ids(self) -> list[int]:
        return [t.track_id for t in self._tracks if not t.lost]

    def update(
        self, xyxy: NDArray[np.floating], scores: NDArray[np.floating], ts: float
    ) -> NDArray[np.int64]:
        """Associate one frame's boxes (N, 4) pixels and scores (N,) at time ``ts`` seconds.

        Returns (N,) int64: the track id of each row, or -1 for a row no track took.
        """
        cfg = self.config
        boxes = np.asarray(xyxy, np.float64).reshape(-1, 4)
        scores = np.asarray(scores, np.float64).reshape(-1)
        ids = np.full(len(boxes), -1, np.int64)
        frames = self._elapsed_frames(ts)
        self._tracks = [t for t in self._tracks if ts - t.last_seen_ts <= cfg.track_buffer_s]
        for track in self._tracks:
            track.predict(frames)

        high = np.flatnonzero(scores >= cfg.high_threshold)
        low = np.flatnonzero((scores >= cfg.low_threshold) & (scores < cfg.high_threshold))
        pool = list(self._tracks)
        left_tracks, left_high = self._associate(pool, boxes, high, cfg.match_iou, ids, ts)
        tracked_left = [t for t in left_tracks if not t.lost]
        unmatched, _ = self._associate(tracked_left, boxes, low, cfg.low_match_iou, ids, ts)
        for track in unmatched:
            track.lost = True
        for row in left_high:
            if scores[row] >= cfg.new_track_threshold:
                track = _Track(self._next_id(), boxes[row], ts)
                self._tracks.append(track)
                ids[row] = track.track_id
        return ids

    def _elapsed_frames(self, ts: float) -> float:
        nominal = 1.0 / self.config.frame_rate
        dt = nominal if self._last_ts is None or ts <= self._last_ts else ts - self._last_ts
        self._last_ts = ts
        return dt * self.config.frame_rate

    @staticmethod
    def _associate(
        tracks: list[_Track],
        boxes: NDArray[np.float64],
        rows: NDArray[np.intp],
        min_iou: float,
        ids: NDArray[np.int64],
        ts: float,
    ) -> tuple[list[_Track], list[int]]:
        """Greedy best-IoU matching; updates matched tracks and ``ids``. Returns the leftovers."""
        if not tracks or len(rows) == 0:
            return tracks, [int(r) for r in rows]
        predicted = np.stack([t.xyxy() for t in tracks])
        iou = box_iou(predicted, boxes[rows])
        matched_t: set[int] = set()
        matched_d: set[int] = set()
        for flat in np.argsort(-iou, axis=None):
            ti, di = divmod(int(flat), len(rows))
            if iou[ti, di] < min_iou:
                break
            if ti in matched_t or di in matched_d:
                continue
            matched_t.add(ti)
            matched_d.add(di)
            tracks[ti].update(boxes[rows[di]], ts)
            ids[rows[di]] = tracks[ti].track_id
        left_tracks = [t for i, t in enumerate(tracks) if i not in matched_t]
        left_rows = [int(r) for i, r in enumerate(rows) if i not in matched_d]
        return left_tracks, left_rows


class IdSource:
    """Hands out increasing track ids, starting at 1."""

    def __init__(self) -> None:
        self._last = 0

    def __call__(self) -> int:
        self._last += 1
        return self._last


def box_iou(a: NDArray[np.floating], b: NDArray[np.floating]) -> NDArray[np.float64]:
    """(N, M) IoU of boxes a (N, 4) and b (M, 4), x1 y1 x2 y2 in the same units."""
    a = np.asarray(a, np.float64)[:, None, :]
    b = np.asarray(b, np.float64)[None, :, :]
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - inter
    return np.asarray(np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0))


def _xyxy_to_xyah(xyxy: NDArray[np.float64]) -> NDArray[np.float64]:
    w = max(float(xyxy[2] - xyxy[0]), 1e-6)
    h = max(float(xyxy[3] - xyxy[1]), 1e-6)
    return np.array([xyxy[0] + w / 2, xyxy[1] + h / 2, w / h, h])
