"""The outbox's statuses, on their own so the model's default can name one too."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DROPPED = "dropped"


# A row in one of these is settled: nothing will send it again.
FINISHED = (Status.SENT, Status.DROPPED, Status.FAILED)
# Rows still in the queue, or given up on: what `/metrics` counts.
WATCHED = (Status.PENDING, Status.SENDING, Status.FAILED)
