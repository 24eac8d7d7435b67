"""Things a clip adds to its scene's background: open doorways people come and go through."""

from __future__ import annotations

import cv2
import numpy as np

from lab.synth.errors import SynthError
from lab.synth.motion import GroundMap
from lab.synth.storyboard import Doorway

WALL_GAP_M = 0.3  # the walkable band stops this far from the side walls (corridors)
_OPENING = (38, 38, 42)
_LANDING = (112, 112, 108)
_FRAME = (95, 95, 100)


def _side_wall_quad(ground: GroundMap, door: Doorway) -> np.ndarray:
    """Level cameras: the opening on a side wall (bottom near, bottom far, top far, top near)."""
    x, y = ground.pixel(0.0 if door.side == "left" else 1.0, door.v)
    wx, wz = ground.world(x, y)
    wall_x = wx - WALL_GAP_M if door.side == "left" else wx + WALL_GAP_M
    corners = []
    for z in (wz - door.width_m / 2, wz + door.width_m / 2):
        px, py = ground.to_pixel((wall_x, z))
        corners.append((px, py, ground.px_per_m(py)))
    (x0, y0, k0), (x1, y1, k1) = corners
    return np.array(
        [[x0, y0], [x1, y1], [x1, y1 - door.height_m * k1], [x0, y0 - door.height_m * k0]]
    )


def _ceiling_view_quad(ground: GroundMap, door: Doorway, size: tuple[int, int]) -> np.ndarray:
    """Ceiling cameras: the landing floor seen through the open car door, from the floor's
    ``bottom`` edge to the frame's (the scene draws the walls as trapezoids between those
    edges); ``v`` is where the door's centre sits along that edge (0..1), ``width_m`` its width."""
    if door.side != "bottom":
        raise SynthError("ceiling-camera doorways are on the bottom edge")
    b = ground.band
    # The scene's floor is its band grown by 1/8 of the band's width and 1/18 of its depth.
    fd, fw = (b.y_near - b.y_far) / 0.9, (b.x_near[1] - b.x_near[0]) / 0.8
    x0, y1 = b.x_near[0] - 0.1 * fw, b.y_near + 0.05 * fd
    half = door.width_m * ground.px_per_m(y1) / 2
    w, h = size
    centre = x0 + door.v * fw
    inner = [(centre - half, y1), (centre + half, y1)]
    # Wall trapezoid lines run from the floor's corners to the frame's: keep the fraction along.
    outer = [((x - x0) / fw * w, float(h)) for x, _ in inner]
    return np.array([inner[0], inner[1], outer[1], outer[0]])


def draw_doorway(image: np.ndarray, ground: GroundMap, door: Doorway) -> None:
    """A dark opening with a frame (level cameras) or the landing floor through the open door
    (ceiling cameras); drawn in place."""
    h, w = image.shape[:2]
    if ground.top_down:
        quad = _ceiling_view_quad(ground, door, (w, h))
        colour = _LANDING
    else:
        quad = _side_wall_quad(ground, door)
        colour = _OPENING
    pts = np.round(quad * 8).astype(np.int32)
    cv2.fillPoly(image, [pts], colour, cv2.LINE_AA, shift=3)
    thick = max(2, round(0.05 * ground.px_per_m(float(quad[0, 1]))))
    cv2.polylines(image, [pts[[0, 3]], pts[[1, 2]]], False, _FRAME, thick, cv2.LINE_AA, shift=3)
