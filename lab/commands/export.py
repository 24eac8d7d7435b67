"""``stairwatch export``: trained weights -> ONNX (dynamic batch and size), optionally int8."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "export",
        help="export weights to ONNX, optionally int8 (needs the 'train' extra for .pt)",
        description="Export Ultralytics weights (.pt) to ONNX with class names in the metadata "
        "and dynamic batch, height and width (the detector then feeds each camera at its own "
        "aspect, e.g. 640x360 as 320x192; --fixed-size pins a square input). With --int8, also "
        "write a static int8 QDQ copy (NAME_int8.onnx) calibrated on --calib-images (letterboxed "
        "to --imgsz square). Given an .onnx instead of a .pt, only checks and quantizes it (no "
        "torch needed).",
    )
    p.add_argument("weights", type=Path, help="weights .pt (or an exported .onnx)")
    p.add_argument("--out", type=Path, help="the fp32 .onnx to write (default: beside the weights)")
    p.add_argument(
        "--imgsz",
        type=int,
        default=320,
        help="input size in pixels: the square size calibrated and checked at (and the only one "
        "with --fixed-size)",
    )
    p.add_argument(
        "--fixed-size",
        action="store_true",
        help="pin height and width to --imgsz (a square input; default: dynamic)",
    )
    p.add_argument("--opset", type=int, default=17, help="ONNX opset (>= 17)")
    p.add_argument("--int8", action="store_true", help="also write a static int8 QDQ model")
    p.add_argument("--calib-images", type=Path, help="folder of calibration images (for --int8)")
    p.add_argument("--calib-count", type=int, default=200, help="calibration images to use")
    p.add_argument("--int8-out", type=Path, help="int8 model path (default: OUT with _int8 suffix)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lab.training.errors import TrainingError

    if args.int8 and args.calib_images is None:
        print("stairwatch export: --int8 needs --calib-images DIR", file=sys.stderr)
        return 2
    try:
        fp32 = _fp32_model(args)
        _report(fp32, "fp32")
        if args.int8:
            int8 = _int8_model(args, fp32)
            _report(int8, "int8")
    except TrainingError as exc:
        print(f"stairwatch export: {exc}", file=sys.stderr)
        return 2
    return 0


def _fp32_model(args: argparse.Namespace) -> Path:
    from lab.training.offline import EXPORT_EXTRA_MODULES, prepare_offline, require_modules

    if args.weights.suffix == ".onnx":
        return Path(args.weights)
    require_modules(EXPORT_EXTRA_MODULES)
    prepare_offline()
    from lab.training.export import export_fp32

    out = args.out or args.weights.with_suffix(".onnx")
    started = time.perf_counter()
    export_fp32(args.weights, out, args.imgsz, args.opset, fixed_size=args.fixed_size)
    print(f"exported {out} in {time.perf_counter() - started:.1f} s")
    return Path(out)


def _int8_model(args: argparse.Namespace, fp32: Path) -> Path:
    from lab.training.onnx_check import describe_onnx
    from lab.training.quantize import list_calibration_images, quantize_int8
    from vision.letterbox import Size

    info = describe_onnx(fp32)
    images = list_calibration_images(args.calib_images, args.calib_count)
    out = args.int8_out or fp32.with_name(f"{fp32.stem}_int8.onnx")
    height, width = info.input_size
    print(f"quantizing with {len(images)} calibration images from {args.calib_images} ...")
    started = time.perf_counter()
    quantize_int8(fp32, out, images, Size(width, height), info.input_name)
    print(f"quantized {out} in {time.perf_counter() - started:.1f} s")
    return Path(out)


def _report(path: Path, label: str) -> None:
    from lab.training.onnx_check import check_batches, describe_onnx, measure_latency

    info = describe_onnx(path)
    check_batches(info)
    latency = measure_latency(info, batch=1)
    print(
        f"{label}: {path}  {info.size_mb:.1f} MiB  opset {info.opset}  "
        f"input {list(info.input_shape)} -> output {list(info.output_shape)}"
    )
    print(f"{label}: names {list(info.names)}  (batch 1 and 3 checked)")
    print(
        f"{label}: onnxruntime CPU latency at batch 1: "
        f"median {latency.median_ms:.1f} ms, p90 {latency.p90_ms:.1f} ms"
    )
