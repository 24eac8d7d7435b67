"""Validate trained weights on a dataset's ``val`` split, offline (the model card's figures).

    python -m lab.training.validate WEIGHTS.pt --data DATA.yaml [--imgsz 320] [--json OUT]

Ultralytics' own validation (rectangular batches of 16, its default thresholds), the same as the
end of ``stairwatch train``; prints precision, recall, mAP50 and mAP50 per class. Needs the
``train`` extra.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from lab.training.dataset import resolve_dataset, write_resolved
from lab.training.errors import DatasetError, TrainingError
from lab.training.offline import prepare_offline, quiet_settings, require_modules
from lab.training.summary import ValidationMetrics
from lab.training.train import validation_metrics


def validate(weights: Path, data: Path, imgsz: int) -> ValidationMetrics:
    """Validate ``weights`` (.pt) on the ``val`` split of ``data``; raises Dataset/TrainingError."""
    if not weights.is_file():
        raise TrainingError(f"weights {weights} do not exist")
    spec = resolve_dataset(data)
    environment = prepare_offline()
    quiet_settings(environment)
    from ultralytics import YOLO

    with tempfile.TemporaryDirectory(prefix="stairwatch-val-") as tmp:
        data_file = write_resolved(spec, Path(tmp))
        model = YOLO(str(weights))
        metrics = model.val(
            data=str(data_file),
            imgsz=imgsz,
            batch=16,
            workers=0,
            plots=False,
            verbose=False,
            device="cpu",
            project=tmp,
        )
    return validation_metrics(metrics, spec.names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("weights", type=Path, help="Ultralytics weights (.pt)")
    parser.add_argument("--data", type=Path, required=True, help="a data.yaml; its val split")
    parser.add_argument("--imgsz", type=int, default=320, help="square size in pixels")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the figures here")
    args = parser.parse_args(argv)
    try:
        require_modules()
        result = validate(args.weights, args.data, args.imgsz)
    except (DatasetError, TrainingError) as exc:
        print(f"validate: {exc}", file=sys.stderr)
        return 2
    text = result.model_dump_json(indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
