"""/admin: community settings, defaults and stats, for community admins only."""

from __future__ import annotations

from bot.core.commands import ON_OFF, CommandSpec, Option
from bot.core.features.admin import handlers
from bot.core.registry import Registry

MILESTONE_CHOICES = (
    ("7-day streak", "streak-7"),
    ("30-day streak", "streak-30"),
    ("100-day streak", "streak-100"),
    ("First topic done", "first-topic"),
    ("A quarter of a plan", "plan-quarter"),
    ("Half of a plan", "plan-half"),
    ("A whole plan", "plan-all"),
    ("10 papers read", "papers-10"),
    ("Level up in a reassessment", "level-up"),
)
CADENCE_CHOICES = (("Every week", "weekly"), ("Every two weeks", "biweekly"))
SPEC = CommandSpec(
    "admin",
    "Community settings: channels, defaults, digest, leaderboard, milestones, buddies, stats",
    (
        Option(
            "action",
            "choice",
            "What to do",
            required=True,
            choices=(
                ("Set the weekly-paper channel", "paper-channel"),
                ("Set community defaults", "defaults"),
                ("Community stats", "stats"),
                ("Set the digest channel", "digest-channel"),
                ("Set the digest day and time", "digest-time"),
                ("Turn the weekly digest on", "digest-on"),
                ("Turn the weekly digest off", "digest-off"),
                ("Turn the leaderboard on", "leaderboard-on"),
                ("Turn the leaderboard off", "leaderboard-off"),
                ("Milestone celebrations: channel, on or off", "celebrations"),
                ("Map a milestone to a server role", "milestones"),
                ("Study buddies: channel, cadence, on or off", "buddies"),
            ),
        ),
        Option(
            "channel",
            "channel",
            "Channel for the weekly paper, the digest, celebrations or buddy intros",
        ),
        Option(
            "timezone",
            "string",
            "Default time zone for new members",
            max_length=64,
            autocomplete="timezone",
        ),
        Option("checkin_time", "string", "Default check-in time, HH:MM", max_length=5),
        Option(
            "hours_per_week",
            "number",
            "Default study hours per week",
            min_value=0.5,
            max_value=80,
        ),
        Option("weekday", "string", "Digest weekday, e.g. sun", max_length=9),
        Option("time", "string", "Digest time, HH:MM in the community's time zone", max_length=5),
        Option("milestone", "choice", "A milestone to map to a role", choices=MILESTONE_CHOICES),
        Option("role", "string", "The server role for that milestone, or 'none'", max_length=40),
        Option("cadence", "choice", "How often buddy rounds run", choices=CADENCE_CHOICES),
        Option("enabled", "choice", "Turn the feature on or off", choices=ON_OFF),
    ),
    admin=True,
    usage="/admin paper-channel <channel> | defaults [timezone] [checkin_time] "
    "[hours_per_week] | stats | digest-channel <channel> | digest-time <weekday> <HH:MM> "
    "| digest-on | digest-off | leaderboard-on | leaderboard-off "
    "| celebrations [channel] [enabled] | milestones [milestone] [role] "
    "| buddies [channel] [cadence] [enabled]",
)


def register(registry: Registry) -> None:
    registry.command(SPEC, handlers.admin_command, order=140)
    registry.actions(handlers.ACTIONS)
