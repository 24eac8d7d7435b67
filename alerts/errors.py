"""Exceptions raised by the alerts package."""


class AlertsError(Exception):
    """Base class of every error raised by :mod:`alerts`."""


class StoreError(AlertsError):
    """The event store could not read or write."""


class EventNotFound(StoreError):
    """No event with that id."""


class NotifierError(AlertsError):
    """A channel refused or could not take a message."""


class EventStateError(StoreError):
    """The action does not fit the event's status (e.g. resolving a resolved event)."""


class SnapshotMissing(StoreError):
    """The event exists but its snapshot file is gone (deleted by retention or by hand)."""


class ClipMissing(StoreError):
    """The event has no clip (none recorded yet, or it was removed by retention)."""


class PhotoMissing(StoreError):
    """The event has no patroller's photo (resolved without one, or it was removed)."""


class TrainingFrameMissing(StoreError):
    """The event keeps no such training frame (never kept, or removed by retention)."""


class SnapshotError(AlertsError):
    """A snapshot could not be rendered (bad image) or encoded."""


class PhotoRejected(AlertsError):
    """An uploaded photo is not a JPEG, PNG or WebP image that decodes; the text says why."""


class PhotoTooLarge(PhotoRejected):
    """An uploaded photo has more bytes or pixels than allowed."""


class DeliveryRefused(NotifierError):
    """The channel refused the message for good (bad request, bad key): retrying will not help."""


class LeaseLost(StoreError):
    """A write for a camera whose lease this node no longer holds (fencing): refused for good."""
