"""Spaced review, the rule stated once: when a card enters a member's queue, and how a rating
moves it. The intervals are FSRS's (the `fsrs` package); nothing here does interval maths.

- A topic's cards enter a member's queue when they mark it done or log study on it, due at
  the start of the member's next local day (their next local midnight, DST-safe). A card
  already queued keeps its state.
- A rating (Again, Hard, Good, Easy) is handed to `fsrs.Scheduler.review_card` with the
  member's desired retention. The scheduler runs without learning steps: a member reviews in
  a chat, about once a day, so every card is scheduled in whole days (at least one), and
  without fuzzing, so the same history always gives the same due date.
- What is offered now: the cards due at this moment, up to what the daily limit leaves after
  the ratings given since the member's local midnight. /review and the check-in's due line
  both count this way (`offered`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from fsrs import Card, Rating, Scheduler, State

from bot.core.domain.schedule import end_of_local_day, local_instant

RATINGS: dict[str, Rating] = {
    "again": Rating.Again,
    "hard": Rating.Hard,
    "good": Rating.Good,
    "easy": Rating.Easy,
}
RATING_LABELS = {Rating.Again: "Again", Rating.Hard: "Hard", Rating.Good: "Good", Rating.Easy: "Easy"}
NEW_STATE = int(State.Learning)

RETENTION_DEFAULT = 0.9
RETENTION_MIN = 0.7
RETENTION_MAX = 0.97
LIMIT_DEFAULT = 5
LIMIT_MAX = 50


@lru_cache(maxsize=64)
def scheduler(retention: float) -> Scheduler:
    """The FSRS scheduler for one desired retention (cached: members share a few values)."""
    return Scheduler(
        desired_retention=retention,
        learning_steps=(),
        relearning_steps=(),
        enable_fuzzing=False,
    )


def first_due(today: date, tz: ZoneInfo) -> datetime:
    """When a card queued on local day `today` falls due: the start of the next local day."""
    return end_of_local_day(today, tz).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class CardState:
    """What is stored per member and card; the fields of `fsrs.Card`."""

    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None

    def to_fsrs(self) -> Card:
        return Card(
            card_id=0,
            state=State(self.state),
            step=self.step,
            stability=self.stability,
            difficulty=self.difficulty,
            due=self.due.astimezone(UTC),
            last_review=self.last_review.astimezone(UTC) if self.last_review else None,
        )

    @classmethod
    def from_fsrs(cls, card: Card) -> CardState:
        return cls(
            state=int(card.state),
            step=card.step,
            stability=card.stability,
            difficulty=card.difficulty,
            due=card.due,
            last_review=card.last_review,
        )


def new_card(today: date, tz: ZoneInfo) -> CardState:
    return CardState(
        state=NEW_STATE, step=0, stability=None, difficulty=None, due=first_due(today, tz), last_review=None
    )


def rate(card: CardState, rating: Rating, now: datetime, retention: float) -> CardState:
    """The card after `rating` at `now`, as FSRS schedules it for that retention."""
    reviewed, _log = scheduler(retention).review_card(card.to_fsrs(), rating, now.astimezone(UTC))
    return CardState.from_fsrs(reviewed)


def is_due(due: datetime, now: datetime) -> bool:
    return due <= now


def day_start(now: datetime, tz: ZoneInfo) -> datetime:
    """The member's local midnight that began their day at `now`: ratings since count today."""
    return local_instant(now.astimezone(tz).date(), time(0, 0), tz)


def room(limit: int, reviewed_today: int) -> int:
    """How many more ratings the daily limit allows today."""
    return max(0, limit - reviewed_today)


def offered(due: int, limit: int, reviewed_today: int) -> int:
    """How many of the cards due now /review shows today."""
    return min(due, room(limit, reviewed_today))
