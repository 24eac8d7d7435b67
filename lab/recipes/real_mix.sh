#!/usr/bin/env bash
# The bundled model's recipe: rendered scenes mixed with real pixels, fine-tuned from the shipped
# weights. One script for both machines: on 2 CPU cores (TIME_HOURS=0.9, about 1.1 h in all) or on
# one GPU (DEVICE=0 TIME_HOURS=0.1: data about 4 min, training 6 min).
#
#   SHARED=../shared RUN=runs/real_mix bash lab/recipes/real_mix.sh
#   DEVICE=0 TIME_HOURS=0.1 RESULTS=/somewhere bash lab/recipes/real_mix.sh   # on a GPU machine
#
# Writes into $RUN: data/ (the training set), train/ (Ultralytics run: weights, results.csv,
# train_summary.json), fp32.onnx, int8.onnx (7-bit weights, calibrated on clip-story frames),
# and recipe.log. With RESULTS set, copies the weights, both ONNX files, the metrics and the log
# there (a few MiB: what a borrowed machine should send back). Needs the 'train' extra and
# ../shared (real photos, the COCO teacher).
set -euo pipefail
SHARED=${SHARED:-../shared}
RUN=${RUN:-runs/real_mix}
DEVICE=${DEVICE:-cpu}
TIME_HOURS=${TIME_HOURS:-0.9}
EPOCHS=${EPOCHS:-12}
BASE=${BASE:-models/stairwatch-default.pt}
WORKERS=${WORKERS:-2}
export YOLO_OFFLINE=1

DATA=$RUN/data
mkdir -p "$RUN"
exec > >(tee -a "$RUN/recipe.log") 2>&1
echo "real_mix recipe: device=$DEVICE time_hours=$TIME_HOURS base=$BASE $(date -u +%FT%TZ)"

if [ ! -f "$DATA/data_real_mix.yaml" ]; then
  rm -rf "$DATA"
  # 2,000 rendered frames (1,700 train, 300 val) + the real scooter photos (train -> train,
  # valid/test -> val_real, never trained on) with the teacher's people added
  stairwatch synth dataset --out "$DATA" --images 2000 --seed 1 --workers "$WORKERS" \
      --mix-yolo "$SHARED/data/modes_of_transport" --mix-map bike=ebike
  python3 -m lab.training.pseudo_labels "$DATA" --teacher "$SHARED/models/yolox_nano.onnx" \
      --labels "$SHARED/models/coco80.txt" --take person=person --confidence 0.45
  # real indoor CCTV people (train -> train; its 44 clean valid frames -> val_people, held out)
  python3 -m lab.training.real_mix add "$DATA" --source "$SHARED/data/cctv_people" \
      --map subject=person "other personnel=person" --prefix cctv_ --held-out val_people
  # flying wires drawn onto 30 % of the real training photos
  python3 -m lab.training.real_mix cables "$DATA" --prefix real_ cctv_ --share 0.3 --seed 7
  # the sample-clip stories re-rendered in other scenes (the sample clips themselves: never)
  python3 -m lab.synth.clip_dataset --out "$DATA" --split train_clips --variants 5 \
      --every-s 1.0 --first-seed 100
  # real scooter and people crops (training photos only) pasted onto rendered lifts, corridors,
  # stairwells and sheds and onto real CCTV frames, 40 % of them with a flying wire drawn too
  python3 -m lab.training.paste_real "$DATA" --split train_paste --count 1200 --seed 11 \
      --bikes "$SHARED/data/modes_of_transport" --people "$SHARED/data/cctv_people"
  python3 -m lab.training.real_mix cables "$DATA" --split train_paste --prefix paste_ \
      --share 0.4 --seed 8
  cat > "$DATA/data_real_mix.yaml" <<EOF
path: $(cd "$DATA" && pwd)
train: [images/train, images/train_clips, images/train_paste]
val: images/val
names:
  0: ebike
  1: bicycle
  2: person
  3: cable
EOF
fi

# fine-tune the shipped weights on the mix at a low rate (AdamW 0.0003, short warm-up: at
# Ultralytics' automatic 0.00125 they forgot rendered scenes and real bikes alike); the last
# epoch's weights are taken, since the real held-out sets are kept for measuring, not selecting
stairwatch train --data "$DATA/data_real_mix.yaml" --model "$BASE" --imgsz 320 \
    --epochs "$EPOCHS" --time-hours "$TIME_HOURS" --cache --batch 32 --seed 0 \
    --workers "$WORKERS" --warmup-epochs 0.5 --lr0 0.0003 --optimizer AdamW \
    --device "$DEVICE" --out "$RUN/train"
stairwatch export "$RUN/train/weights/last.pt" --out "$RUN/fp32.onnx" --imgsz 320 --opset 17
stairwatch export "$RUN/fp32.onnx" --int8 --calib-images "$DATA/images/train_clips" \
    --calib-count 300 --int8-out "$RUN/int8.onnx"
if [ -n "${RESULTS:-}" ]; then
  mkdir -p "$RESULTS"
  cp "$RUN/train/weights/last.pt" "$RESULTS/last.pt"
  cp "$RUN/fp32.onnx" "$RUN/int8.onnx" "$RUN/train/results.csv" "$RUN/recipe.log" "$RESULTS/"
  cp "$RUN/train/train_summary.json" "$RESULTS/" 2>/dev/null || true
fi
echo "done $(date -u +%FT%TZ)"
