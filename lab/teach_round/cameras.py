"""The check set's clips grouped by camera, and a site's first week split from later weeks.

The check set's clips are made of photos and videos; a "camera" is what one source shows:
a CCTV dataset's camera (``cctv_people`` frames ``1-*``, ``2-*``, ``3-*`` are three cameras),
one photo (every clip of it, e.g. a cable drawn over the photo a scooter clip pans), one video
(its GIF preview included). Clips sharing any source are one camera, so no source appears on
both sides of the split. Pure functions.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

ROBOFLOW_COPY = re.compile(r"_(jpg|jpeg|png)\.rf\.[0-9a-f]+$")
CCTV_FRAME = re.compile(r"^(\d+)-")


@dataclass(frozen=True)
class Camera:
    """One camera: its id (``[A-Za-z0-9_.-]``, as a configuration names cameras) and clips."""

    id: str
    clips: tuple[str, ...]


def source_key(source: str) -> str:
    """The camera one source path (as the check set's manifest lists it) belongs to."""
    path = PurePosixPath(source)
    stem = ROBOFLOW_COPY.sub("", path.stem)
    if "cctv_people" in path.parts:
        frame = CCTV_FRAME.match(stem)
        return f"cctv-{frame.group(1)}" if frame else f"cctv-{stem}"
    if "intel" in path.parts:
        return f"intel-{stem}"
    return "photo-" + re.sub(r"[^A-Za-z0-9_.-]", "_", stem)


def group_cameras(sources: Mapping[str, Sequence[str]]) -> list[Camera]:
    """Clip name -> its source paths, to cameras (clips sharing a source are one camera),
    sorted by id; a camera's id is the smallest source key of its clips."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    for paths in sources.values():
        keys = sorted(source_key(p) for p in paths)
        for key in keys[1:]:
            a, b = root(keys[0]), root(key)
            parent[max(a, b)] = min(a, b)
    members: dict[str, list[str]] = {}
    for clip, paths in sources.items():
        if not paths:
            raise ValueError(f"clip {clip}: the manifest lists no source")
        members.setdefault(root(source_key(paths[0])), []).append(clip)
    return [Camera(key, tuple(sorted(clips))) for key, clips in sorted(members.items())]


def first_week(cameras: Sequence[Camera], share: float, seed: int) -> list[Camera]:
    """The cameras whose clips are the site's first week: cameras in a seeded shuffled order,
    taken until they hold at least ``share`` of all clips. The rest are the later weeks; raises
    ValueError when no camera is left for them."""
    if not 0 < share < 1:
        raise ValueError(f"share of the first week must be in (0, 1), got {share}")
    total = sum(len(c.clips) for c in cameras)
    order = sorted(cameras, key=lambda c: hashlib.sha256(f"{seed}:{c.id}".encode()).hexdigest())
    chosen: list[Camera] = []
    for camera in order:
        if sum(len(c.clips) for c in chosen) >= share * total:
            break
        chosen.append(camera)
    if len(chosen) == len(cameras):
        raise ValueError(
            f"no camera left for the later weeks: {len(cameras)} cameras, first week {share}"
        )
    return sorted(chosen, key=lambda c: c.id)
