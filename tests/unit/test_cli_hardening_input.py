"""What `sims-case` reads from files is finite and UTF-8: an intake or a message file that
is UTF-16, not UTF-8 or a lone surrogate is exit 2 naming the file and what is wrong; a
field past its bound is exit 2 naming it, before anything is sent; every free-text
option has a `-file` twin (`-` for standard input) that the shell's cap does not limit."""

from __future__ import annotations

import argparse
import codecs
import datetime as dt
import io
import json
import socket
from pathlib import Path
from typing import Any

import pytest

from domain import bounds
from sims_support.cli import case, change_request, inputs, problem, school
from sims_support.cli.case import read_intake
from sims_support.cli.common import Command, read_request
from sims_support.cli.examples import example
from sims_support.cli.exits import BAD_INPUT, Failure
from sims_support.cli.main import build_parser, run

NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
TABLES: list[dict[str, Command[Any]]] = [
    case.COMMANDS,
    case.NOTES,
    problem.COMMANDS,
    change_request.COMMANDS,
    school.COMMANDS,
]
PREFIX = {id(problem.COMMANDS): ["problem"], id(change_request.COMMANDS): ["cr"]}
PREFIX[id(school.COMMANDS)] = ["school"]
# Every free-text option, as `--help` lists them: each has its `-file` twin.
FREE_TEXT = {
    ("acknowledge", "--message"), ("update", "--message"), ("request-info", "--message"),
    ("provide-info", "--message"), ("note", "--message"), ("priority", "--reason"),
    ("offer", "--summary"), ("reopen", "--reason"), ("withdraw", "--reason"),
    ("feedback", "--comment"), ("problem review", "--message"),
    ("problem accept", "--message"), ("problem reject", "--reason"),
    ("problem need-info", "--message"), ("problem release", "--summary"),
    ("cr review", "--reason"), ("cr consider", "--reason"), ("cr plan", "--reason"),
    ("cr deliver", "--reason"), ("cr reject", "--reason"), ("cr duplicate", "--reason"),
    ("cr duplicate", "--workaround"), ("school request", "--purpose"),
    ("school share", "--purpose"), ("school refuse", "--reason"),
}  # fmt: skip


# What else each command needs besides its free text.
DECIDED = ["--by", "Ann Lee"]
OTHERS = {
    "priority": ["--impact", "2", "--urgency", "1"],
    "offer": ["--kind", "advice"],
    "feedback": ["--rating", "4"],
    **{f"cr {name}": DECIDED for name in ("review", "consider", "plan", "reject")},
    "cr deliver": [*DECIDED, "--release", "7.220"],
    "cr duplicate": [*DECIDED, "--original", "CR-2"],
    "school share": ["--partner", "Offshore Ltd", "--country", "IN"],
    "school refuse": ["--access", "a1", "--approver", "school", "--by", "Ann Lee"],
}


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def written(tmp_path: Path, data: bytes, name: str = "intake.json") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def refusal(path: str) -> str:
    with pytest.raises(Failure) as refused:
        read_intake(parse("open", "--file", path), NOW)
    assert refused.value.code == BAD_INPUT
    return str(refused.value)


def an_intake(**fields: Any) -> dict[str, Any]:
    return example("p3-enquiry", NOW) | fields


@pytest.mark.parametrize(
    ("encoding", "what"),
    [("utf-16", "UTF-16"), ("utf-16-be", "NUL bytes"), ("utf-32", "UTF-32")],
)
def test_an_intake_in_utf16_or_utf32_is_refused_naming_the_file_and_its_encoding(
    tmp_path: Path, encoding: str, what: str
) -> None:
    path = written(tmp_path, json.dumps(an_intake()).encode(encoding))

    message = refusal(path)

    assert message.startswith(f"--file: {path}") and what in message and "UTF-8" in message


@pytest.mark.parametrize(
    ("raw", "what"),
    [
        (b'{"summary": "caf\xe9"}', "not UTF-8 at byte 16 (0xE9, invalid continuation byte)"),
        (b'{"summary": "\xed\xa0\x80"}', "not UTF-8 at byte 13 (an encoded surrogate"),
    ],
)
def test_an_intake_that_is_not_utf8_is_refused_saying_where(
    tmp_path: Path, raw: bytes, what: str
) -> None:
    path = written(tmp_path, raw)

    assert refusal(path).startswith(f"--file: {path}: {what}")


def test_a_lone_surrogate_written_as_a_json_escape_is_refused_naming_its_field(
    tmp_path: Path,
) -> None:
    text = json.dumps(an_intake()).replace("Hilltop Academy", "Hill\\ud83dtop")
    path = written(tmp_path, text.encode())

    assert refusal(path) == (
        f"--file: {path}: school.name: character 5 is a lone surrogate (\\ud83d), not valid Unicode"
    )


def test_an_intake_with_a_utf8_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = written(tmp_path, codecs.BOM_UTF8 + json.dumps(an_intake(summary="Zoë")).encode())

    assert read_intake(parse("open", "--file", path), NOW).summary == "Zoë"


def test_standard_input_is_read_as_bytes_and_named_so(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b'{"summary": "\xff"}'), encoding="latin-1")
    monkeypatch.setattr("sys.stdin", stdin)

    with pytest.raises(Failure, match=r"^--file: standard input: not UTF-8 at byte 13"):
        read_intake(parse("open", "--file", "-"), NOW)


@pytest.mark.parametrize(
    ("text", "what"),
    [("[" * 100_000, "nested too deeply"), ('{"impact": ' + "1" * 5_000 + "}", "4300 digits")],
)
def test_json_python_cannot_read_is_bad_input_not_a_traceback(
    tmp_path: Path, text: str, what: str
) -> None:
    assert what in refusal(written(tmp_path, text.encode()))


def test_a_file_past_the_read_limit_is_refused_without_reading_it_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inputs, "MAX_BYTES", 1024 * 1024)
    path = written(tmp_path, b" " * (2 * 1024 * 1024))

    assert refusal(path) == f"--file: {path} is larger than 1 MiB"


@pytest.fixture
def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def test_a_3mb_description_is_exit_2_naming_the_field_before_anything_is_sent(
    tmp_path: Path, closed_port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = written(tmp_path, json.dumps(an_intake(description="x" * 3_000_000)).encode())

    # A closed port: had anything been sent, this would be exit 1, "cannot reach".
    assert run(["--address", closed_port, "open", "--file", path]) == BAD_INPUT
    assert capsys.readouterr().err == (
        f"sims-case: description: String should have at most {bounds.LONG_TEXT_MAX} characters\n"
    )


def free_text_options() -> list[tuple[list[str], str, Command[Any]]]:
    """Each command with a free-text option, as it is typed: (words, flag, command)."""
    found = []
    for table in TABLES:
        for name, command in table.items():
            for flag, field in command.options.items():
                if inputs.is_free_text(command.model, field):
                    found.append(([*PREFIX.get(id(table), []), name], flag, command))
    return found


def test_every_free_text_option_is_one_a_person_writes() -> None:
    assert {(" ".join(words), flag) for words, flag, _ in free_text_options()} == FREE_TEXT


@pytest.mark.parametrize(("words", "flag", "command"), free_text_options())
def test_every_free_text_option_can_be_read_from_a_file(
    tmp_path: Path, words: list[str], flag: str, command: Command[Any]
) -> None:
    path = written(tmp_path, b"Line one\r\nline two\n\n", "text.txt")
    others = OTHERS.get(" ".join(words), [])
    if flag == "--workaround":
        others = [*others, "--reason", "the same ask"]

    request = read_request(parse(*words, "REF-1", *others, f"{flag}-file", path), command)

    # Line ends as Python reads text, without the newlines an editor leaves at the end.
    assert getattr(request, command.options[flag]) == "Line one\nline two"


def test_a_message_is_given_inline_or_in_a_file_not_both(tmp_path: Path) -> None:
    path = written(tmp_path, b"from the file", "message.txt")

    with pytest.raises(Failure, match="--message-file: not allowed with argument --message"):
        parse("update", "INC-1", "--message", "inline", "--message-file", path)
    with pytest.raises(Failure, match="one of the arguments --message --message-file"):
        parse("update", "INC-1")


def test_a_message_file_of_dash_is_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"\xef\xbb\xbfPiped in\n")))

    request = read_request(parse("update", "INC-1", "--message-file", "-"), case.COMMANDS["update"])

    assert request.message == "Piped in"


def test_a_message_file_past_the_shells_cap_meets_the_fields_own_bound_exit_2(
    tmp_path: Path, closed_port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = written(tmp_path, b"x" * (200 * 1024), "long.txt")  # the shell's cap: 128 KiB

    code = run(["--address", closed_port, "update", "INC-1", "--message-file", path])

    assert code == BAD_INPUT
    assert capsys.readouterr().err == (
        f"sims-case: --message-file: String should have at most {bounds.MESSAGE_MAX} characters\n"
    )


@pytest.mark.parametrize(
    ("raw", "what"),
    [
        ("Zoë".encode("utf-16"), " is UTF-16 (it begins with its byte-order mark)"),
        (b"caf\xe9", ": not UTF-8 at byte 3"),
    ],
)
def test_a_message_file_that_is_not_utf8_is_refused_naming_it(
    tmp_path: Path, raw: bytes, what: str
) -> None:
    path = written(tmp_path, raw, "message.txt")

    with pytest.raises(Failure) as refused:
        read_request(parse("reopen", "INC-1", "--reason-file", path), case.COMMANDS["reopen"])

    assert str(refused.value).startswith(f"--reason-file: {path}{what}")


def test_a_control_character_in_a_message_file_is_refused_naming_the_file_flag(
    tmp_path: Path,
) -> None:
    path = written(tmp_path, b"red \x1b[31m alert", "message.txt")

    with pytest.raises(Failure, match=r"^--message-file: character 5 \(U\+001B\) is a control"):
        read_request(parse("note", "INC-1", "--message-file", path), case.NOTES["note"])


def test_only_one_text_can_come_from_standard_input() -> None:
    args = parse("cr", "open", "CR-1", "--title-file", "-", "--description-file", "-",
                 "--raised-by", "INT-1")  # fmt: skip

    with pytest.raises(Failure, match="only one of them can read standard input"):
        change_request.read_opening(args, NOW)


def test_a_problems_summary_and_a_change_requests_title_and_description_read_from_files(
    tmp_path: Path,
) -> None:
    summary = written(tmp_path, b"Census export fails\n", "summary.txt")
    description = written(tmp_path, "Codes\n\nfor the DfE\u2019s new list\n".encode(), "text.txt")

    opening = problem.read_opening(parse("problem", "open", "PRB-1", "--summary-file", summary))
    raised = change_request.read_opening(
        parse("cr", "open", "CR-1", "--title-file", summary, "--description-file", description,
              "--raised-by", "INT-1"),
        NOW,
    )  # fmt: skip

    assert opening.summary == raised.title == "Census export fails"
    assert raised.description == "Codes\n\nfor the DfE\u2019s new list"


def test_a_one_line_field_from_a_file_of_two_lines_is_refused_naming_the_file_flag(
    tmp_path: Path,
) -> None:
    path = written(tmp_path, b"one\ntwo\n", "summary.txt")

    with pytest.raises(Failure, match=r"^--summary-file: character 4 \(U\+000A\)"):
        problem.read_opening(parse("problem", "open", "PRB-1", "--summary-file", path))
