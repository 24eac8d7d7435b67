"""Procedural synthetic scenes for training the detector (numpy + OpenCV drawing only).

Everything is deterministic given an :class:`numpy.random.Generator`. The pieces compose:

- :mod:`.scenes` renders a background once from a :class:`~.scenes.SceneSpec` and returns a
  :class:`~.scenes.SceneLayout` (where objects can stand, windows, outlets, foreground occluders);
- :mod:`.vehicles`, :mod:`.people` and :mod:`.cables` draw parametric objects (frozen specs from
  :mod:`.specs`) and return :class:`~.shapes.ObjectRender` (tight box + outline points);
- :mod:`.camera` applies CCTV effects and moves object outlines through lens distortion;
- :mod:`.compose` builds one labelled sample, :mod:`.dataset` writes an Ultralytics dataset;
- :mod:`.fire` draws battery fires (flames, smoke) and the lights that are not fires, and
  :mod:`.fire_clips` writes the shed clips with and without fire that score ``smoke_fire``.
"""
