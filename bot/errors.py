"""The application's exception tree (connector and config errors have their own)."""

from __future__ import annotations


class SalonError(Exception):
    """Base of errors the application reports to the user in one line."""


class StoreError(SalonError):
    """The database cannot be opened or written."""


class RuleError(SalonError):
    """A triage rule or template cannot be used."""


class DeliveryError(SalonError):
    """An outbox item could not be delivered."""


class ConversationError(SalonError):
    """A staff action names a conversation that does not exist, or a state it cannot take."""
