"""/assess: an adaptive placement quiz kept as a resumable state machine.

Per skill area the member gets a question at level 2, then level 3 if they got it
right or level 1 if not; that places them New/Beginner/Intermediate/Advanced.
The full placement (`ai`) first asks a few goal questions, which, with the
levels, recommend one roadmap and one path. The state is stored after every
answer, so a quiz survives a restart mid-way.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from bot.core.call import Call
from bot.core.community import milestones
from bot.core.errors import UserError
from bot.core.ids import row_id
from bot.core.replies import Button, Card, Field, Reply
from bot.core.services import due_times, pictures
from bot.core.services.levels import LEVEL_WORDS
from content.schema import Catalog, Question
from storage import repo
from storage.models import Assessment

LETTERS = "ABCDE"
KEY_AREAS = {
    "prompt-engineering": ("llm-prompting",),
    "ai-engineer": ("python", "llm-prompting"),
    "ml-engineer": ("python", "linear-algebra", "calculus", "classical-ml", "deep-learning"),
    "ai-data-scientist": ("probability-statistics", "classical-ml", "python"),
    "mlops": ("mlops", "python"),
    "ai-agents": ("ai-agents", "llm-prompting"),
    "ai-red-teaming": ("ai-security", "llm-prompting"),
}
# The pace each answer to "How many hours a week" sets for the member's plans.
WEEKLY_HOURS = {"under-5": 3.0, "5-to-10": 7.0, "10-to-20": 15.0, "over-20": 25.0}


async def assess_command(call: Call, area: str | None = None) -> Reply:
    scope = area or "ai"
    if scope != "ai" and scope not in call.catalog.areas:
        raise UserError(f"There's no skill area called {scope[:30]!r}.")
    member = await call.member()
    active = await _active(call, member.id)
    if active is not None:
        if active.scope == scope:
            return _render(call.catalog, active, lead="Picking up where you left off.")
        return Reply(
            cards=(
                Card(
                    title="You have a quiz in progress",
                    body=f"You started the {_scope_name(call.catalog, active.scope)} quiz. "
                    "Carry on with it, or start the new one (the old one is dropped).",
                ),
            ),
            buttons=(
                Button("Carry on", f"assess:resume:{active.id}", "primary"),
                Button("Start the new one", f"assess:start:{scope}"),
            ),
        )
    return await _begin(call, member.id, scope)


async def _active(call: Call, member_id: int) -> Assessment | None:
    stmt = (
        select(Assessment)
        .where(Assessment.member_id == member_id, Assessment.status == "active")
        .order_by(Assessment.id.desc())
        .limit(1)
    )
    return (await call.session.execute(stmt)).scalar_one_or_none()


async def _seen(call: Call, member_id: int) -> list[str]:
    """Questions the member was asked in earlier quizzes, so a reassessment prefers new ones."""
    stmt = select(Assessment.state).where(Assessment.member_id == member_id)
    seen: set[str] = set()
    for st in (await call.session.execute(stmt)).scalars():
        seen.update(q for q in (st or {}).get("asked", []) if isinstance(q, str))
    return sorted(seen)


def option_order(member_id: int, q: Question) -> list[int]:
    """The member's own order of a question's choices (indexes into `q.choices`), the same
    every time they see it, so the key's position says nothing across members."""
    order = list(range(len(q.choices)))
    random.Random(f"{member_id}:{q.id}").shuffle(order)
    return order


def _scope_name(catalog: Catalog, scope: str) -> str:
    return "full placement" if scope == "ai" else catalog.areas[scope].name


async def _begin(call: Call, member_id: int, scope: str) -> Reply:
    cat = call.catalog
    areas = [a.id for a in cat.area_list()] if scope == "ai" else [scope]
    state: dict[str, Any] = {
        "goals": [g.id for g in cat.goals] if scope == "ai" else [],
        "goal_answers": {},
        "areas": areas,
        "area_idx": 0,
        "first_correct": None,
        "asked": [],
        "answers": [],
        "levels": {},
        "seed": random.randrange(1 << 30),
        "seen": await _seen(call, member_id),
    }
    a = Assessment(member_id=member_id, scope=scope, status="active", state=state, started_at=call.now())
    call.session.add(a)
    await call.session.flush()
    _advance(cat, a, state)
    a.state = copy.deepcopy(state)
    flag_modified(a, "state")
    await call.session.flush()
    return _render(cat, a, lead=None)


def _pick(cat: Catalog, state: dict[str, Any], area: str, level: int) -> Question:
    pool = [q for q in cat.areas[area].questions if q.id not in state["asked"]]
    seen = set(state.get("seen", ()))
    rng = random.Random(f"{state['seed']}:{area}:{level}")
    for lvl in (level, *sorted({1, 2, 3} - {level}, key=lambda x: abs(x - level))):
        at = sorted((q for q in pool if q.level == lvl), key=lambda q: q.id)
        fresh = [q for q in at if q.id not in seen]
        if fresh or at:
            return rng.choice(fresh or at)
    raise UserError("This quiz has run out of questions; please tell an admin.")


def _advance(cat: Catalog, a: Assessment, state: dict[str, Any]) -> None:
    """Set state['current'] to the next goal or question, or finish."""
    if state["goals"] and len(state["goal_answers"]) < len(state["goals"]):
        nxt = next(g for g in state["goals"] if g not in state["goal_answers"])
        state["current"] = {"kind": "goal", "id": nxt}
        return
    while state["area_idx"] < len(state["areas"]):
        area = state["areas"][state["area_idx"]]
        if area not in cat.areas:
            state["area_idx"] += 1
            continue
        level = 2 if state["first_correct"] is None else (3 if state["first_correct"] else 1)
        q = _pick(cat, state, area, level)
        state["asked"].append(q.id)
        state["current"] = {"kind": "question", "id": q.id, "area": area}
        return
    state["current"] = None


def _question(cat: Catalog, qid: str) -> tuple[str, Question] | None:
    for area in cat.areas.values():
        for q in area.questions:
            if q.id == qid:
                return area.id, q
    return None


def _render(cat: Catalog, a: Assessment, lead: str | None, feedback: str = "") -> Reply:
    state = a.state
    cur = state.get("current")
    parts = [p for p in (lead, feedback) if p]
    if cur is None:
        return _result_reply(cat, a, "\n\n".join(parts))
    total_q = 2 * len(state["areas"])
    if cur["kind"] == "goal":
        goal = next(g for g in cat.goals if g.id == cur["id"])
        n = len(state["goal_answers"]) + 1
        parts.append(f"**{goal.stem}**")
        buttons = tuple(Button(o.label[:80], f"assess:goal:{a.id}:{goal.id}:{o.id}") for o in goal.options)
        from bot.core.replies import Select, SelectOption

        return Reply(
            cards=(Card(title=f"About you · {n} of {len(state['goals'])}", body="\n\n".join(parts)),),
            select=Select(
                f"assess:goalpick:{a.id}",
                "Choose the closest answer",
                tuple(SelectOption(b.label, b.action) for b in buttons),
            ),
        )
    found = _question(cat, cur["id"])
    if found is None:
        raise UserError(
            "This quiz refers to a question that no longer exists.",
            hint="Start again with /assess.",
        )
    area_id, q = found
    answered = sum(1 for x in state["answers"] if x.get("kind") == "question")
    order = option_order(a.member_id, q)
    choices = "\n".join(f"**{LETTERS[pos]}.** {q.choices[i]}" for pos, i in enumerate(order))
    parts.append(f"**{q.stem}**\n\n{choices}")
    # A button carries the choice's index in the question, not its position on screen,
    # so any answer button (from this message or an older one) is checked the same way.
    buttons = [
        Button(LETTERS[pos], f"assess:ans:{a.id}:{q.id}:{i}", "primary") for pos, i in enumerate(order)
    ]
    if len(buttons) < 5:
        buttons.append(Button("I haven't learned this", f"assess:skip:{a.id}:{area_id}"))
    return Reply(
        cards=(
            Card(
                title=f"{cat.areas[area_id].name} · question {answered + 1} of about {total_q}",
                body="\n\n".join(parts),
            ),
        ),
        buttons=tuple(buttons),
    )


async def _load(call: Call, aid: str) -> Assessment:
    member = await call.member()
    aid_number = row_id(aid)
    if aid_number is None:
        raise UserError("That quiz button is broken. Run /assess again.")
    a = await call.session.get(Assessment, aid_number)
    if a is None or a.member_id != member.id:
        raise UserError("That quiz isn't yours or no longer exists.", hint="Run /assess.")
    return a


def _stale(cat: Catalog, a: Assessment) -> Reply:
    if a.status != "active":
        return Reply(cards=(Card(title="That quiz is finished", body="Run /assess to take it again."),))
    return _render(cat, a, lead="That one was already answered. Here's where you are:")


async def answer(call: Call, args: list[str], _v: Mapping[str, str]) -> Reply:
    if len(args) != 3 or row_id(args[2]) is None:
        raise UserError("That quiz button is broken. Run /assess again.")
    a = await _load(call, args[0])
    state = copy.deepcopy(a.state)
    cur = state.get("current")
    if a.status != "active" or not cur or cur.get("kind") != "question" or cur["id"] != args[1]:
        return _stale(call.catalog, a)
    area_id, q = _question(call.catalog, args[1]) or (None, None)
    if q is None or area_id is None:
        raise UserError("That question no longer exists. Run /assess to start again.")
    choice = int(args[2])  # checked by row_id above
    if choice >= len(q.choices):
        raise UserError("That answer isn't one of the choices.")
    correct = choice == q.answer
    state["answers"] = [
        *state["answers"],
        {
            "kind": "question",
            "q": q.id,
            "area": area_id,
            "level": q.level,
            "choice": choice,
            "correct": correct,
        },
    ]
    if state["first_correct"] is None:
        state["first_correct"] = correct
    else:
        first = state["first_correct"]
        level = (3 if correct else 2) if first else (1 if correct else 0)
        _finish_area(state, area_id, level)
    key_letter = LETTERS[option_order(a.member_id, q).index(q.answer)]
    feedback = (
        "✅ Correct. " if correct else f"❌ Not quite: the answer is {key_letter}, {q.choices[q.answer]}. "
    ) + q.explanation
    return await _step(call, a, state, feedback)


def _finish_area(state: dict[str, Any], area_id: str, level: int) -> None:
    state["levels"] = {**state["levels"], area_id: level}
    state["area_idx"] += 1
    state["first_correct"] = None


async def skip_area(call: Call, args: list[str], _v: Mapping[str, str]) -> Reply:
    if len(args) != 2:
        raise UserError("That quiz button is broken. Run /assess again.")
    a = await _load(call, args[0])
    state = copy.deepcopy(a.state)
    cur = state.get("current")
    if a.status != "active" or not cur or cur.get("area") != args[1]:
        return _stale(call.catalog, a)
    _finish_area(state, args[1], 0)
    return await _step(
        call,
        a,
        state,
        f"Skipped {call.catalog.areas[args[1]].name}: we'll start you from the basics there.",
    )


async def goal(call: Call, args: list[str], _v: Mapping[str, str]) -> Reply:
    if len(args) != 3:
        raise UserError("That quiz button is broken. Run /assess again.")
    a = await _load(call, args[0])
    state = copy.deepcopy(a.state)
    cur = state.get("current")
    if a.status != "active" or not cur or cur.get("kind") != "goal" or cur["id"] != args[1]:
        return _stale(call.catalog, a)
    g = next((g for g in call.catalog.goals if g.id == args[1]), None)
    if g is None or args[2] not in {o.id for o in g.options}:
        raise UserError("That answer isn't one of the options.")
    state["goal_answers"] = {**state["goal_answers"], args[1]: args[2]}
    return await _step(call, a, state, "")


async def _step(call: Call, a: Assessment, state: dict[str, Any], feedback: str) -> Reply:
    _advance(call.catalog, a, state)
    if state["current"] is None:
        result = recommend(call.catalog, a.scope, state)
        a.result = result
        a.status = "complete"
        a.completed_at = call.now()
    a.state = state
    flag_modified(a, "state")
    await call.session.flush()
    if a.status == "complete":
        member = await call.member()
        pace = WEEKLY_HOURS.get(state["goal_answers"].get("weekly-time", ""))
        if pace is not None:
            member.hours_per_week = pace
            plan = await repo.active_plan(call.session, member.id)
            if plan is not None and plan.hours_per_week != pace:
                a.result = {**(a.result or {}), "repace_plan": plan.id, "repace_title": plan.title}
        await due_times.refresh(call.session, member, call.now())
        reply = await pictures.skill_profile(call, member, a, _render(call.catalog, a, None, feedback))
        return await milestones.celebrate(
            call, member, reply, await milestones.from_assessment(call.session, member.id, a)
        )
    return _render(call.catalog, a, None, feedback)


async def resume(call: Call, args: list[str], _v: Mapping[str, str]) -> Reply:
    a = await _load(call, args[0] if args else "")
    if a.status != "active":
        return _stale(call.catalog, a)
    return _render(call.catalog, a, lead="Picking up where you left off.")


async def start(call: Call, args: list[str], _v: Mapping[str, str]) -> Reply:
    scope = args[0] if args else "ai"
    if scope != "ai" and scope not in call.catalog.areas:
        raise UserError(f"There's no skill area called {scope[:30]!r}.")
    member = await call.member()
    active = await _active(call, member.id)
    if active is not None:
        active.status = "abandoned"
    return await _begin(call, member.id, scope)


def recommend(cat: Catalog, scope: str, state: dict[str, Any]) -> dict[str, Any]:
    levels: dict[str, int] = state["levels"]
    result: dict[str, Any] = {"scope": scope, "levels": levels}
    if scope != "ai":
        return result
    r_score = {r.id: 0.0 for r in cat.roadmap_list()}
    p_score = {p.id: 0.0 for p in cat.path_list()}
    picked = []
    for g in cat.goals:
        opt = next((o for o in g.options if o.id == state["goal_answers"].get(g.id)), None)
        if opt is None:
            continue
        picked.append(opt.label)
        for k, w in opt.roadmaps.items():
            r_score[k] = r_score.get(k, 0) + w
        for k, w in opt.paths.items():
            p_score[k] = p_score.get(k, 0) + w
    for rid, areas in KEY_AREAS.items():
        if rid in r_score:
            known = [levels.get(x, 0) for x in areas]
            r_score[rid] += 0.5 * sum(known) / (3 * len(known))
    mean = sum(levels.values()) / max(1, len(levels))
    if mean < 1:
        r_score["prompt-engineering"] = r_score.get("prompt-engineering", 0) + 0.75
        p_score["no-code-to-code"] = p_score.get("no-code-to-code", 0) + 0.75
    elif mean >= 2.2:
        p_score["ml-expert"] = p_score.get("ml-expert", 0) + 0.5
    roadmap = max(r_score, key=lambda k: (r_score[k], -cat.roadmaps[k].order))
    path = max(p_score, key=lambda k: (p_score[k], -cat.paths[k].order))
    ranked = sorted((a for a in levels if a in cat.areas), key=lambda a: -levels[a])
    strong = [cat.areas[a].name for a in ranked if levels[a] >= 2]
    weak = [cat.areas[a].name for a in sorted(ranked, key=lambda a: levels[a]) if levels[a] <= 1]
    reason = []
    if picked:
        reason.append("You told me: " + "; ".join(lower_first(p) for p in picked) + ".")
    reason.append(
        f"{cat.roadmaps[roadmap].name} is best for {lower_first(cat.roadmaps[roadmap].best_for).rstrip('.')}."
    )
    if strong:
        reason.append("Your strongest areas: " + _some(strong) + ".")
        reason.append("When you enrol, topics below your level there are marked as known.")
    if weak:
        reason.append(_some(weak) + " start from the basics.")
    result.update({"roadmap": roadmap, "path": path, "reason": " ".join(reason)})
    if (pace := WEEKLY_HOURS.get(state["goal_answers"].get("weekly-time", ""))) is not None:
        result["weekly_hours"] = pace
    return result


def _some(names: list[str], shown: int = 4) -> str:
    """Up to `shown` names, then how many more, so a short list never reads as the whole one."""
    if len(names) <= shown:
        return ", ".join(names)
    return ", ".join(names[:shown]) + f" and {len(names) - shown} more"


def lower_first(text: str) -> str:
    """Lower-case a label's first letter for use mid-sentence, leaving "AI", "ML", "LLMs" alone."""
    word = text.split(" ", 1)[0]
    if sum(c.isupper() for c in word) > 1:
        return text
    return text[:1].lower() + text[1:]


def _result_reply(cat: Catalog, a: Assessment, feedback: str) -> Reply:
    result = a.result or {}
    levels = result.get("levels", {})
    fields = tuple(
        Field(cat.areas[k].name, LEVEL_WORDS.get(v, str(v))) for k, v in levels.items() if k in cat.areas
    )
    body = [feedback] if feedback else []
    buttons: list[Button] = []
    if "roadmap" in result:
        r, p = cat.roadmaps.get(result["roadmap"]), cat.paths.get(result["path"])
        body.append(
            f"**Recommended roadmap:** {r.name if r else result['roadmap']}\n"
            f"**Recommended path:** {p.name if p else result['path']}\n\n"
            f"{result.get('reason', '')}"
        )
        if r:
            buttons.append(Button(f"Start {r.name}"[:80], f"learn:enrol:{r.id}", "primary"))
        if p:
            buttons.append(Button(f"Start {p.name}"[:80], f"learn:enrol:{p.id}"))
    answer = result.get("weekly_hours")
    if answer:
        body.append(
            f"Your plans will run at **{answer:g} h a week**, from your answer; "
            "you can change it when you enrol."
        )
        if "repace_plan" in result:
            title = result.get("repace_title", "your plan")
            body.append(f"Your current plan, {title}, keeps its pace until you change it.")
            buttons.insert(
                0, Button(f"Use {answer:g} h a week for it", f"learn:pace:{result['repace_plan']}:{answer:g}")
            )
    body.append("I'll remind you to reassess in 3 months, so your plan keeps up with you.")
    buttons.append(Button("Browse all roadmaps", "learn:list:all"))
    return Reply(
        cards=(Card(title="Your results", body="\n\n".join(body), fields=fields, tone="success"),),
        buttons=tuple(buttons),
    )


ACTIONS = {
    "assess:ans": answer,
    "assess:goal": goal,
    "assess:skip": skip_area,
    "assess:resume": resume,
    "assess:start": start,
}
