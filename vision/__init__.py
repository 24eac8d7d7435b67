"""Pure per-frame vision logic: detector, motion, tracking, zones. No threads, no I/O but model loading."""
