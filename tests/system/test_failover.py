"""Failover on the real server (DESIGN §15): two workers share the task queue, fifty cases
wait on their SLA timers and take updates from concurrent clients, and one worker is
killed outright mid-way. The other finishes every case: each accepted update recorded
once, each timer that fell due taken once and its notification sent, no task failed."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import random
import time
from collections import Counter
from dataclasses import dataclass

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory, WorkflowUpdateRPCTimeoutOrCancelledError

from domain.actors import Actor, Role
from domain.models import (
    AcceptResolution,
    Acknowledge,
    CaseEvent,
    CaseRequest,
    CaseStatus,
    ChangePriority,
    EventKind,
    GiveFeedback,
    OfferResolution,
    OpenCase,
    PostUpdate,
    ProvideInformation,
    RequestInformation,
    Visibility,
    Withdraw,
)
from domain.sla import Action, Due
from sims_support.client import cases
from sims_support.runtime.converter import data_converter
from tests.factories import DESK, intake, integrator_of, p1_incident
from tests.system.conftest import ALWAYS_OPEN, Sims, unique

pytestmark = pytest.mark.timeout(120)

CASES, CLIENTS, LANES = 50, 4, 8
# Working seconds, support open round the clock. The killed worker's cases wait up to
# ~20 s for the server to give up on its sticky queue (10 s without a poll, then 10 s for
# a task already offered there to time out), so their warnings fall due after the kill and
# their breaches after that wait: a warning first looked at once its breach is due is
# never sent (only the breach is), and the test would not know which to expect.
POLICY = """
response_warning_fraction = 0.4
update_interval = "15s"
p1_incident_update_interval = "15s"
update_escalation_grace = "10s"
information_chaser = "20s"

[response_targets]
P1 = "30s"
P2 = "35s"
"""
LAST_RESPONSE_TIMER = dt.timedelta(seconds=35)
KILL_AFTER, LANES_FOR = 4.0, 24.0  # seconds after the updates begin
# A caller in a lane gives up after a few seconds (those behind the dead worker wait
# longer) and tries again later with the same request id, when the survivor has them all.
LANE_PATIENCE, PATIENCE = 6.0, 30.0
OTHER_DESK = Actor(role=Role.DESK, id="PST-033", name="Sam Desk")


@dataclass
class Sent:
    reference: str
    event: str
    request: CaseRequest
    actor: Actor
    began: float
    ended: float
    answer: str  # "accepted", the refusal's type, or "error: ..." (the caller knows nothing)

    @property
    def resent(self) -> tuple[str, CaseRequest, Actor]:
        """The same request again: its event, its body (and id), its sender."""
        return self.event, self.request, self.actor


@dataclass(frozen=True)
class Case:
    intake: OpenCase
    silent: bool  # never acknowledged: its response timers must fire


async def send(
    client: Client,
    case: Case,
    event: str,
    request: CaseRequest,
    actor: Actor,
    patience: float = PATIENCE,
) -> Sent:
    began = time.monotonic()
    reference = case.intake.reference
    try:
        call = cases.send(client, reference, event, request, actor=actor)
        await asyncio.wait_for(call, timeout=patience)
        answer = "accepted"
    except (cases.Refused, cases.NotFound) as err:
        answer = err.type
    # Transport, or the caller's patience ran out (the SDK turns the update's cancellation
    # into its own error, which `cases` passes on untranslated): the caller retries.
    except (cases.ClientError, TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as err:
        answer = f"error: {type(err).__name__}"
    return Sent(reference, event, request, actor, began, time.monotonic(), answer)


def one_request(rng: random.Random, case: Case, rid: str) -> tuple[str, CaseRequest, Actor]:
    """What the desk or the integrator sends a case, at random. A silent case stays
    logged: only what leaves its response clock running, or is refused, reaches it. Some
    are refused by design: a post before the case is acknowledged, a second
    acknowledgement, feedback from the desk, information nobody asked for."""
    them = integrator_of(case.intake)
    p1, p2 = {"impact": 1, "urgency": 1}, {"impact": 1, "urgency": 3}
    menu: list[tuple[str, CaseRequest, Actor]] = [
        ("change_priority", ChangePriority(request_id=rid, reason="more schools", **p1), DESK),
        ("change_priority", ChangePriority(request_id=rid, reason="one school", **p2), DESK),
        ("give_feedback", GiveFeedback(request_id=rid, rating=rng.randint(1, 5)), them),
        ("give_feedback", GiveFeedback(request_id=rid, rating=3), DESK),  # NotAllowed
        ("post_update", PostUpdate(request_id=rid, message="still looking"), DESK),
    ]
    if not case.silent:
        internal = Visibility.INTERNAL
        menu += [
            ("acknowledge", Acknowledge(request_id=rid), OTHER_DESK),
            (
                "post_update",
                PostUpdate(request_id=rid, message="a note", visibility=internal),
                DESK,
            ),
            ("post_update", PostUpdate(request_id=rid, message="found it"), DESK),
            ("request_information", RequestInformation(request_id=rid, message="build?"), DESK),
            ("provide_information", ProvideInformation(request_id=rid, message="7.219"), them),
        ]
    return rng.choice(menu)


async def open_all(client: Client, sims: Sims) -> tuple[list[Case], list[Sent]]:
    """Half P1 (by phone), half P2; about half of each silent, the others acknowledged."""

    def one(n: int) -> Case:
        now, reference = dt.datetime.now(dt.UTC), unique("INC")
        opening = (
            p1_incident(reference=reference, logged_at=now)
            if n % 2
            else intake(reference=reference, logged_at=now, impact=1, urgency=3)
        )
        return Case(opening, silent=n % 4 < 2)

    made = [one(n) for n in range(CASES)]

    async def open_one(case: Case) -> Sent | None:
        await cases.open_case(client, case.intake, opened_by=DESK, task_queue=sims.task_queue)
        if case.silent:
            return None
        return await send(client, case, "acknowledge", Acknowledge(request_id="ack"), DESK)

    acks = await asyncio.gather(*(open_one(c) for c in made))
    return made, [a for a in acks if a is not None]


async def drive(clients: list[Client], made: list[Case], seconds: float) -> list[Sent]:
    """LANES concurrent callers for `seconds`; a tenth of their sends are retries of a
    request already accepted (the same id and body: a no-op)."""
    stop_at, sent = time.monotonic() + seconds, list[Sent]()
    by_reference = {c.intake.reference: c for c in made}

    async def lane(number: int) -> None:
        rng = random.Random(number)
        client, mine = clients[number % len(clients)], list[Sent]()
        for n in itertools.count():
            if time.monotonic() > stop_at:
                return
            if mine and rng.random() < 0.1:
                was = rng.choice(mine)
                case = by_reference[was.reference]
                sent.append(await send(client, case, *was.resent, LANE_PATIENCE))
            else:
                case = rng.choice(made)
                event, request, actor = one_request(rng, case, f"lane{number}-{n}")
                outcome = await send(client, case, event, request, actor, LANE_PATIENCE)
                sent.append(outcome)
                if outcome.answer == "accepted":
                    mine.append(outcome)
            await asyncio.sleep(0.02)

    await asyncio.gather(*(lane(n) for n in range(LANES)))
    return sent


async def statuses(client: Client, made: list[Case]) -> list[CaseStatus]:
    return list(await asyncio.gather(*(cases.status(client, c.intake.reference) for c in made)))


def overdue(status: CaseStatus) -> bool:
    """A timer action past due by more than a moment, and not taken."""
    due = status.next_action_due
    return due is not None and due < dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)


async def every_due_timer_taken(client: Client, made: list[Case]) -> list[CaseStatus]:
    """Once every response timer has fallen due: the statuses once none is left overdue."""
    last_logged = max(c.intake.logged_at for c in made)
    wait = (last_logged + LAST_RESPONSE_TIMER - dt.datetime.now(dt.UTC)).total_seconds()
    await asyncio.sleep(max(0.0, wait) + 1)
    deadline = time.monotonic() + 20
    found = await statuses(client, made)
    while any(overdue(s) for s in found) and time.monotonic() < deadline:
        await asyncio.sleep(1)
        found = await statuses(client, made)
    return found


async def close(client: Client, case: Case) -> list[Sent]:
    """Withdraw a silent case; offer the others a resolution their integrator accepts."""
    if case.silent:
        withdraw = Withdraw(request_id="end", reason="gone")
        return [await send(client, case, "withdraw", withdraw, DESK)]
    offer = OfferResolution(request_id="offer", kind="workaround", summary="re-run the sync")
    offered = await send(client, case, "offer_resolution", offer, DESK)
    accept = AcceptResolution(request_id="yes")
    return [
        offered,
        await send(client, case, "accept_resolution", accept, integrator_of(case.intake)),
    ]


def taken(status: CaseStatus) -> list[CaseEvent]:
    return [e for e in status.timeline if e.kind is EventKind.ACTION_TAKEN]


def response_timers_due(status: CaseStatus, history: WorkflowHistory) -> set[str]:
    """A silent case's: the breach at its deadline, and the warning before it, unless the
    priority that set them was set only once that deadline had passed, or the case's loop
    could not reach the warning before the deadline: no workflow task of it ran between
    the two, or it was still delivering a notification at the deadline (a killed worker's
    attempt is retried only after its 30 s timeout). A warning first looked at once its
    breach is due is moot: only the breach is sent (README "Faults, measured")."""
    clock = next(c for c in status.clocks if c.name == "response")
    assert clock.deadline is not None and clock.warning_at is not None
    due = {Due(clock.deadline, Action.RESPONSE_BREACH).key}
    set_at = [e.at for e in status.timeline if e.priority is not None][-1]
    reachable = ran_between(history, clock.warning_at, clock.deadline) and not busy_at(
        history, clock.deadline
    )
    if set_at < clock.deadline and reachable:
        due.add(Due(clock.warning_at, Action.RESPONSE_WARNING).key)
    return due


def busy_at(history: WorkflowHistory, instant: dt.datetime) -> bool:
    """True if an activity of the case was scheduled before `instant` and ended after it."""
    scheduled = {
        event.event_id: event.event_time.ToDatetime(tzinfo=dt.UTC)
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    ended = {
        EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: "activity_task_completed_event_attributes",
        EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: "activity_task_failed_event_attributes",
        EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: "activity_task_timed_out_event_attributes",
    }
    return any(
        scheduled[getattr(event, ended[event.event_type]).scheduled_event_id]
        < instant
        <= event.event_time.ToDatetime(tzinfo=dt.UTC)
        for event in history.events
        if event.event_type in ended
    )


def ran_between(history: WorkflowHistory, start: dt.datetime, end: dt.datetime) -> bool:
    """True if a workflow task of the case that started in [start, end) completed: one
    the killed worker started and never finished ran nothing (workflow time is the start
    of the task that completes)."""
    started = {
        event.event_id: event.event_time.ToDatetime(tzinfo=dt.UTC)
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
    }
    return any(
        start <= started[event.workflow_task_completed_event_attributes.started_event_id] < end
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    )


def task_times(history: WorkflowHistory) -> list[str]:
    """The case's workflow tasks and timers, as a failure explains them: kind and time."""
    shown = {
        EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED: "task started",
        EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: "task completed",
        EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT: "task timed out",
        EventType.EVENT_TYPE_TIMER_FIRED: "timer fired",
        EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: "activity scheduled",
        EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: "activity completed",
    }
    return [
        f"{shown[e.event_type]} {e.event_time.ToDatetime(tzinfo=dt.UTC):%H:%M:%S.%f}"
        for e in history.events
        if e.event_type in shown
    ]


def notices_sent(history: WorkflowHistory) -> Counter[str]:
    """Each notification's key, once for every notify activity that completed (the key
    is in the activity's summary)."""
    keys = {}
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            summary = json.loads(event.user_metadata.summary.data or b'""')
            keys[event.event_id] = summary.rpartition("(")[2].removesuffix(")")
    return Counter(
        keys[e.activity_task_completed_event_attributes.scheduled_event_id]
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
    )


def task_takers(history: WorkflowHistory) -> list[str]:
    """The identity (`pid@host`) of the worker that started each workflow task."""
    return [
        e.workflow_task_started_event_attributes.identity
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
    ]


async def test_a_worker_killed_mid_way_leaves_every_case_to_the_other_with_nothing_lost(
    sims: Sims,
) -> None:
    began = time.monotonic()
    policy = sims.home / "policy.toml"
    policy.write_text(POLICY)
    sims.settings.update(ALWAYS_OPEN, SIMS_POLICY_FILE=str(policy))
    doomed, survivor = sims.start_worker(), sims.start_worker()
    clients = [
        await Client.connect(sims.address, data_converter=data_converter()) for _ in range(CLIENTS)
    ]
    made, sent = await open_all(clients[0], sims)
    opened = time.monotonic()

    driving = asyncio.create_task(drive(clients, made, LANES_FOR))
    await asyncio.sleep(KILL_AFTER)
    killed_at, killed_at_utc = time.monotonic(), dt.datetime.now(dt.UTC)
    doomed.kill()  # SIGKILL: no goodbye to the server, its cases mid-wait and mid-update
    await asyncio.to_thread(doomed.wait)
    sent += await driving
    driven = time.monotonic()

    # The callers' retries, with the same request id: applied once, or refused now.
    by_reference = {c.intake.reference: c for c in made}
    errored = [s for s in sent if s.answer.startswith("error")]
    retried = await asyncio.gather(
        *(
            send(clients[n % CLIENTS], by_reference[s.reference], *s.resent)
            for n, s in enumerate(errored)
        )
    )
    assert not [r for r in retried if r.answer.startswith("error")], retried

    before_close = await every_due_timer_taken(clients[1], made)
    assert not [s.reference for s in before_close if overdue(s)]
    closing = await asyncio.gather(*(close(clients[n % CLIENTS], c) for n, c in enumerate(made)))
    assert all(s.answer == "accepted" for pair in closing for s in pair), closing
    sent += [s for pair in closing for s in pair]
    handles = [cases.handle_for(clients[0], c.intake.reference) for c in made]
    await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)), timeout=30)
    histories = await asyncio.gather(*(h.fetch_history() for h in handles))
    finals = await statuses(clients[2], made)  # each replayed on the survivor

    # What each request id got: a retry's answer stands for the error its caller saw.
    answers: dict[tuple[str, str], set[str]] = {}
    for s in [*sent, *retried]:
        if not s.answer.startswith("error"):
            answers.setdefault((s.reference, s.request.request_id), set()).add(s.answer)
    accepted = {key for key, got in answers.items() if "accepted" in got}
    refused = set(answers) - accepted
    assert all(len(answers[key]) == 1 for key in accepted)  # a retry is never refused
    doomed_id, survivor_id = f"{doomed.pid}@", f"{survivor.pid}@"
    failed_over = failed_over_timers = timed_out = moot_warnings = 0
    for case, final, history in zip(made, finals, histories, strict=True):
        ref = case.intake.reference
        seen = Counter(e.request_id for e in final.timeline if e.request_id)
        assert all(seen[rid] == 1 for r, rid in accepted if r == ref), (ref, seen)
        assert not [rid for r, rid in refused if r == ref and seen[rid]], (ref, seen)
        actions = Counter(e.detail for e in taken(final))
        assert all(n == 1 for n in actions.values()), (ref, actions)  # no timer taken twice
        if case.silent:
            expected = response_timers_due(final, history)
            assert expected <= set(actions), (ref, actions, task_times(history))
            moot_warnings += len(expected) == 1

        kinds = [e.event_type for e in history.events]
        assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in kinds, ref
        assert kinds[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, ref
        timed_out += kinds.count(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT)
        takers = task_takers(history)
        assert takers[-1].startswith(survivor_id), (ref, takers)
        notices = notices_sent(history)
        assert all(n == 1 for n in notices.values()), (ref, notices)  # none sent twice
        assert all(notices[f"case-{ref}:{key}"] == 1 for key in actions), (ref, notices)
        if any(t.startswith(doomed_id) for t in takers):
            failed_over += 1
            failed_over_timers += sum(1 for e in taken(final) if e.at > killed_at_utc)

    in_flight = [s for s in sent if s.began < killed_at < s.ended]
    assert failed_over and in_flight, "the kill caught no case and no update: it proved nothing"
    assert failed_over_timers, "no timer of the killed worker's cases fired after the kill"
    timers = Counter(e.detail.partition("@")[0] for f in finals for e in taken(f))
    refusals = Counter(answer for key in refused for answer in answers[key])
    slowest = max(s.ended - s.began for s in sent)
    print(
        f"\n{CASES} cases, {failed_over} of them on the killed worker; {len(sent)} updates "
        f"sent, {len(accepted)} request ids accepted, refused {dict(refusals.most_common())}; "
        f"{len(in_flight)} in flight at the kill, {timed_out} workflow tasks timed out on the "
        f"killed worker, {len(errored)} failed to their caller "
        f"(retried: {dict(Counter(r.answer for r in retried))}), slowest {slowest:.1f} s; "
        f"timers taken {dict(timers)}, {failed_over_timers} of them failed over, "
        f"{moot_warnings} warnings not expected (priority set late, or the loop reached them "
        f"after the breach); seconds: "
        f"workers and opening {opened - began:.1f}, updates {driven - opened:.1f}, "
        f"total {time.monotonic() - began:.1f}"
    )
