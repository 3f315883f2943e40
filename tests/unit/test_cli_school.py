"""`sims-case school`: input checked before Temporal is contacted, and the rendering."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.school_data import AccessState, DataRequest, PartnerAccess, SchoolData
from sims_support.cli.common import read_request
from sims_support.cli.exits import Failure
from sims_support.cli.main import build_parser
from sims_support.cli.school import COMMANDS, render_school

AT = dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC)


def parse(*argv: str) -> object:
    return build_parser().parse_args(["school", *argv])


def test_a_share_request_is_read_from_its_flags() -> None:
    args = parse("share", "INC-1", "--partner", "Offshore Ltd", "--country", "IN", "--purpose", "x")
    request = read_request(args, COMMANDS["share"])  # type: ignore[arg-type]
    assert request.model_dump() == {
        "request_id": request.request_id,
        "actor": None,  # the client sends it as the command's actor
        "partner": "Offshore Ltd",
        "country": "IN",
        "purpose": "x",
    }


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["share", "INC-1", "--partner", "P", "--country", "India", "--purpose", "x"], "--country"),
        (["transfer", "INC-1", "--data-request", "d1", "--sftp", "the data"], "--sftp"),
        (["approve", "INC-1", "--access", "a1", "--approver", "vendor", "--by", "x"], "--approver"),
    ],
)
def test_bad_input_names_the_flag(argv: list[str], flag: str) -> None:
    args = parse(*argv)
    with pytest.raises(Failure) as failed:
        read_request(args, COMMANDS[argv[0]])  # type: ignore[arg-type]
    assert failed.value.code == 2 and str(failed.value).startswith(flag)


def test_the_school_data_reads_as_a_short_list() -> None:
    data = SchoolData(
        data_requests=(DataRequest(request_id="d1", requested_at=AT, purpose="repro"),),
        partner_access=(
            PartnerAccess(
                request_id="a1",
                partner="Offshore Ltd",
                country="IN",
                requested_at=AT,
                state=AccessState.PENDING,
                expires_at=AT + dt.timedelta(days=14),
            ),
        ),
    )
    assert render_school(data).splitlines() == [
        "school data requests:",
        "  d1  repro  transfers: -",
        "partner access:",
        "  a1: Offshore Ltd (IN)  pending until 2026-12-14 10:00 UTC",
    ]
    assert render_school(SchoolData()) == "no school data requested"
