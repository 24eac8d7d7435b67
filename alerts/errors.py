"""Exceptions raised by the alerts package."""


class AlertsError(Exception):
    """Base class of every error raised by :mod:`alerts`."""


class StoreError(AlertsError):
    """The event store could not read or write."""


class EventNotFound(StoreError):
    """No event with that id."""


class NotifierError(AlertsError):
    """A channel refused or could not take a message."""
