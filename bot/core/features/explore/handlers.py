"""/explore: the skill matrix, roadmaps side by side, careers, salaries, trends and more."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.call import Call
from bot.core.display import hours, stars
from bot.core.errors import UserError
from bot.core.replies import Card, Reply, Select, SelectOption
from content.schema import Catalog

BUILT_IN = (
    ("Roadmaps compared", "roadmaps"),
    ("Skill matrix", "skills"),
    ("Learning paths", "paths"),
)


def topic_choices(catalog: Catalog) -> tuple[tuple[str, str], ...]:
    sections = sorted(catalog.explore.values(), key=lambda s: s.order)
    return (*BUILT_IN, *((s.title, s.id) for s in sections))[:25]


async def explore_command(call: Call, topic: str | None = None) -> Reply:
    if topic is None:
        return _menu(call.catalog)
    return render(call.catalog, topic)


def _menu(catalog: Catalog) -> Reply:
    choices = topic_choices(catalog)
    body = "\n".join(f"• {label}" for label, _ in choices)
    return Reply(
        cards=(Card(title="Explore the field", body=body),),
        select=Select(
            "explore:pick",
            "Choose a topic",
            tuple(SelectOption(label, f"explore:show:{value}") for label, value in choices),
        ),
        origin="explore:menu",
    )


def render(catalog: Catalog, topic: str) -> Reply:
    if topic == "roadmaps":
        lines = []
        for r in catalog.roadmap_list():
            extra = " · ".join(x for x in (r.salary, r.timeline) if x)
            lines.append(
                f"**{r.name}** · {hours(r.hours)} · demand {stars(r.demand)}"
                + (f" · {extra}" if extra else "")
                + f"\n  Best for: {r.best_for}"
            )
        card = Card(title="Roadmaps compared", body="\n".join(lines))
    elif topic == "skills":
        lines = [
            f"**{s.name}** · {s.min_weeks}-{s.max_weeks} weeks · {s.level} · demand "
            f"{stars(s.demand)} · ROI {s.roi}"
            for s in catalog.skills
        ]
        card = Card(title="Skill matrix", body="\n".join(lines))
    elif topic == "paths":
        lines = [
            f"**{p.name}** ({p.duration}, {p.timeline})\n"
            + "\n".join(f"  {ph.label}: {ph.title}" for ph in p.phases)
            + f"\n  Outcome: {p.outcome}"
            + f"\n  Pace: about {hours(p.hours_per_week)} a week"
            for p in catalog.path_list()
        ]
        card = Card(title="Learning paths", body="\n\n".join(lines))
    elif topic in catalog.explore:
        section = catalog.explore[topic]
        parts = [section.intro] if section.intro else []
        for entry in section.entries:
            chunk = [f"**{entry.title}**"]
            if entry.text:
                chunk.append(entry.text)
            chunk += [f"{k[:1].upper()}{k[1:]}: {v}" for k, v in entry.facts.items()]
            chunk += [f"• {b}" for b in entry.bullets]
            if entry.study:
                chunk.append("Study: " + "; ".join(_study_line(catalog, ref) for ref in entry.study))
            if entry.url:
                chunk.append(str(entry.url))
            parts.append("\n".join(chunk))
        card = Card(title=section.title, body="\n\n".join(parts))
    else:
        names = ", ".join(v for _, v in topic_choices(catalog))
        raise UserError(f"I have nothing on {topic[:40]!r}.", hint=f"Try: {names}")
    return Reply(cards=(card,), origin=f"explore:show:{topic}")


def _study_line(catalog: Catalog, ref: str) -> str:
    """A roadmap, path or topic reference as a member can act on it: its name and the
    /learn command that starts it (the loader has checked that the reference exists)."""
    roadmap_id, _, topic_id = ref.partition("/")
    if not topic_id:
        name = catalog.roadmaps[ref].name if ref in catalog.roadmaps else catalog.paths[ref].name
        return f"{name} (/learn {ref})"
    found = catalog.resolve_topic(ref)
    assert found is not None
    roadmap, topic = found
    return f"{topic.title}, in {roadmap.name} (/learn {roadmap_id})"


async def show_action(call: Call, args: list[str], _v: Mapping[str, str]) -> Reply:
    if not args:
        return _menu(call.catalog)
    return render(call.catalog, args[0])


async def menu_action(call: Call, _a: list[str], _v: Mapping[str, str]) -> Reply:
    return _menu(call.catalog)


ACTIONS = {"explore:show": show_action, "explore:pick": show_action, "explore:menu": menu_action}
