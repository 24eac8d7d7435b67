"""The model lab: how stairwatch's detector is made, kept apart from the service that runs it.

- :mod:`lab.synth` renders synthetic stairwell, corridor, elevator and facade scenes with exact
  truth boxes, and the sample clips with their ground-truth sidecars;
- :mod:`lab.training` turns real photos and rendered scenes into Ultralytics datasets, trains,
  validates, exports to ONNX and quantizes;
- :mod:`lab.commands` gives them the ``stairwatch synth``, ``train`` and ``export`` commands.

The lab reads the service's formats (zones, evaluation sidecars) from :mod:`stairwatch`; the
service never imports the lab, except the command line, which lists the lab's commands.
"""
