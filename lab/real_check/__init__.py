"""The real-footage check set: clips with ground-truth sidecars built at run time from the
held-out real pictures of ``../shared`` (never committed), for ``stairwatch eval``.

Build it with ``python -m lab.real_check --shared ../shared --out data/real_check``.
"""
