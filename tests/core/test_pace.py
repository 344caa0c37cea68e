"""Pace is measured over days the plan has lived through, and its verdict agrees with its dates."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.domain import pace, plan_dates, planner
from content.loader import load_default_catalog

START = date(2026, 11, 30)
TOTAL = 185.0
HPW = 5.0
PLAN = plan_dates.span(START, HPW, [(TOTAL, 1)])
ALL_DAYS = set(range(7))


def measure(today, by_day, done=0.0, weekdays=ALL_DAYS):
    return pace.measure(
        START, today, PLAN.finish, [(done, START, True), (TOTAL - done, START, False)], by_day, weekdays
    )


def test_one_hour_on_day_one_does_not_throw_the_finish_years_out():
    p = measure(START, {START: 60})
    assert p.status == pace.JUST_STARTED
    assert p.projected_finish == PLAN.finish
    nxt = measure(START + timedelta(days=1), {START: 60})
    # 1 h in one day is 7 h a week: earlier than the plan, not later.
    assert nxt.weekly_hours == 7
    assert nxt.projected_finish is not None and nxt.projected_finish < PLAN.finish
    assert nxt.status == pace.AHEAD


def test_nothing_says_behind_before_a_full_study_day_has_passed():
    assert measure(START, {}).status == pace.JUST_STARTED
    saturday = date(2026, 12, 5)
    weekdays = {0, 1, 2, 3, 4}
    early = pace.measure(
        saturday, saturday + timedelta(days=2), PLAN.finish, [(TOTAL, saturday, False)], {}, weekdays
    )
    assert early.status == pace.JUST_STARTED  # Sat and Sun are rest days
    later = pace.measure(
        saturday, saturday + timedelta(days=3), PLAN.finish, [(TOTAL, saturday, False)], {}, weekdays
    )
    assert later.status == pace.NO_STUDY


def test_studying_at_the_plan_pace_lands_on_the_plans_date():
    today = START + timedelta(days=14)
    by_day = {START + timedelta(days=i): 60 * HPW / 7 for i in range(14)}
    p = measure(today, by_day)
    assert p.weekly_hours is not None and abs(p.weekly_hours - HPW) < 1e-9
    assert p.status == pace.ON_PACE
    assert abs((p.projected_finish - PLAN.finish).days) <= 1


def test_the_window_is_the_last_28_days_once_the_plan_is_that_old():
    today = START + timedelta(days=60)
    old = {START + timedelta(days=i): 600 for i in range(10)}  # busy at first, idle lately
    p = measure(today, old)
    assert p.window_days == 28 and p.status == pace.NO_STUDY


days = st.integers(min_value=0, max_value=120)
logs = st.dictionaries(days, st.integers(min_value=1, max_value=300), max_size=40)


def _key(p):
    return date.max if p.projected_finish is None else p.projected_finish


@settings(max_examples=300, deadline=None)
@given(logs, days, days, st.integers(1, 300), st.sets(st.integers(0, 6), min_size=1))
def test_more_study_never_moves_the_finish_later(offsets, age, extra_day, extra, weekdays):
    today = START + timedelta(days=age)
    by_day = {START + timedelta(days=o): m for o, m in offsets.items() if o <= age}
    more = dict(by_day)
    d = START + timedelta(days=min(extra_day, age))
    more[d] = more.get(d, 0) + extra
    assert _key(measure(today, more, weekdays=weekdays)) <= _key(measure(today, by_day, weekdays=weekdays))


@settings(max_examples=300, deadline=None)
@given(logs, days, st.floats(0, TOTAL), st.sets(st.integers(0, 6), min_size=1))
def test_ahead_never_comes_with_a_later_date(offsets, age, done, weekdays):
    today = START + timedelta(days=age)
    p = measure(today, {START + timedelta(days=o): m for o, m in offsets.items() if o <= age}, done, weekdays)
    if p.status == pace.AHEAD:
        assert p.projected_finish is not None and p.projected_finish <= p.plan_finish
    if p.status == pace.BEHIND:
        assert p.projected_finish is not None and p.projected_finish > p.plan_finish
    if age == 0:
        assert p.status in (pace.JUST_STARTED, pace.DONE)


# Plans from the catalogue: roadmaps, and paths whose phases open on set weeks. At a pace
# above the one a path is laid out for, its plan has weeks with nothing to do while the
# next phase waits, which is where a projection that ignored phases came out too early.
CATALOG = load_default_catalog()
REFS = sorted(CATALOG.roadmaps)[:4] + sorted(CATALOG.paths)
PACES = (3, 5, 10, 15, 25)


def _plan(ref, hpw):
    draft = planner.build_plan(CATALOG, ref, hpw, START)
    work = [(i.hours, i.earliest_week) for i in draft.items if not i.skipped]
    ends = [plan_dates.cursor_hours(hpw, work[: k + 1]) for k in range(len(work))]
    return draft, work, ends


def _dated(work, done):
    return [(h, plan_dates.week_start(START, w), k in done) for k, (h, w) in enumerate(work)]


def _slack(p, today):
    return timedelta(days=max(pace.SLACK_DAYS, round(pace.SLACK_SHARE * (p.plan_finish - today).days)))


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(REFS), st.sampled_from(PACES), st.floats(0, 1), st.booleans())
def test_studying_at_the_planned_pace_projects_to_the_plans_finish(ref, hpw, when, marks_done):
    """A member who logs the plan's hours a week, every day from the start, and marks each topic
    done when the plan finishes it (or marks nothing), is on pace to the plan's own date."""
    draft, work, ends = _plan(ref, hpw)
    age = round(when * ((draft.finish - START).days + 1))
    today = START + timedelta(days=age)
    by_day = {START + timedelta(days=k): 60 * hpw / 7 for k in range(age)}
    planned = age / 7 * hpw  # hours the plan has laid out by the start of today
    done = {k for k, end in enumerate(ends) if end <= planned + 1e-9} if marks_done else set()
    p = pace.measure(START, today, draft.finish, _dated(work, done), by_day, ALL_DAYS)
    assert p.plan_finish == draft.finish
    if p.status == pace.DONE:
        assert today >= draft.finish - _slack(p, today)
    else:
        assert p.status in (pace.JUST_STARTED, pace.ON_PACE), (p, age)
        assert abs(p.projected_finish - draft.finish) <= _slack(p, today)


paths = st.sampled_from(sorted(CATALOG.paths))
path_logs = st.dictionaries(st.integers(0, 500), st.integers(1, 600), max_size=60)


def _path_case(ref, hpw, offsets, age, done_share):
    draft, work, _ = _plan(ref, hpw)
    today = START + timedelta(days=age)
    by_day = {START + timedelta(days=o): m for o, m in offsets.items() if o <= age}
    done = set(range(round(done_share * len(work))))
    return draft, work, today, by_day, done


@settings(max_examples=200, deadline=None)
@given(paths, st.sampled_from(PACES), path_logs, st.integers(0, 500), st.floats(0, 1))
def test_on_a_path_ahead_never_comes_with_a_later_date_nor_before_a_phase_opens(
    ref, hpw, offsets, age, done_share
):
    draft, work, today, by_day, done = _path_case(ref, hpw, offsets, age, done_share)
    dated = _dated(work, done)
    p = pace.measure(START, today, draft.finish, dated, by_day, ALL_DAYS)
    if p.status == pace.AHEAD:
        assert p.projected_finish <= p.plan_finish
    if p.status == pace.BEHIND:
        assert p.projected_finish > p.plan_finish
    if p.projected_finish is not None and p.status != pace.DONE:
        # no unfinished topic of a phase still to open can be done before that phase opens
        waiting = [e for h, e, is_done in dated if not is_done and e > today]
        assert p.projected_finish >= max(waiting, default=today)


@settings(max_examples=200, deadline=None)
@given(
    paths,
    st.sampled_from(PACES),
    path_logs,
    st.integers(0, 500),
    st.floats(0, 1),
    st.integers(0, 500),
    st.integers(1, 900),
)
def test_on_a_path_more_study_never_moves_the_finish_later(ref, hpw, offsets, age, done_share, day, extra):
    draft, work, today, by_day, done = _path_case(ref, hpw, offsets, age, done_share)
    more = dict(by_day)
    d = START + timedelta(days=min(day, age))
    more[d] = more.get(d, 0) + extra
    dated = _dated(work, done)
    before = pace.measure(START, today, draft.finish, dated, by_day, ALL_DAYS)
    after = pace.measure(START, today, draft.finish, dated, more, ALL_DAYS)
    assert _key(after) <= _key(before)


def test_hours_logged_beyond_the_done_topics_come_off_the_front():
    work = [(4.0, START, False), (6.0, START, False), (5.0, START, False)]
    assert pace.remaining(work, {START: 7 * 60}, START) == [(3.0, START), (5.0, START)]
    # hours that a done topic accounts for are not counted twice
    work[0] = (4.0, START, True)
    assert pace.remaining(work, {START: 7 * 60}, START) == [(3.0, START), (5.0, START)]
    assert pace.remaining(work, {START: 15 * 60}, START) == []


def test_hours_logged_before_a_phase_opened_do_not_count_towards_it():
    phase2 = START + timedelta(days=14)
    work = [(10.0, START, True), (10.0, phase2, False)]
    busy_first_week = {START + timedelta(days=k): 180 for k in range(7)}  # 21 h, 11 beyond the done topic
    assert pace.remaining(work, busy_first_week, START + timedelta(days=10)) == [(10.0, phase2)]
    assert pace.remaining(work, busy_first_week, phase2) == [(10.0, phase2)]
    later = {**busy_first_week, phase2: 240}
    assert pace.remaining(work, later, phase2) == [(6.0, phase2)]
    # and the hours left are what the projection lays out: the phase's 10 h from its week
    p = pace.measure(START, phase2 - timedelta(days=1), PLAN.finish, work, busy_first_week, ALL_DAYS)
    assert p.status != pace.DONE and p.projected_finish >= phase2


def test_a_path_at_its_planned_pace_is_not_told_ahead():
    """The reported case: ml-expert at 25 h a week, studied at exactly 25 h a week."""
    draft, work, ends = _plan("ml-expert", 25)
    assert draft.finish > START + timedelta(
        days=7 * sum(h for h, _ in work) / 25 + 60
    )  # weeks wait for phases
    age = 20 * 7
    by_day = {START + timedelta(days=k): 60 * 25 / 7 for k in range(age)}
    done = {k for k, end in enumerate(ends) if end <= age / 7 * 25}
    p = pace.measure(START, START + timedelta(days=age), draft.finish, _dated(work, done), by_day, ALL_DAYS)
    assert p.status == pace.ON_PACE
    assert p.projected_finish == draft.finish


def test_the_nudge_says_how_far_behind_from_the_same_dates() -> None:
    from bot.core.domain import pace as pace_rule
    from bot.core.services.studylog import verdict

    plan_finish = date(2027, 3, 3)
    close = pace_rule.Pace(pace_rule.BEHIND, 4.5, 10, plan_finish + timedelta(days=20), plan_finish, 300)
    assert verdict(close).startswith("You're a little behind.")
    far = pace_rule.Pace(pace_rule.BEHIND, 1.8, 3, date(2027, 8, 19), plan_finish, 45)
    said = verdict(far)
    assert "a little" not in said
    assert "at 1.8 h a week you'd finish about 24 weeks after your plan's date" in said
    ahead = pace_rule.Pace(pace_rule.AHEAD, 9.0, 10, plan_finish - timedelta(days=60), plan_finish, 900)
    assert verdict(ahead) == "You're ahead of plan. Great momentum!"
