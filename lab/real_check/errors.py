"""The check-set builder's exception."""


class CheckSetError(Exception):
    """The real data is missing or malformed; the message names the file."""
