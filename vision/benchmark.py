"""Detector throughput measurement (used by ``stairwatch bench``)."""

from __future__ import annotations

import threading
import time

import numpy as np
from numpy.typing import NDArray

from vision.detector import Detector


def measure_fps(
    detector: Detector,
    frame: NDArray[np.uint8],
    batch: int,
    seconds: float,
    callers: int = 1,
) -> float:
    """Frames per second ``detector`` sustains on ``batch`` copies of ``frame`` per call, with
    ``callers`` threads calling it at once (as the service's inference workers do).

    Runs one untimed warm-up call (onnxruntime allocates on its first run), then each caller
    calls ``detect`` until ``seconds`` have passed (at least one timed call each).
    """
    if batch < 1 or callers < 1:
        raise ValueError(f"batch and callers must be at least 1, got {batch} and {callers}")
    frames = [frame] * batch
    detector.detect(frames)
    done = [0] * callers
    start = time.perf_counter()

    def call(index: int) -> None:
        while True:
            detector.detect(frames)
            done[index] += batch
            if time.perf_counter() - start >= seconds:
                return

    threads = [threading.Thread(target=call, args=(i,)) for i in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - start)
