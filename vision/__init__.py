"""Pure per-frame vision logic: detector, motion, tracking, zones.

No threads and no I/O except loading a model.
"""
