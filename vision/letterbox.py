"""Letterbox preprocessing: fit frames of any size into a fixed model input, and map boxes back.

A frame of ``w x h`` pixels is scaled by ``min(in_w / w, in_h / h)`` (aspect kept), placed into
an ``in_w x in_h`` canvas filled with grey 114, either centred (Ultralytics) or in the top-left
corner (YOLOX). :class:`LetterboxPlan` records the exact placement so boxes predicted in input
pixels map back to source pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import cv2
import numpy as np
from numpy.typing import NDArray

PAD_VALUE = 114


class Size(NamedTuple):
    """An image size in pixels."""

    width: int
    height: int


class PadPlacement(StrEnum):
    """Where the resized frame sits in the model input."""

    CENTRE = "centre"
    TOP_LEFT = "top_left"


@dataclass(frozen=True)
class InputConvention:
    """How a model expects its input tensor, beyond its size.

    Attributes:
        placement: where the resized frame sits in the padded canvas.
        rgb: channels in RGB order (else BGR, as OpenCV decodes).
        scale: multiplies the 0-255 pixel values (1/255 for [0, 1] inputs, 1 for raw).
    """

    placement: PadPlacement
    rgb: bool
    scale: float

    @classmethod
    def ultralytics(cls) -> InputConvention:
        """Ultralytics exports: centred padding, RGB, values in [0, 1]."""
        return cls(PadPlacement.CENTRE, rgb=True, scale=1 / 255)

    @classmethod
    def yolox(cls) -> InputConvention:
        """YOLOX exports: top-left padding, BGR, raw 0-255 values."""
        return cls(PadPlacement.TOP_LEFT, rgb=False, scale=1.0)


@dataclass(frozen=True)
class LetterboxPlan:
    """Where one source frame lands in the model input (all in pixels).

    The resized frame covers input columns ``[left, left + resized.width)`` and rows
    ``[top, top + resized.height)``; the rest of the input is padding.
    """

    source: Size
    resized: Size
    left: int
    top: int

    @property
    def scale_x(self) -> float:
        """Input pixels per source pixel along x (exact, after rounding of the resized size)."""
        return self.resized.width / self.source.width

    @property
    def scale_y(self) -> float:
        """Input pixels per source pixel along y."""
        return self.resized.height / self.source.height


def plan_letterbox(source: Size, input_size: Size, placement: PadPlacement) -> LetterboxPlan:
    """The placement of a ``source``-sized frame in an ``input_size`` model input.

    Rounding follows each exporter's own preprocessing, so boxes line up with training:
    Ultralytics rounds the resized size and splits the padding (the extra pixel goes
    right/bottom); YOLOX truncates the resized size and pads right/bottom only.
    """
    if source.width <= 0 or source.height <= 0:
        raise ValueError(f"source size must be positive, got {source}")
    scale = min(input_size.width / source.width, input_size.height / source.height)
    if placement is PadPlacement.CENTRE:
        resized = Size(round(source.width * scale), round(source.height * scale))
        left = round((input_size.width - resized.width) / 2 - 0.1)
        top = round((input_size.height - resized.height) / 2 - 0.1)
    else:
        resized = Size(int(source.width * scale), int(source.height * scale))
        left = top = 0
    resized = Size(
        min(max(1, resized.width), input_size.width),
        min(max(1, resized.height), input_size.height),
    )
    return LetterboxPlan(source=source, resized=resized, left=max(0, left), top=max(0, top))


def rect_input_size(source: Size, long_side: int, stride: int) -> Size:
    """The smallest model input for a ``source``-sized frame whose long side is ``long_side``
    and whose sides are multiples of ``stride`` (all in pixels), for models with a dynamic input.

    The frame's aspect is kept: its short side scales by ``long_side / max(source)`` and rounds
    up to the next multiple of ``stride`` (e.g. 640x360 at 320, stride 32 -> 320x192; a square
    frame -> ``long_side`` x ``long_side``). ``long_side`` must itself be a multiple of
    ``stride``.
    """
    if source.width <= 0 or source.height <= 0:
        raise ValueError(f"source size must be positive, got {source}")
    if long_side <= 0 or long_side % stride:
        raise ValueError(f"long side {long_side} is not a positive multiple of stride {stride}")
    long, short = max(source), min(source)
    strides = -(-short * long_side // (long * stride))  # ceil in integers: no float rounding
    short_side = min(max(strides, 1) * stride, long_side)
    if source.width >= source.height:
        return Size(long_side, short_side)
    return Size(short_side, long_side)


def letterbox_batch(
    frames: Sequence[NDArray[np.uint8]],
    plans: Sequence[LetterboxPlan],
    input_size: Size,
    convention: InputConvention,
    batch: int | None = None,
) -> NDArray[np.float32]:
    """Frames -> one model input tensor.

    Args:
        frames: (H, W, 3) uint8 BGR images, each of the size of its plan's ``source``.
        plans: one :func:`plan_letterbox` result per frame.
        input_size: the model input size.
        convention: padding placement, channel order and value scale.
        batch: rows of the tensor (>= len(frames)); rows past the frames hold only padding.
            Defaults to ``len(frames)``.

    Returns:
        (batch, 3, in_h, in_w) float32, NCHW.
    """
    rows = len(frames) if batch is None else batch
    canvas = np.full((rows, input_size.height, input_size.width, 3), PAD_VALUE, np.uint8)
    for index, (frame, plan) in enumerate(zip(frames, plans, strict=True)):
        canvas[
            index,
            plan.top : plan.top + plan.resized.height,
            plan.left : plan.left + plan.resized.width,
        ] = _resize(frame, plan.resized)
    channels = canvas.transpose(0, 3, 1, 2)
    if convention.rgb:
        channels = channels[:, ::-1]
    tensor = np.empty(channels.shape, np.float32)
    # One pass: layout change, channel swap, cast and scaling together.
    np.multiply(channels, np.float32(convention.scale), out=tensor)
    return tensor


def _resize(frame: NDArray[np.uint8], size: Size) -> NDArray[np.uint8]:
    if (frame.shape[1], frame.shape[0]) == size:
        return frame
    resized = cv2.resize(np.ascontiguousarray(frame), tuple(size), interpolation=cv2.INTER_LINEAR)
    return np.asarray(resized, np.uint8)


def boxes_to_input(xyxy: NDArray[np.float32], plan: LetterboxPlan) -> NDArray[np.float32]:
    """(N, 4) boxes in source pixels -> model input pixels (the forward transform)."""
    scale, offset = _affine(plan)
    return (xyxy * scale + offset).astype(np.float32)


def boxes_to_source(xyxy: NDArray[np.float32], plan: LetterboxPlan) -> NDArray[np.float32]:
    """(N, 4) boxes in model input pixels -> source pixels, clipped to the source frame."""
    scale, offset = _affine(plan)
    boxes = (xyxy - offset) / scale
    limits = np.array(
        [plan.source.width, plan.source.height, plan.source.width, plan.source.height],
        np.float32,
    )
    return np.clip(boxes, 0, limits).astype(np.float32)


def _affine(plan: LetterboxPlan) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    scale = np.array([plan.scale_x, plan.scale_y] * 2, np.float32)
    offset = np.array([plan.left, plan.top] * 2, np.float32)
    return scale, offset
