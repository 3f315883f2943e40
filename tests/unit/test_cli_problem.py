"""`sims-case problem ...`: what the command line reads, checked before Temporal is contacted."""

import argparse

import pytest

from domain.problems import AcceptAsDefect, ReleaseFix, ScheduleFix
from sims_support.cli.common import Parser, read_request
from sims_support.cli.exits import BAD_INPUT, Failure
from sims_support.cli.problem import COMMANDS, add_parser, prepare, read_opening


def parse(*argv: str) -> argparse.Namespace:
    parser = Parser(prog="sims-case")
    commands = parser.add_subparsers(dest="command", required=True)
    add_parser(commands)
    return parser.parse_args(argv)


def test_opening_a_site_specific_problem_reads_its_school() -> None:
    args = parse(
        "problem",
        "open",
        "PRB-7",
        "--summary",
        "bad data",
        "--scope",
        "site_specific",
        "--school",
        "123456",
    )

    opening = read_opening(args)

    assert (opening.reference, opening.scope, opening.school_urn) == (
        "PRB-7",
        "site_specific",
        "123456",
    )


def test_a_site_specific_problem_without_its_school_is_bad_input_naming_the_flag() -> None:
    args = parse("problem", "open", "PRB-7", "--summary", "bad data", "--scope", "site_specific")

    with pytest.raises(Failure) as refused:
        read_opening(args)

    assert refused.value.code == BAD_INPUT
    assert str(refused.value).startswith("--school:")


def test_scheduling_a_fix_reads_the_vehicle_and_the_target_version() -> None:
    args = parse(
        "problem",
        "schedule-fix",
        "PRB-7",
        "--vehicle",
        "service_pack",
        "--version",
        "7.220",
        "--request-id",
        "r-1",
    )

    request = read_request(args, COMMANDS[args.problem_command])

    assert request == ScheduleFix(request_id="r-1", vehicle="service_pack", target_version="7.220")


def test_each_action_sends_its_own_update_with_a_fresh_request_id_by_default() -> None:
    release = read_request(parse("problem", "release", "PRB-7"), COMMANDS["release"])
    accept = read_request(parse("problem", "accept", "PRB-7"), COMMANDS["accept"])

    assert isinstance(release, ReleaseFix) and isinstance(accept, AcceptAsDefect)
    assert release.request_id != accept.request_id


@pytest.mark.parametrize(
    "argv",
    [
        ("problem", "schedule-fix", "PRB-7", "--vehicle", "patch", "--version", "1"),
        ("problem", "reject", "PRB-7"),
        ("problem", "launch", "PRB-7"),
    ],
)
def test_a_malformed_command_is_bad_input(argv: tuple[str, ...]) -> None:
    with pytest.raises(Failure) as refused:
        parse(*argv)

    assert refused.value.code == BAD_INPUT


def test_a_malformed_reference_is_bad_input() -> None:
    with pytest.raises(Failure, match="REF"):
        prepare(parse("problem", "status", "prb 7"))
