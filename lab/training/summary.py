"""The ``train_summary.json`` written beside the weights of every training run."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from pydantic import BaseModel, ConfigDict

SUMMARY_NAME = "train_summary.json"


class HardwareInfo(BaseModel):
    """What the run ran on."""

    model_config = ConfigDict(frozen=True)

    cpu: str
    cpu_count: int
    device: str
    gpu: str | None
    torch: str
    ultralytics: str
    python: str


class EpochTiming(BaseModel):
    """Seconds one epoch took: the training pass alone, and with validation.

    ``train_cpu_s`` is the CPU time of the training process (all its threads, not the data
    loader workers) during the training pass: on a shared machine, wall time overstates.
    """

    model_config = ConfigDict(frozen=True)

    epoch: int
    train_s: float
    train_cpu_s: float
    fit_s: float


class ValidationMetrics(BaseModel):
    """The final validation of the best weights.

    ``map50_per_class`` is None for a class with no instance in the validation set.
    """

    model_config = ConfigDict(frozen=True)

    precision: float
    recall: float
    map50: float
    map50_95: float
    map50_per_class: dict[str, float | None]


class TrainSummary(BaseModel):
    """One training run: how it was started, how long it took, how good the result is.

    ``seconds_per_100_images`` is the training pass (no validation) per 100 training images
    per epoch, the median over the epochs of this run.
    """

    model_config = ConfigDict(frozen=True)

    command: list[str]
    model: str
    data: str
    names: list[str]
    seed: int
    epochs: int
    epochs_run: int
    imgsz: int
    batch: int
    resumed: bool
    train_images: int
    val_images: int
    wall_time_s: float
    seconds_per_100_images: float | None
    epoch_timings: list[EpochTiming]
    hardware: HardwareInfo
    metrics: ValidationMetrics
    best_weights: str
    last_weights: str

    def write(self, folder: Path) -> Path:
        """Write as ``folder/train_summary.json``; returns the file."""
        target = folder / SUMMARY_NAME
        target.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")
        return target


def cpu_name() -> str:
    """The CPU model as Linux names it, else what :mod:`platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware_info(
    device: str, gpu: str | None, torch_version: str, ultralytics_version: str
) -> HardwareInfo:
    """:class:`HardwareInfo` for this machine."""
    return HardwareInfo(
        cpu=cpu_name(),
        cpu_count=os.cpu_count() or 1,
        device=device,
        gpu=gpu,
        torch=torch_version,
        ultralytics=ultralytics_version,
        python=platform.python_version(),
    )
