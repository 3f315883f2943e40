"""`sims-case cr`: what it reads from the command line, checked before Temporal is asked."""

from __future__ import annotations

import argparse

import pytest

from domain.change_requests import Deliver, MarkDuplicate, Vote
from sims_support.cli.change_request import COMMANDS, add_parser, prepare
from sims_support.cli.common import Parser, read_request
from sims_support.cli.exits import Failure


def parse(*argv: str) -> argparse.Namespace:
    parser = Parser(prog="sims-case")
    commands = parser.add_subparsers(dest="command", required=True)
    add_parser(commands)
    return parser.parse_args(list(argv))


def test_a_vote_names_the_integrator() -> None:
    args = parse("cr", "vote", "CR-1", "--integrator", "INT-9", "--request-id", "r-1")

    assert read_request(args, COMMANDS["vote"]) == Vote(request_id="r-1", integrator_id="INT-9")


def test_a_delivery_records_who_why_and_the_release() -> None:
    args = parse(
        "cr", "deliver", "CR-1", "--by", "pm-ann", "--reason", "shipped", "--release", "7.220"
    )

    request = read_request(args, COMMANDS["deliver"])

    assert isinstance(request, Deliver)
    assert (request.decided_by, request.reason, request.release_version) == (
        "pm-ann",
        "shipped",
        "7.220",
    )


def test_a_delivery_without_its_release_is_refused_by_the_parser() -> None:
    with pytest.raises(Failure) as refused:
        parse("cr", "deliver", "CR-1", "--by", "pm-ann", "--reason", "shipped")

    assert refused.value.code == 2
    assert "--release" in str(refused.value)


def test_a_duplicate_needs_an_original_or_a_workaround_before_temporal_is_asked() -> None:
    args = parse("cr", "duplicate", "CR-2", "--by", "pm-ann", "--reason", "same ask")

    with pytest.raises(Failure) as refused:
        prepare(args)

    assert refused.value.code == 2
    assert "original_reference or workaround" in str(refused.value)


def test_a_duplicate_may_name_its_original() -> None:
    args = parse("cr", "duplicate", "CR-2", "--by", "pm", "--reason", "same", "--original", "CR-1")

    request = read_request(args, COMMANDS["duplicate"])

    assert isinstance(request, MarkDuplicate) and request.original_reference == "CR-1"


def test_a_bad_reference_is_refused_naming_it() -> None:
    args = parse("cr", "status", "cr one")

    with pytest.raises(Failure, match="REF"):
        prepare(args)


def test_a_bad_original_reference_is_refused_naming_the_flag() -> None:
    args = parse(
        "cr", "duplicate", "CR-2", "--by", "pm", "--reason", "same", "--original", "cr one"
    )

    with pytest.raises(Failure, match="--original"):
        prepare(args)


def test_list_sorts_by_votes_unless_told_otherwise() -> None:
    assert parse("cr", "list").sort == "votes"
    assert parse("cr", "list", "--sort", "reference").sort == "reference"
    with pytest.raises(Failure):
        parse("cr", "list", "--sort", "mood")


def test_opening_needs_a_title_and_who_raised_it() -> None:
    with pytest.raises(Failure, match="--raised-by"):
        parse("cr", "open", "CR-1", "--title", "Codes")
    args = parse("cr", "open", "CR-1", "--title", "", "--raised-by", "INT-1")
    with pytest.raises(Failure, match="title"):
        prepare(args)
