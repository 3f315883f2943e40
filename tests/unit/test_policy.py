from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.models import CaseType, Priority
from domain.policy import SupportPolicy
from sims_support.config import load_policy

MIN = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(hours=8, minutes=30)  # the charter's working day

# The charter's resolution KPI table, column by column: 4 h, 8 h, 2 d, 5 d, 10 d, 12 d, 15 d.
CHARTER_KPIS = {
    Priority.P1: [(4 * H, 0.75), (8 * H, 0.95), (2 * D, 1.00)],
    Priority.P2: [
        (4 * H, 0.60), (8 * H, 0.75), (2 * D, 0.90), (5 * D, 0.95), (10 * D, 0.97),
        (12 * D, 1.00),
    ],
    Priority.P3: [
        (4 * H, 0.60), (8 * H, 0.70), (2 * D, 0.75), (5 * D, 0.80), (10 * D, 0.85),
        (12 * D, 0.95), (15 * D, 0.98),
    ],
    Priority.P4: [
        (4 * H, 0.60), (8 * H, 0.70), (2 * D, 0.75), (5 * D, 0.80), (10 * D, 0.85),
        (12 * D, 0.87), (15 * D, 0.90),
    ],
}  # fmt: skip

FOUR_HOURS_EACH = {"P1": "4h", "P2": "4h", "P3": "4h", "P4": "4h"}
ONE_STEP_EACH = {"P1": [["4h", 1.0]], "P2": [["4h", 1.0]], "P3": [["4h", 1.0]], "P4": [["4h", 1.0]]}


def test_first_response_targets_are_the_charters() -> None:
    policy = SupportPolicy()

    assert policy.response_target(Priority.P1) == 20 * MIN
    assert policy.response_target(Priority.P2) == 1 * H
    assert policy.response_target(Priority.P3) == 8 * H
    assert policy.response_target(Priority.P4) == 24 * H
    assert policy.response_warning_fraction == 0.75
    assert policy.response_warning(Priority.P1) == 15 * MIN


@pytest.mark.parametrize("priority", list(Priority))
def test_resolution_kpis_are_the_charters_table(priority: Priority) -> None:
    assert SupportPolicy().kpi_targets(priority) == CHARTER_KPIS[priority]


def test_the_other_charter_timings_are_the_defaults() -> None:
    policy = SupportPolicy()

    assert policy.update_interval == 42.5 * H
    assert policy.p1_incident_update_interval == 4 * H
    assert policy.update_escalation_grace == 8.5 * H
    assert policy.resolution_offered_window == 85 * H
    assert policy.information_chaser == 42.5 * H
    assert policy.cr_review_interval_months == 3
    assert policy.cr_considered_lapse_months == 36
    assert policy.cr_planned_reminder_months == 12
    assert policy.cr_planned_overdue_months == 18
    assert policy.cr_vote_threshold == 10


def test_only_p1_incidents_are_updated_every_four_working_hours() -> None:
    policy = SupportPolicy()

    assert policy.update_interval_for(CaseType.INCIDENT, Priority.P1) == 4 * H
    assert policy.update_interval_for(CaseType.INCIDENT, Priority.P2) == 5 * D
    assert policy.update_interval_for(CaseType.PROBLEM, Priority.P1) == 5 * D
    assert policy.update_interval_for(CaseType.ENQUIRY, Priority.P3) == 5 * D


def test_a_toml_file_overrides_the_charter_and_keeps_the_rest(tmp_path: Path) -> None:
    toml = tmp_path / "policy.toml"
    toml.write_text(
        'response_warning_fraction = 0.8\nupdate_interval = "3d"\n\n'
        '[response_targets]\nP1 = "30m"\n\n'
        '[resolution_kpis]\nP4 = [["1d", 0.5], ["20d", 1.0]]\n'
    )

    policy = load_policy(toml)

    assert policy.response_warning_fraction == 0.8
    assert policy.update_interval == 3 * D
    assert policy.response_target(Priority.P1) == 30 * MIN
    assert policy.response_target(Priority.P2) == 1 * H
    assert policy.kpi_targets(Priority.P4) == [(1 * D, 0.5), (20 * D, 1.0)]
    assert policy.kpi_targets(Priority.P1) == CHARTER_KPIS[Priority.P1]


def test_an_environment_variable_overrides_the_toml_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = tmp_path / "policy.toml"
    toml.write_text("response_warning_fraction = 0.6\n")
    monkeypatch.setenv("SIMS_POLICY_RESPONSE_WARNING_FRACTION", "0.8")
    monkeypatch.setenv("SIMS_POLICY_RESPONSE_TARGETS__P2", "2h")

    policy = load_policy(toml)

    assert policy.response_warning_fraction == 0.8
    assert policy.response_target(Priority.P2) == 2 * H
    assert policy.response_target(Priority.P1) == 20 * MIN


def test_a_policy_handed_to_a_workflow_never_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SIMS_POLICY_RESPONSE_WARNING_FRACTION", "0.8")

    assert SupportPolicy().response_warning_fraction == 0.75
    assert SupportPolicy.model_validate({}).response_warning_fraction == 0.75


def test_a_misspelt_setting_in_the_toml_file_is_refused(tmp_path: Path) -> None:
    toml = tmp_path / "policy.toml"
    toml.write_text("response_warning_fractoin = 0.8\n")

    with pytest.raises(ValidationError, match="response_warning_fractoin"):
        load_policy(toml)


@pytest.mark.parametrize(
    ("written", "meaning"),
    [
        ("20m", 20 * MIN),
        ("20 min", 20 * MIN),
        ("1h30m", 90 * MIN),
        ("8.5h", D),
        ("2d", 17 * H),
        ("1d 4h", D + 4 * H),
        ("PT20M", 20 * MIN),
        ("00:20:00", 20 * MIN),
    ],
)
def test_a_support_engineer_can_write_working_time_plainly(
    written: str, meaning: timedelta
) -> None:
    assert SupportPolicy.model_validate({"information_chaser": written}).information_chaser == (
        meaning
    )


@pytest.mark.parametrize("ambiguous", [20, 1200.0, "20", "P2D", "1 day", "soon"])
def test_a_working_time_without_a_clear_unit_is_refused(ambiguous: object) -> None:
    with pytest.raises(ValidationError, match="information_chaser"):
        SupportPolicy.model_validate({"information_chaser": ambiguous})


@pytest.mark.parametrize(
    ("nonsense", "field"),
    [
        ({"response_targets": FOUR_HOURS_EACH | {"P1": "0m"}}, "response_targets.P1"),
        ({"response_targets": FOUR_HOURS_EACH | {"P3": -H}}, "response_targets.P3"),
        ({"response_targets": {"P1": "20m", "P2": "1h", "P3": "8h"}}, "response_targets.P4"),
        ({"update_interval": timedelta(0)}, "update_interval"),
        ({"p1_incident_update_interval": "0h"}, "p1_incident_update_interval"),
        ({"response_warning_fraction": 0}, "response_warning_fraction"),
        ({"response_warning_fraction": 1}, "response_warning_fraction"),
        ({"response_warning_fraction": 75}, "response_warning_fraction"),
        ({"resolution_kpis": ONE_STEP_EACH | {"P2": [["4h", 1.2]]}}, "resolution_kpis.P2"),
        ({"resolution_kpis": ONE_STEP_EACH | {"P2": [["4h", -0.1]]}}, "resolution_kpis.P2"),
        (
            {"resolution_kpis": ONE_STEP_EACH | {"P3": [["8h", 0.5], ["4h", 0.9]]}},
            "resolution_kpis.P3",
        ),
        (
            {"resolution_kpis": ONE_STEP_EACH | {"P3": [["4h", 0.5], ["4h", 0.9]]}},
            "resolution_kpis.P3",
        ),
        (
            {"resolution_kpis": ONE_STEP_EACH | {"P4": [["4h", 0.9], ["8h", 0.5]]}},
            "resolution_kpis.P4",
        ),
        ({"resolution_kpis": ONE_STEP_EACH | {"P1": []}}, "resolution_kpis.P1"),
        (
            {"resolution_kpis": {"P1": [["4h", 1.0]], "P2": [["4h", 1.0]], "P4": [["4h", 1.0]]}},
            "resolution_kpis.P3",
        ),
        ({"resolution_kpis": ONE_STEP_EACH | {"P5": [["4h", 1.0]]}}, "resolution_kpis.P5"),
        ({"cr_review_interval_months": 0}, "cr_review_interval_months"),
        ({"cr_vote_threshold": 0}, "cr_vote_threshold"),
        ({"cr_planned_reminder_months": 18}, "cr_planned_reminder_months"),
        ({"response_warning_fractoin": 0.8}, "response_warning_fractoin"),
    ],
)
def test_a_nonsensical_policy_is_refused_naming_the_field(
    nonsense: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        SupportPolicy.model_validate(nonsense)

    assert field in str(refused.value)


def test_a_policy_survives_a_json_round_trip_unchanged() -> None:
    policy = SupportPolicy(
        response_warning_fraction=0.6,
        information_chaser=3 * D + 7 * MIN + timedelta(seconds=1.5),
    )

    assert SupportPolicy.model_validate(policy.model_dump(mode="json")) == policy
    assert SupportPolicy.model_validate_json(policy.model_dump_json()) == policy
    assert SupportPolicy.model_validate(SupportPolicy().model_dump(mode="json")) == SupportPolicy()


def test_a_policy_travels_through_temporals_pydantic_converter_unchanged() -> None:
    policy = SupportPolicy(response_warning_fraction=0.6)
    converter = pydantic_data_converter.payload_converter

    payloads = converter.to_payloads([policy])

    assert converter.from_payloads(payloads, [SupportPolicy]) == [policy]
    assert b'"P1":"20m"' in payloads[0].data


def test_a_policy_cannot_be_changed_once_made() -> None:
    policy = SupportPolicy()

    with pytest.raises(ValidationError, match="frozen"):
        policy.response_warning_fraction = 0.5  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        policy.response_targets.P1 = H  # type: ignore[misc]
