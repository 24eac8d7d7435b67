"""Privacy masks: parts of a camera's picture (a resident's door or window) blacked out before
anything is stored, shown or sent.

A :class:`FrameMasker` holds one camera's masks. :meth:`FrameMasker.hide` blacks out all of
them (what is stored and shown); :meth:`FrameMasker.for_detection` only those the detector must
not see either (every mask but the ``detect_through`` ones). Each returns a new array and never
changes its input; with nothing to hide it returns the input itself (no copy). The pixel masks
are computed once per frame size and kept.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from vision.zones import Polygon, keep_mask


@dataclass(frozen=True)
class PrivacyMask:
    """One blacked-out area.

    Attributes:
        name: unique within its camera.
        polygon: normalized vertices (see :data:`vision.zones.Polygon`), at least 3.
        detect_through: the detector still sees the area (an e-bike parked in front of the
            door is found); only what is stored and shown is blacked out.
    """

    name: str
    polygon: Polygon
    detect_through: bool = False


class FrameMasker:
    """One camera's masks, applied to (H, W, 3) uint8 BGR frames. Thread-safe."""

    def __init__(self, masks: Sequence[PrivacyMask] = ()):
        self.masks = tuple(masks)
        self._hidden_from_detector = tuple(m for m in self.masks if not m.detect_through)
        self._keep: dict[tuple[int, int, bool], NDArray[np.uint8]] = {}
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        """Whether there is anything to hide."""
        return bool(self.masks)

    @property
    def detector_sees_more(self) -> bool:
        """Whether the detector's frame differs from the shown one (some mask detects through)."""
        return len(self._hidden_from_detector) != len(self.masks)

    def hide(self, image: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """``image`` with every mask black: what may be stored, shown or sent."""
        return self._apply(image, for_detection=False)

    def for_detection(self, image: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """``image`` with the masks black that the detector must not see through."""
        return self._apply(image, for_detection=True)

    def pixel_mask(self, width: int, height: int, for_detection: bool = False) -> NDArray[np.uint8]:
        """(height, width) uint8: 255 where the picture stays, 0 where it is blacked out."""
        key = (width, height, for_detection)
        with self._lock:
            keep = self._keep.get(key)
            if keep is None:
                masks = self._hidden_from_detector if for_detection else self.masks
                keep = keep_mask(width, height, [m.polygon for m in masks])
                self._keep[key] = keep
        return keep

    def _apply(self, image: NDArray[np.uint8], for_detection: bool) -> NDArray[np.uint8]:
        masks = self._hidden_from_detector if for_detection else self.masks
        if not masks:
            return image
        keep = self.pixel_mask(image.shape[1], image.shape[0], for_detection)
        return np.asarray(cv2.bitwise_and(image, image, mask=keep), np.uint8)
