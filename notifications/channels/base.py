"""The one small interface every channel implements, and the two ways a send can fail.

A channel's `send` returns the provider's message id (or "" when it has none) or raises:
- TransientDeliveryError: worth retrying later (server down, timeout, 5xx, 429);
- PermanentDeliveryError: retrying cannot help (bad number, 4xx, recipient refused).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from notifications.models import Delivery


class DeliveryError(Exception):
    """A send did not happen."""


class TransientDeliveryError(DeliveryError):
    """Retry with backoff."""


class PermanentDeliveryError(DeliveryError):
    """Stop: mark the delivery failed."""


class Channel(Protocol):
    def send(self, delivery: Delivery) -> str: ...
