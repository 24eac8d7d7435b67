"""Switching the service's model: a candidate is compared with the running one on the site's
clips and installed only when it is not worse; the replaced file is kept for a rollback.

The model file named by ``model.path`` is replaced atomically (written beside it, then renamed
over it), so the running service never reads half a file; it notices the change and swaps the
model in (:mod:`stairwatch.runtime.model_reload`).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from stairwatch.assets import default_model_path
from stairwatch.evaluation.metrics import Scores
from stairwatch.teach.errors import PromoteError


@dataclass(frozen=True)
class ModelFiles:
    """The running model's file and, beside it, the one it replaced (``NAME.previous.onnx``)."""

    current: Path

    @property
    def previous(self) -> Path:
        return self.current.with_name(f"{self.current.stem}.previous{self.current.suffix}")


def check_installable(new: Path, files: ModelFiles) -> None:
    """Raises :class:`PromoteError` when ``new`` is missing or is the running file, or when the
    running file is the bundled model (promoting would overwrite the copy stairwatch ships)."""
    if not new.is_file():
        raise PromoteError(f"{new}: no such model file")
    if not files.current.is_file():
        raise PromoteError(f"model.path {files.current}: no such file (the running model)")
    if new.resolve() == files.current.resolve():
        raise PromoteError(f"{new} is the running model already")
    if files.current.resolve() == default_model_path().resolve():
        raise PromoteError(
            f"model.path is the bundled model ({files.current}), which promoting would "
            "overwrite: copy it to a file of the site's own (cp models/stairwatch-default.onnx "
            "data/site-model.onnx), set model.path to that copy and restart the service once"
        )


def _effective_f1(s: Scores) -> float:
    """F1, counting a set with nothing to find and nothing raised as perfect."""
    if s.f1 is not None:
        return s.f1
    return 1.0 if s.fp == 0 and s.fn == 0 else 0.0


def worse_reason(
    new: Scores, old: Scores, new_map50: float | None = None, old_map50: float | None = None
) -> str | None:
    """Why the ``new`` model's results are worse than the ``old`` one's on the same clips: lower
    event F1, or the same F1 with more false alarms, or both the same and a lower frame mAP50
    (when the clips have boxed frames); None when at least as good."""
    f1_new, f1_old = _effective_f1(new), _effective_f1(old)
    if f1_new < f1_old:
        return (
            f"event F1 {f1_new:.3f} < {f1_old:.3f} (tp/fp/fn {new.tp}/{new.fp}/{new.fn} against "
            f"{old.tp}/{old.fp}/{old.fn})"
        )
    if f1_new > f1_old:
        return None
    if new.fp > old.fp:
        return f"as many found but more false alarms ({new.fp} > {old.fp})"
    lower_map = new_map50 is not None and old_map50 is not None and new_map50 < old_map50
    if new.fp == old.fp and lower_map:
        return f"the same events, but a lower frame mAP50 ({new_map50:.3f} < {old_map50:.3f})"
    return None


def _replace_with_copy(source: Path, target: Path) -> None:
    """``target`` becomes a copy of ``source`` in one rename (a fresh file: new inode, mtime)."""
    temp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(source, temp)
    os.replace(temp, target)


def install(new: Path, files: ModelFiles) -> None:
    """Keep the running model as ``previous``, then put ``new`` in its place."""
    incoming = files.current.with_name(f".{files.current.name}.incoming")
    try:
        shutil.copyfile(new, incoming)  # first: ``new`` may be the previous file itself
        _replace_with_copy(files.current, files.previous)
        os.replace(incoming, files.current)
    except OSError as exc:
        raise PromoteError(f"cannot install {new} as {files.current}: {exc.strerror}") from None


def roll_back(files: ModelFiles) -> None:
    """Swap the running model and the previous one (a second rollback undoes the first)."""
    if not files.previous.is_file():
        raise PromoteError(f"nothing to roll back to: {files.previous} does not exist")
    try:
        held = files.current.with_name(f".{files.current.name}.rollback")
        shutil.copyfile(files.current, held)
        _replace_with_copy(files.previous, files.current)
        os.replace(held, files.previous)
    except OSError as exc:
        raise PromoteError(f"cannot roll back {files.current}: {exc.strerror}") from None
