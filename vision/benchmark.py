"""Detector throughput measurement (used by ``stairwatch bench``)."""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray

from vision.detector import Detector


def measure_fps(detector: Detector, frame: NDArray[np.uint8], batch: int, seconds: float) -> float:
    """Frames per second ``detector`` sustains on ``batch`` copies of ``frame`` per call.

    Runs one untimed warm-up call (onnxruntime allocates on its first run), then calls
    ``detect`` until ``seconds`` have passed (at least one timed call).
    """
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    frames = [frame] * batch
    detector.detect(frames)
    done = 0
    start = time.perf_counter()
    while True:
        detector.detect(frames)
        done += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed
