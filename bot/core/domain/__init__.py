"""Pure rules behind the numbers a member sees: one module per rule, no I/O.

plan_dates: a plan's length and finish date. pace: the measured pace and the
projection from it. streaks: the streak rule. placement: which topics an
assessment marks as known. logged: how logged time is shown.
"""
