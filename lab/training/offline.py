"""Keep Ultralytics offline: no downloads, no pip auto-installs, no telemetry.

Ultralytics reads its switches once, when ``ultralytics`` is first imported, so
:func:`prepare_offline` must run before that import (commands call it first thing in ``run``).
It fetches ``Arial.ttf`` for plots whenever the font is missing from its config folder, so
that folder gets links to fonts already on this machine.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from lab.training.errors import TrainExtraMissingError, TrainingError

LOG = logging.getLogger(__name__)

TRAIN_EXTRA_MODULES = ("torch", "torchvision", "ultralytics", "onnxslim")
EXPORT_EXTRA_MODULES = ("torch", "ultralytics", "onnxslim")

# Liberation Sans has Arial's metrics; DejaVu is the usual fallback; matplotlib ships its own.
_LATIN_FONTS = (
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)
_UNICODE_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


@dataclass(frozen=True)
class OfflineEnvironment:
    """Where Ultralytics keeps its settings, and whether plots can draw text without a download.

    Attributes:
        config_dir: the ``YOLO_CONFIG_DIR`` folder (Ultralytics adds an ``Ultralytics`` subfolder).
        fonts_ready: ``Arial.ttf`` and ``Arial.Unicode.ttf`` are in place (``plots=True`` is safe).
    """

    config_dir: Path
    fonts_ready: bool

    @property
    def ultralytics_dir(self) -> Path:
        """The folder Ultralytics writes settings.json into and looks for fonts in."""
        return self.config_dir / "Ultralytics"


def require_modules(modules: tuple[str, ...] = TRAIN_EXTRA_MODULES) -> None:
    """Raise :class:`TrainExtraMissingError` naming every module of ``modules`` not installed."""
    missing = tuple(name for name in modules if importlib.util.find_spec(name) is None)
    if missing:
        raise TrainExtraMissingError(missing)


def default_config_dir() -> Path:
    """``$YOLO_CONFIG_DIR`` if set, else ``$XDG_CACHE_HOME/stairwatch/ultralytics``."""
    if env_dir := os.environ.get("YOLO_CONFIG_DIR"):
        return Path(env_dir).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "stairwatch" / "ultralytics"


def prepare_offline(config_dir: Path | None = None) -> OfflineEnvironment:
    """Set Ultralytics' offline switches and place fonts; call before importing ultralytics."""
    if "ultralytics" in sys.modules:
        LOG.warning(
            "ultralytics was imported before the offline switches were set; they may not apply"
        )
    folder = (config_dir or default_config_dir()).expanduser().resolve()
    try:
        (folder / "Ultralytics").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TrainingError(f"cannot create the Ultralytics config folder {folder}: {exc}") from exc
    os.environ["YOLO_OFFLINE"] = "1"  # ultralytics.utils.is_online() -> False
    os.environ["YOLO_AUTOINSTALL"] = "False"  # no pip installs from check_requirements()
    os.environ["YOLO_CONFIG_DIR"] = str(folder)
    fonts_ready = _place_font(folder / "Ultralytics" / "Arial.ttf", _latin_fonts())
    fonts_ready &= _place_font(
        folder / "Ultralytics" / "Arial.Unicode.ttf", (*_UNICODE_FONTS, *_latin_fonts())
    )
    return OfflineEnvironment(config_dir=folder, fonts_ready=fonts_ready)


def quiet_settings(environment: OfflineEnvironment) -> None:
    """Turn off Ultralytics' analytics and logger integrations; keep its folders in ours.

    Imports ultralytics, so call after :func:`prepare_offline`.
    """
    from ultralytics import settings

    base = environment.ultralytics_dir
    settings.update(
        sync=False,
        clearml=False,
        comet=False,
        dvc=False,
        mlflow=False,
        raytune=False,
        tensorboard=False,
        wandb=False,
        vscode_msg=False,
        openvino_msg=False,
        weights_dir=str(base / "weights"),
        datasets_dir=str(base / "datasets"),
        runs_dir=str(base / "runs"),
    )


def _latin_fonts() -> tuple[str, ...]:
    return (*_LATIN_FONTS, *_matplotlib_font())


def _matplotlib_font() -> tuple[str, ...]:
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        return ()
    return (str(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"),)


def _place_font(target: Path, candidates: tuple[str, ...]) -> bool:
    """Link (or copy) the first existing candidate font to ``target``; True if it is there."""
    if target.exists():
        return True
    source = next((Path(c) for c in candidates if Path(c).is_file()), None)
    if source is None:
        return False
    target.unlink(missing_ok=True)  # a dangling link
    try:
        target.symlink_to(source)
    except OSError:
        shutil.copyfile(source, target)
    return True
