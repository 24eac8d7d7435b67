"""Evidence clips (a ring of recent frames per camera, MP4 encoding) and the retention job."""
