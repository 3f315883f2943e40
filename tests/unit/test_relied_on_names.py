"""The names DESIGN §1 says platform integrations and recorded histories rely on."""

from __future__ import annotations

import importlib
import inspect

import pytest

RELIED_ON = [
    ("domain.models", "OpenCase"),
    ("domain.models", "Priority"),
    ("domain.priority", "Priority"),
    ("domain.priority", "priority_for"),
    ("domain.calendar", "WorkingCalendar"),
    ("domain.policy", "SupportPolicy"),
    ("workflows.case", "CaseWorkflow"),
    ("workflows.case", "CaseInput"),
    ("workflows.problem", "ProblemWorkflow"),
    ("workflows.change_request", "ChangeRequestWorkflow"),
    ("workflows.search", "ALL"),
    ("worker", "create_worker"),
    ("worker", "TASK_QUEUE"),
]


@pytest.mark.parametrize(("module", "name"), RELIED_ON, ids=[f"{m}.{n}" for m, n in RELIED_ON])
def test_a_name_integrations_rely_on_still_imports(module: str, name: str) -> None:
    assert hasattr(importlib.import_module(module), name)


def test_the_enums_are_one_and_the_same_wherever_they_are_imported_from() -> None:
    from domain import models, priority, vocabulary

    assert models.Priority is priority.Priority is vocabulary.Priority
    assert models.CaseType is priority.CaseType is vocabulary.CaseType


def test_the_workflow_types_keep_the_names_recorded_histories_carry() -> None:
    from temporalio import workflow

    from workflows.case import CaseWorkflow
    from workflows.change_request import ChangeRequestWorkflow
    from workflows.problem import ProblemWorkflow

    names = {
        workflow._Definition.must_from_class(cls).name
        for cls in (CaseWorkflow, ProblemWorkflow, ChangeRequestWorkflow)
    }
    assert names == {"CaseWorkflow", "ProblemWorkflow", "ChangeRequestWorkflow"}


def test_the_worker_is_built_with_a_client_and_a_task_queue_keyword() -> None:
    import worker

    parameters = inspect.signature(worker.create_worker).parameters
    assert list(parameters)[:2] == ["client", "task_queue"]
    assert worker.TASK_QUEUE == "sims-support"
