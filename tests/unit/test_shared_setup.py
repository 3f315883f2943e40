import datetime as dt

from domain.calendar import WorkingCalendar
from domain.policy import WORKING_DAY, SupportPolicy
from domain.workflow_inputs import CaseSetup, shared_setup

CALENDAR = WorkingCalendar.england_and_wales()


def setup(to: dt.date, policy: SupportPolicy | None = None) -> CaseSetup:
    snapshot = CALENDAR.snapshot(dt.date(2026, 11, 1), to)
    return CaseSetup(policy=policy or SupportPolicy(), calendar=snapshot)


def test_cases_with_equal_setups_share_one_instance() -> None:
    first = shared_setup(setup(dt.date(2028, 12, 31)))
    second = shared_setup(setup(dt.date(2028, 12, 31)))

    assert second is first


def test_a_different_snapshot_or_policy_is_not_shared() -> None:
    base = shared_setup(setup(dt.date(2028, 12, 31)))
    longer = shared_setup(setup(dt.date(2029, 12, 31)))
    stricter = shared_setup(
        setup(dt.date(2028, 12, 31), SupportPolicy(resolution_offered_window=5 * WORKING_DAY))
    )

    assert longer is not base and longer.calendar.valid_to == dt.date(2029, 12, 31)
    assert stricter is not base and stricter.policy.resolution_offered_window == 5 * WORKING_DAY
    assert base.policy == SupportPolicy()
