"""``stairwatch eval``: run the service's pipeline over labelled clips and score it.

Modules: :mod:`.sidecar` (ground truth beside each clip), :mod:`.matching` (predictions against
truth, pure), :mod:`.metrics` (counts, rates, the result model), :mod:`.frames` (frame-level mAP),
:mod:`.runner` (drives the pipeline), :mod:`.report` (the HTML page).
"""
