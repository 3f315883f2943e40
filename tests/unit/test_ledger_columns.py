"""Every column of the KPI ledger holds the largest value its field allows (DESIGN §13).

0.1 let a 124-character integrator id into a case whose ledger column holds 100: the write
failed on PostgreSQL for good (SQLite does not enforce the length, and hid it). Here
every text column is compared with the longest value its field can carry, and a row at
every maximum is written and read back on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa

from activities.ledger import Ledger
from activities.ledger_schema import metadata
from domain import bounds
from domain.actors import Actor, Role
from domain.kpi_ledger import (
    CaseRow,
    FeedbackRecord,
    LedgerEntry,
    NotificationRecord,
    SlaEventKind,
    SlaEventRecord,
)
from domain.machines import CaseMachine
from domain.models import CaseType, FeedbackEscalation, Priority
from domain.notifications import NotificationKind, Recipient
from domain.sla import Action, Due
from sims_support.security import keys
from tests.ledger_db import ledger_url

__all__ = ["ledger_url"]  # the fixture, parametrised over both databases

REFERENCE = 40  # domain.models.Reference: ^[A-Z0-9-]{3,40}$
URN = 6
AT = dt.datetime(2026, 11, 30, 10, 0, 0, 123456, tzinfo=dt.UTC)
INSTANT = len(AT.isoformat())  # every instant a key holds is written like this


def longest(enum: type[StrEnum]) -> int:
    return max(len(member.value) for member in enum)


STATES = max(len(state.id) for state in CaseMachine.states)
NEWS_ID = 200  # domain.problem_links.ProblemNews.news_id
# Every notification key a case writes: "case-<ref>:" and the longest of what follows it:
# problem news (its news id), feedback ("feedback:<request id>"), a timer's action
# ("<kind>@<instant>"), or the default ("<kind>:<instant>").
NOTIFICATION_KEY = (
    len("case-")
    + REFERENCE
    + 1
    + max(
        NEWS_ID,
        len("feedback:") + bounds.REQUEST_ID_MAX,
        longest(NotificationKind) + 1 + INSTANT,
    )
)
MAXIMA: dict[tuple[str, str], int] = {
    ("case_outcomes", "reference"): REFERENCE,
    ("case_outcomes", "case_type"): longest(CaseType),
    ("case_outcomes", "priority"): 2,
    ("case_outcomes", "integrator_id"): bounds.ID_MAX,
    ("case_outcomes", "school_urn"): URN,
    ("case_outcomes", "state"): STATES,
    ("sla_events", "reference"): REFERENCE,
    ("sla_events", "key"): longest(Action) + 1 + INSTANT,
    ("sla_events", "action"): longest(Action),
    ("sla_events", "kind"): longest(SlaEventKind),
    ("sla_events", "priority"): 2,
    ("notifications", "key"): NOTIFICATION_KEY,
    ("notifications", "reference"): REFERENCE,
    ("notifications", "kind"): longest(NotificationKind),
    ("notifications", "recipient"): longest(Recipient),
    ("notifications", "priority"): 2,
    ("notifications", "outcome"): len("delivered"),
    ("feedback", "reference"): REFERENCE,
    ("feedback", "key"): bounds.REQUEST_ID_MAX,
    ("feedback", "case_type"): longest(CaseType),
    ("feedback", "priority"): 2,
    ("feedback", "integrator_id"): bounds.ID_MAX,
    ("feedback", "school_urn"): URN,
    ("feedback", "escalate"): longest(FeedbackEscalation),
    ("feedback", "by_role"): longest(Role),
    ("feedback", "by_id"): bounds.ID_MAX,
    ("api_keys", "key_id"): keys.KEY_ID_LENGTH,
    ("api_keys", "token_sha256"): len(keys.digest("")),
    ("api_keys", "role"): longest(Role),
    ("api_keys", "actor_id"): bounds.ID_MAX,
    ("api_keys", "name"): bounds.NAME_MAX,
}


def text_columns() -> dict[tuple[str, str], int | None]:
    return {
        (table.name, column.name): column.type.length
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, sa.String)
    }


def test_every_text_column_is_known_and_holds_its_fields_longest_value() -> None:
    columns = text_columns()
    assert set(columns) == set(MAXIMA), "a text column without a known maximum, or gone"
    short = {
        name: (length, MAXIMA[name])
        for name, length in columns.items()
        if length is None or length < MAXIMA[name]
    }
    assert short == {}, f"(column length, field maximum): {short}"


def test_the_longest_keys_a_case_writes_fit_the_lengths_assumed_here() -> None:
    assert len(Due(AT, Action.INFORMATION_CHASER).key) <= MAXIMA[("sla_events", "key")]
    default = (
        f"case-{'R' * REFERENCE}:{NotificationKind.FEEDBACK_TO_CUSTOMER_CARE}:{AT.isoformat()}"
    )
    assert len(default) <= NOTIFICATION_KEY


def test_an_api_key_of_the_longest_actor_is_written_and_read_back(ledger_url: str) -> None:
    actor = Actor(role=Role.PRODUCT_MANAGER, id="I" * bounds.ID_MAX, name="N" * bounds.NAME_MAX)
    store = keys.KeyStore.at(ledger_url)
    try:
        made = store.create(actor, AT)
        assert [(k.key_id, k.actor, k.created_at) for k in store.listing()] == [
            (made.key_id, actor, AT)
        ]
        assert store.actor_for(made.token) == actor
    finally:
        store.dispose()


def test_a_row_at_every_maximum_is_written_and_read_back(ledger_url: str) -> None:
    reference = "R" * REFERENCE
    integrator = "I" * bounds.ID_MAX
    row = CaseRow(
        reference=reference,
        case_type=CaseType.SERVICE_REQUEST,
        priority=Priority.P4,
        integrator_id=integrator,
        school_urn="9" * URN,
        state="awaiting_information",
        logged_at=AT,
        response_due=AT,
        first_response_at=None,
        response_working_time=None,
        resolution_working_time=None,
        paused_working_time=dt.timedelta(0),
        paused_since=None,
        breaches=0,
        reopen_count=0,
        closed_at=None,
        revision=1,
    )
    event = SlaEventRecord(
        reference=reference,
        key=Due(AT, Action.INFORMATION_CHASER).key,
        action=Action.INFORMATION_CHASER,
        kind=SlaEventKind.ESCALATION,
        priority=Priority.P4,
        due_at=AT,
        taken_at=AT,
    )
    notification = NotificationRecord(
        key="K" * NOTIFICATION_KEY,
        reference=reference,
        kind=NotificationKind.FEEDBACK_TO_SERVICE_DESK_MANAGEMENT.value,
        recipient=Recipient.SERVICE_DESK_MANAGEMENT_TEAM.value,
        priority=Priority.P4,
        at=AT,
        delivered_at=AT,
    )
    rating = FeedbackRecord(
        reference=reference,
        key="F" * bounds.REQUEST_ID_MAX,
        case_type=CaseType.SERVICE_REQUEST,
        priority=Priority.P4,
        integrator_id=integrator,
        school_urn="9" * URN,
        rating=1,
        escalate=FeedbackEscalation.SERVICE_DESK_MANAGEMENT,
        by_role=Role.PRODUCT_MANAGER.value,
        by_id="B" * bounds.ID_MAX,
        given_at=AT,
    )
    ledger = Ledger(ledger_url)
    try:
        entry = LedgerEntry(
            case=row, sla_events=[event], notifications=[notification], feedback=[rating]
        )
        ledger.record(entry)
        assert ledger.case(reference) == row
        assert ledger.feedback_on(reference) == [rating]
        with ledger.engine.connect() as conn:
            keys = {
                table: conn.execute(sa.select(metadata.tables[table].c.key)).scalars().all()
                for table in ("sla_events", "notifications")
            }
        assert keys == {"sla_events": [event.key], "notifications": [notification.key]}
    finally:
        ledger.dispose()
