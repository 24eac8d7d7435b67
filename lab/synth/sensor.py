"""What a clip's camera adds to every frame after the lens: sensor noise and the DVR overlay."""

from __future__ import annotations

import cv2
import numpy as np

from lab.synth.camera import CameraSpec


class SensorNoise:
    """Fresh-looking sensor noise per frame, cheaply: a few luma-plus-chroma noise fields (as in
    the training images: no chroma part at night, IR sensors are monochrome), each frame one of
    them shifted by a random offset. Deterministic in ``seed`` and the frame index."""

    BANK = 6

    def __init__(self, spec: CameraSpec, shape: tuple[int, int], seed: int):
        """``shape``: (H, W) of the frames."""
        rng = np.random.default_rng([seed, 99])
        self._bank: list[np.ndarray] = []
        for _ in range(self.BANK if spec.noise_sigma > 0 else 0):
            n = rng.normal(0, spec.noise_sigma, (*shape, 1))
            if not spec.ir_night:
                n = n + rng.normal(0, spec.noise_sigma * 0.4, (*shape, 3))
            self._bank.append(np.round(np.broadcast_to(n, (*shape, 3))).astype(np.int16))
        self._seed = seed

    def apply(self, image: np.ndarray, index: int) -> np.ndarray:
        """(H, W, 3) uint8 ``image`` plus the noise of frame ``index``, as a new array."""
        if not self._bank:
            return image.copy()
        rng = np.random.default_rng([self._seed, 77, index])
        field = self._bank[int(rng.integers(len(self._bank)))]
        shift = (int(rng.integers(field.shape[0])), int(rng.integers(field.shape[1])))
        noisy = image.astype(np.int16) + np.roll(field, shift, axis=(0, 1))
        return np.clip(noisy, 0, 255).astype(np.uint8)


def clock_text(seconds: int) -> str:
    """``seconds`` since 2023-01-01 as the DVR writes it (the training overlay's calendar)."""
    days, rem = divmod(seconds, 86400)
    year, yday = 2023 + days // 365, days % 365
    return (
        f"{year}-{1 + yday // 31:02d}-{1 + yday % 28:02d} "
        f"{rem // 3600:02d}:{rem % 3600 // 60:02d}:{rem % 60:02d}"
    )


def draw_overlay(image: np.ndarray, seconds: int, label: str) -> None:
    """A running clock (top left) and the camera's name (top right), white with a dark rim,
    drawn in place on an (H, W, 3) uint8 image."""
    h, w = image.shape[:2]
    scale = w / 900
    thick = max(1, round(1.5 * scale))
    font = cv2.FONT_HERSHEY_SIMPLEX
    for words, (x, y) in (
        (clock_text(seconds), (int(w * 0.03), int(h * 0.07))),
        (label, (int(w * 0.86), int(h * 0.07))),
    ):
        # The rim is the same text shifted (a thicker stroke would change the glyph spacing).
        for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1), (1, 1)):
            cv2.putText(image, words, (x + dx, y + dy), font, scale, (0, 0, 0), thick, cv2.LINE_AA)
        cv2.putText(image, words, (x, y), font, scale, (235, 235, 235), thick, cv2.LINE_AA)
