"""Frames in: files, RTSP, MJPEG, devices. No ML here."""
