"""The contract against what the workflows really answer: every update, query and signal
a caller or another workflow may send has its handler under that very name, and no
handler exists that the contract does not name."""

from __future__ import annotations

import pytest
from temporalio import workflow

from workflows import contract
from workflows.case import CaseWorkflow
from workflows.change_request import ChangeRequestWorkflow
from workflows.problem import ProblemWorkflow

ANSWERS = {
    CaseWorkflow: (
        contract.CASE_WORKFLOW,
        {contract.OPENED, *contract.CASE_EVENTS, *contract.SCHOOL_EVENTS, contract.APPLY_POLICY},
        {contract.STATUS, contract.SCHOOL_DATA},
        {contract.PROBLEM_NEWS},
    ),
    ProblemWorkflow: (
        contract.PROBLEM_WORKFLOW,
        {contract.OPENED, contract.LINK_CASE, *contract.PROBLEM_EVENTS},
        {contract.STATUS},
        {contract.LINKED_CASE_CHANGED},
    ),
    ChangeRequestWorkflow: (
        contract.CHANGE_REQUEST_WORKFLOW,
        {contract.OPENED, *contract.CHANGE_REQUEST_EVENTS, contract.APPLY_POLICY},
        {contract.STATUS},
        {contract.MERGE_VOTES},
    ),
}


@pytest.mark.parametrize("workflow_class", list(ANSWERS), ids=lambda cls: cls.__name__)
def test_a_workflow_answers_exactly_the_names_the_contract_gives_it(
    workflow_class: type,
) -> None:
    name, updates, queries, signals = ANSWERS[workflow_class]
    definition = workflow._Definition.must_from_class(workflow_class)

    assert definition.name == name
    assert set(definition.updates) == updates
    assert set(definition.queries) == queries
    assert set(definition.signals) == signals


def test_every_update_a_caller_may_send_is_validated_so_a_refusal_leaves_no_trace() -> None:
    for workflow_class, (_, updates, _, _) in ANSWERS.items():
        definition = workflow._Definition.must_from_class(workflow_class)
        unvalidated = {
            name
            for name in updates - {contract.OPENED}
            if definition.updates[name].validator is None
        }
        assert unvalidated == set(), workflow_class.__name__


def test_the_events_the_workflows_take_themselves_are_no_callers_updates() -> None:
    assert not contract.CASE_INTERNAL & set(contract.CASE_EVENTS)
    assert not contract.PROBLEM_INTERNAL & set(contract.PROBLEM_EVENTS)
    assert set(contract.VOTES) <= set(contract.CHANGE_REQUEST_EVENTS)


def test_workflow_ids_keep_the_prefixes_recorded_histories_carry() -> None:
    assert contract.case_workflow_id("INC-1") == "case-INC-1"
    assert contract.problem_workflow_id("PRB-7") == "problem-PRB-7"
    assert contract.change_request_workflow_id("CR-3") == "cr-CR-3"
    assert contract.TASK_QUEUE == "sims-support"


def test_the_policy_update_is_named_as_the_domain_names_it() -> None:
    from domain.policy_change import APPLY_POLICY

    assert contract.APPLY_POLICY == APPLY_POLICY
