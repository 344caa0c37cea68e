"""/review: one due card at a time, rated Again/Hard/Good/Easy, then a summary.

Which cards a member has, when they fall due and how a rating moves them is the rule in
`bot/core/domain/review.py`; this module shows cards and records ratings. Buttons carry the
card and how many times it had been reviewed when shown, so a repeated or stale press is
recognised and changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import timedelta

from bot.core import ids
from bot.core.call import Call
from bot.core.display import day
from bot.core.domain import review as rule
from bot.core.errors import UserError
from bot.core.replies import Button, Card, Field, Reply
from bot.core.services import memberships
from content.schema import ReviewCard
from storage import review_queries
from storage.models import Member

RECALL_DAYS = 30
WEAKEST_SHOWN = 3


async def enqueue_topics(call: Call, member: Member, topic_ids: Iterable[str]) -> int:
    """Queue the cards of these topics for the member, due the start of their next local day."""
    fresh = rule.new_card(call.today(member), call.tz(member))
    rows = [
        {
            "member_id": member.id,
            "card_id": c.id,
            "topic_id": c.topic,
            "state": fresh.state,
            "step": fresh.step,
            "stability": None,
            "difficulty": None,
            "due": fresh.due,
            "last_review": None,
            "reps": 0,
            "lapses": 0,
            "created_at": call.now(),
        }
        for topic in dict.fromkeys(topic_ids)
        for c in call.catalog.cards.get(topic, ())
    ]
    return await review_queries.enqueue(call.session, rows)


async def _reviewed_today(call: Call, member: Member) -> int:
    """Ratings since the member's local midnight."""
    start = rule.day_start(call.now(), call.tz(member))
    return await review_queries.reviewed_since(call.session, member.id, start)


async def _left_today(call: Call, member: Member) -> tuple[int, int]:
    """(reviewed today, how many more the daily limit allows)."""
    done = await _reviewed_today(call, member)
    return done, rule.room(member.review_daily_limit, done)


def _card_text(call: Call, card_id: str) -> ReviewCard | None:
    return call.catalog.card(card_id)


def _topic_title(call: Call, topic_id: str) -> str:
    for r in call.catalog.roadmap_list():
        t = r.topic(topic_id)
        if t is not None:
            return t.title
    return topic_id


async def _next(call: Call, member: Member, lead: str = "") -> Reply:
    done, room = await _left_today(call, member)
    due = await review_queries.next_due(call.session, member.id, call.now(), n=20) if room else []
    for row in due:
        text = _card_text(call, row.card_id)
        if text is None:
            continue  # a card removed from the catalogue is skipped, never shown blank
        total = await review_queries.due_count(call.session, member.id, call.now())
        shown = rule.offered(total, member.review_daily_limit, done)
        return Reply(
            text=lead,
            cards=(
                Card(
                    title=f"Review · {_topic_title(call, row.topic_id)}",
                    body=f"**{text.prompt}**\n\nRecall your answer, then check it.",
                    footer=f"Card {done + 1} of {done + shown} today",
                ),
            ),
            buttons=(Button("Show answer", f"review:show:{row.card_id}:{row.reps}", "primary"),),
        )
    return await _summary(call, member, done, lead, limited=room == 0)


async def _summary(call: Call, member: Member, done: int, lead: str = "", limited: bool = True) -> Reply:
    """`limited`: the daily limit stopped the session (otherwise any cards still due are ones
    whose text left the catalogue, which are never shown)."""
    now = call.now()
    waiting = await review_queries.due_count(call.session, member.id, now) if limited else 0
    later = await review_queries.next_later(call.session, member.id, now)
    lines = []
    if done:
        lines.append(f"You reviewed {done} card{'s' if done != 1 else ''} today.")
    if waiting and member.review_daily_limit == 0:
        lines.append("Reviews are off (daily limit 0). Turn them on with /settings review_limit:5.")
    elif waiting:
        lines.append(
            f"That's your daily limit of {member.review_daily_limit}; {waiting} more "
            f"card{'s are' if waiting != 1 else ' is'} due and will wait for tomorrow."
        )
    elif done:
        lines.append("No more cards are due.")
    if later is not None:
        lines.append(f"Next cards due: {day(later.astimezone(call.tz(member)).date())}.")
    if not lines:
        lines.append(
            "No cards yet. When you mark a topic done or log study on it, its review cards "
            "join your queue and are due the next day."
        )
    title = "Review done" if done else "Nothing to review"
    return Reply(
        text=lead,
        cards=(Card(title=title, body="\n".join(lines), tone="success" if done else "info"),),
        buttons=(Button("Progress", "progress:show"),),
    )


async def review_command(call: Call) -> Reply:
    member = await call.member()
    return await _next(call, member)


def _args(args: list[str], n: int) -> list[str]:
    if len(args) != n or ids.row_id(args[1]) is None:
        raise UserError("That review button is broken.", hint="Run /review for a fresh one.")
    return args


async def show_answer(call: Call, args: list[str], _v: Mapping[str, str]) -> Reply:
    """`review:show:<card>:<reps>`: the answer and the four ratings."""
    card_id, reps = _args(args, 2)
    member = await call.member()
    stale = await _stale(call, member, card_id, int(reps))
    if stale is not None:
        return stale
    text = _card_text(call, card_id)
    assert text is not None  # _stale refuses cards missing from the catalogue
    base = f"review:rate:{card_id}:{reps}"
    return Reply(
        cards=(
            Card(
                title=f"Review · {_topic_title(call, text.topic)}",
                body=f"**{text.prompt}**\n\n{text.answer}\n\nHow well did you recall it?",
            ),
        ),
        buttons=(
            Button("Again", f"{base}:again", "danger"),
            Button("Hard", f"{base}:hard"),
            Button("Good", f"{base}:good", "success"),
            Button("Easy", f"{base}:easy", "primary"),
        ),
    )


async def _stale(call: Call, member: Member, card_id: str, reps: int) -> Reply | None:
    """A reply saying why this card can't be acted on, or None when it is still as shown."""
    row = await review_queries.card(call.session, member.id, card_id)
    if row is None or _card_text(call, card_id) is None:
        return await _next(call, member, "That card isn't in your review queue any more.")
    if row.reps != reps:
        return await _next(call, member, "That card was already rated, so nothing changed.")
    if not rule.is_due(row.due, call.now()):
        when = day(row.due.astimezone(call.tz(member)).date())
        return await _next(call, member, f"That card is no longer due (next on {when}), so nothing changed.")
    return None


async def rate_action(call: Call, args: list[str], _v: Mapping[str, str]) -> Reply:
    """`review:rate:<card>:<reps>:<again|hard|good|easy>`: record it, then the next card."""
    if len(args) != 3 or args[2] not in rule.RATINGS:
        raise UserError("That review button is broken.", hint="Run /review for a fresh one.")
    card_id, reps = _args(args[:2], 2)
    member = await call.member()
    stale = await _stale(call, member, card_id, int(reps))
    if stale is not None:
        return stale
    row = await review_queries.card(call.session, member.id, card_id)
    rating = rule.RATINGS[args[2]]
    now = call.now()
    before = rule.CardState(row.state, row.step, row.stability, row.difficulty, row.due, row.last_review)
    after = rule.rate(before, rating, now, member.review_retention)
    written = await review_queries.rate(
        call.session,
        {
            "member_id": member.id,
            "card_id": card_id,
            "seen_reps": int(reps),
            "now": now,
            "state": after.state,
            "step": after.step,
            "stability": after.stability,
            "difficulty": after.difficulty,
            "new_due": after.due,
            "lapse": 1 if rating == rule.Rating.Again and row.reps > 0 else 0,
        },
        {
            "member_id": member.id,
            "card_id": card_id,
            "topic_id": row.topic_id,
            "rating": int(rating),
            "reviewed_at": now,
            "due_before": row.due,
            "due_after": after.due,
        },
    )
    if not written:
        return await _next(call, member, "That card was already rated, so nothing changed.")
    when = day(after.due.astimezone(call.tz(member)).date())
    return await _next(call, member, f"{rule.RATING_LABELS[rating]}: next time on {when}.")


async def next_action(call: Call, _a: list[str], _v: Mapping[str, str]) -> Reply:
    return await _next(call, await call.member())


async def topic_action(call: Call, args: list[str], _v: Mapping[str, str]) -> Reply:
    """`review:topic:<topic>`: the topic to study again, with its first resource."""
    topic_id = args[0] if args else ""
    for r in call.catalog.roadmap_list():
        t = r.topic(topic_id)
        if t is not None:
            res = t.resources[0]
            return Reply(
                cards=(
                    Card(
                        title=f"Study again: {t.title}",
                        body=f"{t.explainer}\n\nStart here: [{res.title}]({res.url})",
                    ),
                ),
                buttons=(Button("Log study", "checkin:open", "primary"), Button("Review", "review:next")),
            )
    raise UserError("That topic is no longer in the catalogue.", hint="Run /progress for a fresh list.")


async def progress_part(call: Call, member: Member) -> tuple[str, tuple[Button, ...]]:
    """Lines and buttons for /progress: cards learned, due, recall over 30 days, weakest topics."""
    queued = await review_queries.queued_cards(call.session, member.id)
    if not queued:
        return "", ()
    now = call.now()
    learned = await review_queries.reviewed_cards(call.session, member.id)
    due = await review_queries.due_count(call.session, member.id, now)
    logs = await review_queries.logs_since(call.session, member.id, now - timedelta(days=RECALL_DAYS))
    lines = [f"**Review cards**: {learned} learned of {queued} · {due} due now"]
    if logs:
        recalled = sum(1 for r in logs if r.rating != int(rule.Rating.Again))
        share = f"{recalled / len(logs):.0%} ({recalled} of {len(logs)})"
        lines.append(f"Recall, last {RECALL_DAYS} days: {share}")
    again = Counter(r.topic_id for r in logs if r.rating == int(rule.Rating.Again))
    weakest = [t for t, _ in sorted(again.items(), key=lambda kv: (-kv[1], kv[0]))[:WEAKEST_SHOWN]]
    if weakest:
        lines.append(
            "Weakest topics: " + ", ".join(f"{_topic_title(call, t)} ({again[t]}× Again)" for t in weakest)
        )
    buttons = tuple(Button(f"Study {_topic_title(call, t)}"[:80], f"review:topic:{t}") for t in weakest)
    return "\n\n" + "\n".join(lines), buttons


def parse_retention(text: str) -> float:
    t = text.strip().rstrip("%").strip()
    try:
        value = float(t)
    except ValueError:
        raise UserError(
            f"{text[:12]!r} isn't a retention.", hint="Use a share like 0.9 or a percentage like 90%."
        ) from None
    if value > 1:
        value /= 100
    if not rule.RETENTION_MIN <= value <= rule.RETENTION_MAX:
        raise UserError(
            f"Desired retention must be between {rule.RETENTION_MIN:.0%} and {rule.RETENTION_MAX:.0%}.",
            hint="90% is the usual choice; higher means many more reviews.",
        )
    return round(value, 3)


def parse_limit(text: str) -> int:
    t = text.strip()
    if not t.isascii() or not t.isdigit():
        raise UserError(f"{text[:12]!r} isn't a number of cards.", hint="e.g. 5, or 0 to turn reviews off.")
    value = int(t)
    if value > rule.LIMIT_MAX:
        raise UserError(f"The daily review limit can be at most {rule.LIMIT_MAX} cards.")
    return value


def setting_changes(opts: Mapping[str, object]) -> list[tuple[str, object, str]]:
    """(member attribute, value, what the reply says) for the review options of /settings."""
    out: list[tuple[str, object, str]] = []
    if (v := opts.get("review_retention")) is not None:
        r = parse_retention(str(v))
        out.append(("review_retention", r, f"Review retention: {r:.0%}"))
    if (v := opts.get("review_limit")) is not None:
        n = parse_limit(str(v))
        out.append(("review_daily_limit", n, f"Reviews a day: {n}" if n else "Reviews off"))
    return out


def settings_field(member: Member) -> Field:
    limit = member.review_daily_limit
    value = f"{limit} a day, {member.review_retention:.0%} retention" if limit else "off"
    return Field("Review cards", value)


async def checkin_part(
    call: Call, member: Member, due: int | None = None, communities: int = 1
) -> tuple[str, tuple[Button, ...]]:
    """The check-in's review lines and "Review" buttons, for each of the person's memberships
    with cards due: each community keeps its own queue, and one check-in speaks for all.

    `due` is the member's count the dispatcher read with its claim; without it (the console, a
    snoozed copy) it is read here, as the other memberships' are.
    """
    if communities < 2:
        parts = [await _due_part(call, member, due)]
    else:
        others = await memberships.others(call.session, member)
        names = await memberships.labels(call.session, [member, *others])
        parts = [await _due_part(call, member, due, names[member.id], own=True)]
        parts += [await _due_part(call, other, None, names[other.id], own=False) for other in others]
    lines = [line for line, _ in parts if line]
    if not lines:
        return "", ()
    return "\n\n" + "\n".join(lines), tuple(button for _, button in parts if button is not None)


async def _due_part(
    call: Call, member: Member, due: int | None, where: str | None = None, own: bool = True
) -> tuple[str, Button | None]:
    """One membership's line (empty when nothing is due), and its button while /review has cards
    to show today. `where` names the community for a person in several; `own` is the
    check-in's own membership, whose buttons the check-in scopes."""
    limit = member.review_daily_limit
    if limit == 0:
        return "", None
    if due is None:
        due = await review_queries.due_count(call.session, member.id, call.now())
    if not due:
        return "", None
    shown = rule.offered(due, limit, await _reviewed_today(call, member))
    noun = "card is" if due == 1 else "cards are"
    place = f" in {where}" if where else ""
    if not shown:
        wait = "it waits" if due == 1 else "they wait"
        return (
            f"🔁 {due} review {noun} due{place}. "
            f"You've reviewed your {limit} for today, so {wait} for tomorrow.",
            None,
        )
    more = f" ({shown} today)" if shown < due else ""
    if own:
        button = Button("Review now", "review:next", "primary")
    else:
        button = Button(f"Review in {where}"[:80], ids.scoped("review:next", member.workspace_id))
    return f"🔁 {due} review {noun} due{place}{more}.", button


ACTIONS = {
    "review:next": next_action,
    "review:show": show_answer,
    "review:rate": rate_action,
    "review:topic": topic_action,
}
