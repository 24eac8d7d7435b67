"""Evidence clips (a ring of each camera's recent compressed packets, MP4 encoding) and the
retention job."""
