"""Where finished records go: a JSONL file, a Redis stream, and one log event per article.

:class:`~newsmill.sinks.delivery.Delivery` ties them together so that each input of a job yields exactly
one record, even when a worker dies after writing and the message is delivered again.
"""

from __future__ import annotations

from newsmill.sinks.delivery import Delivered, Delivery, DeliveryOutcome
from newsmill.sinks.jsonl import JsonlSink

__all__ = ["Delivered", "Delivery", "DeliveryOutcome", "JsonlSink"]
