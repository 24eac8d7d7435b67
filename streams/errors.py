"""Exceptions raised by the streams package."""


class StreamError(Exception):
    """Base class of every error raised by :mod:`streams`."""


class SourceOpenError(StreamError):
    """A source could not be opened (missing file, unreachable camera, unreadable format)."""


class SourceReadError(StreamError):
    """A source that was open stopped delivering frames."""
