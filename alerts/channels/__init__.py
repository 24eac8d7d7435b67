"""Delivery channels: each turns a :class:`~alerts.notices.Notice` into its service's format.

Build them with :func:`alerts.channels.factory.build_channels`; they share the
:class:`~alerts.channels.base.Channel` protocol. Errors: :class:`~alerts.errors.NotifierError`
(retry later) or :class:`~alerts.errors.DeliveryRefused` (retrying will not help).
"""
