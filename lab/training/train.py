"""Train a YOLO detector from its architecture YAML (random init), offline, with Ultralytics.

Usage::

    env = prepare_offline()          # before anything imports ultralytics
    result = train_detector(TrainConfig(data=Path("synth/data.yaml"), out=Path("runs/v1")), env)
    print(result.best_weights, result.summary.metrics.map50_per_class)
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lab.training.dataset import DatasetSpec, resolve_dataset, write_resolved
from lab.training.errors import TrainingError
from lab.training.offline import OfflineEnvironment, quiet_settings
from lab.training.replay import mix_replay, replay_spec
from lab.training.summary import (
    EpochTiming,
    TrainSummary,
    ValidationMetrics,
    hardware_info,
)

MODEL_CHOICES = ("yolo11n.yaml", "yolo26n.yaml")


@dataclass(frozen=True)
class Augmentation:
    """Augmentation for fixed CCTV cameras: colour, scale, mosaic and mirror, never upside down.

    Values are Ultralytics hyper-parameters (fractions / gains); see its ``default.yaml``.
    """

    mosaic: float = 1.0
    close_mosaic: int = 10  # last epochs without mosaic, so the model also sees whole frames
    hsv_h: float = 0.015
    hsv_s: float = 0.6
    hsv_v: float = 0.4  # night IR and backlit doorways
    scale: float = 0.5
    translate: float = 0.1
    fliplr: float = 0.5
    flipud: float = 0.0
    degrees: float = 0.0
    mixup: float = 0.0


@dataclass(frozen=True)
class TrainConfig:
    """One training run.

    Attributes:
        data: the dataset's data.yaml.
        model: an architecture YAML, bundled (``yolo11n.yaml``) or a file.
        out: the run folder; weights land in ``out/weights``.
        device: ``cpu``, or a CUDA device such as ``0``.
        patience: epochs without improvement before stopping early.
        fraction: share of the training images to use.
        plots: write Ultralytics' plots; None = only when fonts could be placed offline.
        time_hours: wall-clock budget; overrides ``epochs`` and fits the learning-rate schedule
            to it (Ultralytics' ``time``), so a CPU run ends when planned.
        cache: decode the training images once into RAM (saves CPU every epoch).
        warmup_epochs: learning-rate warm-up; short when continuing from trained weights.
        lr0: initial learning rate with ``optimizer``; None lets Ultralytics choose both
            (AdamW at 0.00125 for our four classes: right from scratch, too much to fine-tune
            trained weights without forgetting what they knew).
        optimizer: ``AdamW`` or ``SGD``, with ``lr0``.
        freeze: the first this many layers keep their weights (10: YOLO11n's backbone); 0 none.
        replay: a base dataset (data.yaml or its folder) to mix into the training images, so a
            fine-tune on a site's few images does not forget the rest; ``replay_share`` times
            as many base images as the site has (see :mod:`lab.training.replay`).
        rect: rectangular batches (each batch at its images' aspect, e.g. 320x192 for 16:9
            frames), drawn in random order every epoch (:mod:`lab.training.rect`); for a model
            that will run on rectangular inputs. No mosaic.
        rect_shape: (height, width): with ``rect``, every image letterboxed into this one input
            instead, batches mixed and shuffled.
    """

    data: Path
    out: Path
    model: str = "yolo11n.yaml"
    imgsz: int = 320
    epochs: int = 30
    batch: int = 32
    seed: int = 0
    workers: int = 2
    device: str = "cpu"
    patience: int = 100
    fraction: float = 1.0
    resume: bool = False
    plots: bool | None = None
    time_hours: float | None = None
    cache: bool = False
    warmup_epochs: float = 3.0
    lr0: float | None = None
    optimizer: str = "AdamW"
    freeze: int = 0
    replay: Path | None = None
    replay_share: float = 1.0
    rect: bool = False
    rect_shape: tuple[int, int] | None = None
    augmentation: Augmentation = field(default_factory=Augmentation)


@dataclass(frozen=True)
class TrainResult:
    """Where a run left its weights, and its summary."""

    best_weights: Path
    last_weights: Path
    summary_path: Path
    summary: TrainSummary


class EpochTimer:
    """Ultralytics callbacks that time each epoch's training pass and its validation."""

    def __init__(self) -> None:
        self.timings: list[EpochTiming] = []
        self.train_images = 0
        self.val_images = 0
        self._start = 0.0
        self._cpu_start = 0.0
        self._train_cpu_s = 0.0
        self._train_s: float | None = None  # None outside an epoch (the final validation)

    def attach(self, model: Any) -> None:
        """Register on an ``ultralytics.YOLO`` model."""
        model.add_callback("on_train_start", self._on_train_start)
        model.add_callback("on_train_epoch_start", self._on_epoch_start)
        model.add_callback("on_train_epoch_end", self._on_train_end)
        model.add_callback("on_fit_epoch_end", self._on_fit_end)

    def seconds_per_100_images(self) -> float | None:
        """Median training-pass seconds per 100 training images per epoch.

        The median, because the first epoch also pays for warm-up (allocations, caches).
        """
        if not self.timings or not self.train_images:
            return None
        median = statistics.median(t.train_s for t in self.timings)
        return round(median / self.train_images * 100, 3)

    def _on_train_start(self, trainer: Any) -> None:
        self.train_images = len(trainer.train_loader.dataset)
        test_loader = getattr(trainer, "test_loader", None)
        self.val_images = len(test_loader.dataset) if test_loader is not None else 0

    def _on_epoch_start(self, trainer: Any) -> None:
        self._start = time.perf_counter()
        self._cpu_start = time.process_time()

    def _on_train_end(self, trainer: Any) -> None:
        self._train_s = time.perf_counter() - self._start
        self._train_cpu_s = time.process_time() - self._cpu_start

    def _on_fit_end(self, trainer: Any) -> None:
        if self._train_s is None:
            return
        fit_s = time.perf_counter() - self._start
        self.timings.append(
            EpochTiming(
                epoch=trainer.epoch + 1,
                train_s=round(self._train_s, 3),
                train_cpu_s=round(self._train_cpu_s, 3),
                fit_s=round(fit_s, 3),
            )
        )
        self._train_s = None


def train_detector(
    config: TrainConfig, environment: OfflineEnvironment, command: Sequence[str] = ()
) -> TrainResult:
    """Train per ``config``; writes weights, ``data.resolved.yaml`` and ``train_summary.json``.

    Raises:
        DatasetError: the data.yaml is unusable.
        TrainingError: bad model/resume arguments, or training produced no weights.
    """
    spec = resolve_dataset(config.data)
    out = config.out.resolve()
    data_file = write_resolved(spec, out)
    if config.replay is not None and not config.resume:
        base = replay_spec(config.replay)
        data_file = mix_replay(spec, base, config.replay_share, config.seed, out)
    quiet_settings(environment)
    _use_every_core()
    model = _load_model(config, out)
    timer = EpochTimer()
    timer.attach(model)
    started = time.perf_counter()
    arguments = _train_arguments(config, environment, data_file, out)
    if config.rect:
        from lab.training.rect import rect_trainer_class

        arguments["trainer"] = rect_trainer_class(config.rect_shape)
    metrics = model.train(**arguments)
    wall = time.perf_counter() - started
    trainer = model.trainer
    best, last = Path(trainer.best), Path(trainer.last)
    if not best.is_file():
        raise TrainingError(f"training finished without writing {best}")
    _check_names(model.names, spec)
    summary = _summary(config, spec, command, timer, metrics, wall, trainer, best, last)
    return TrainResult(best, last, summary.write(Path(trainer.save_dir)), summary)


def _use_every_core() -> None:
    """Ultralytics gives torch ``cpu_count - 1`` threads (again in ``select_device``): one of
    two cores here, which halves CPU training speed. It loads data in the same process on CPU
    anyway, so torch gets every core."""
    import torch
    from ultralytics.utils import torch_utils

    torch_utils.NUM_THREADS = os.cpu_count() or 1
    torch.set_num_threads(torch_utils.NUM_THREADS)


def _load_model(config: TrainConfig, out: Path) -> Any:
    from ultralytics import YOLO

    if config.resume:
        last = out / "weights" / "last.pt"
        if not last.is_file():
            raise TrainingError(f"nothing to resume: {last} does not exist")
        return YOLO(str(last))
    if config.model.endswith(".pt"):
        # Only a checkpoint of our own on disk (a second stage continuing an earlier run):
        # a bare name like "yolo11n.pt" would make Ultralytics download pretrained weights.
        if not Path(config.model).is_file():
            raise TrainingError(
                f"--model {config.model}: no such checkpoint; a .pt must be a local file of an "
                "earlier stairwatch run (nothing is downloaded), else use an architecture YAML"
            )
        return YOLO(config.model, task="detect")
    if not config.model.endswith((".yaml", ".yml")):
        raise TrainingError(
            f"--model must be an architecture YAML such as {' or '.join(MODEL_CHOICES)} "
            "or a local .pt checkpoint of an earlier run (nothing is downloaded)"
        )
    return YOLO(config.model, task="detect")


def _train_arguments(
    config: TrainConfig, environment: OfflineEnvironment, data_file: Path, out: Path
) -> dict[str, Any]:
    common: dict[str, Any] = {
        "data": str(data_file),
        "device": config.device,
        "workers": config.workers,
        "plots": environment.fonts_ready if config.plots is None else config.plots,
    }
    if config.resume:
        return {**common, "resume": True}
    return {
        **common,
        **asdict(config.augmentation),
        "imgsz": config.imgsz,
        "epochs": config.epochs,
        **({"time": config.time_hours} if config.time_hours else {}),
        "cache": "ram" if config.cache else False,
        "warmup_epochs": config.warmup_epochs,
        **({"optimizer": config.optimizer, "lr0": config.lr0} if config.lr0 else {}),
        "batch": config.batch,
        **({"freeze": config.freeze} if config.freeze else {}),
        "rect": config.rect,
        "seed": config.seed,
        "deterministic": True,
        "patience": config.patience,
        "fraction": config.fraction,
        "project": str(out.parent),
        "name": out.name,
        "exist_ok": True,
        "pretrained": config.model.endswith(".pt"),  # our own checkpoint; never a download
        "amp": _amp_mode(config.device),
        "verbose": True,
    }


def _amp_mode(device: str) -> str | bool:
    """bf16 autocast on CUDA where supported (fp16 AMP first downloads yolo26n.pt to check)."""
    if device.lower() in {"cpu", "mps"}:
        return False
    import torch

    return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else False


def _check_names(model_names: dict[int, str], spec: DatasetSpec) -> None:
    names = tuple(model_names[i] for i in range(len(model_names)))
    if names != spec.names:
        raise TrainingError(
            f"trained model names {names} differ from {spec.source} names {spec.names}"
        )


def _summary(
    config: TrainConfig,
    spec: DatasetSpec,
    command: Sequence[str],
    timer: EpochTimer,
    metrics: Any,
    wall: float,
    trainer: Any,
    best: Path,
    last: Path,
) -> TrainSummary:
    import torch
    import ultralytics

    args = trainer.args
    device = str(trainer.device)
    gpu = torch.cuda.get_device_name(trainer.device) if trainer.device.type == "cuda" else None
    return TrainSummary(
        command=list(command),
        model=str(args.model),
        data=str(spec.source),
        names=list(spec.names),
        seed=int(args.seed),
        epochs=int(args.epochs),
        epochs_run=len(timer.timings),
        imgsz=int(args.imgsz),
        batch=int(args.batch),
        resumed=config.resume,
        train_images=timer.train_images,
        val_images=timer.val_images,
        wall_time_s=round(wall, 2),
        seconds_per_100_images=timer.seconds_per_100_images(),
        epoch_timings=timer.timings,
        hardware=hardware_info(device, gpu, str(torch.__version__), ultralytics.__version__),
        metrics=validation_metrics(metrics, spec.names),
        best_weights=str(best),
        last_weights=str(last),
    )


def validation_metrics(metrics: Any, names: tuple[str, ...]) -> ValidationMetrics:
    """Overall and per-class figures from an Ultralytics ``DetMetrics``."""
    if metrics is None:
        raise TrainingError("training returned no validation metrics (was val=False?)")
    per_class: dict[str, float | None] = dict.fromkeys(names)
    for index, ap50 in zip(metrics.box.ap_class_index, metrics.box.ap50, strict=True):
        per_class[names[int(index)]] = round(float(ap50), 4)
    box = metrics.box
    return ValidationMetrics(
        precision=round(float(box.mp), 4),
        recall=round(float(box.mr), 4),
        map50=round(float(box.map50), 4),
        map50_95=round(float(box.map), 4),
        map50_per_class=per_class,
    )
