"""What `sims-case` reads from files: an intake (`open --file`) and free text
(`--message-file` beside `--message`, and so on for every free-text option), `-` being
standard input.

A file is UTF-8 (a byte-order mark is allowed and dropped); UTF-16, UTF-32, bytes that
are not UTF-8 and lone surrogates are bad input naming the file and what is wrong. A
file is read up to `MAX_BYTES`: far past what any field allows, so a person meets the
field's own bound (exit 2 naming it), yet `yes | sims-case ... --message-file -` ends.
"""

from __future__ import annotations

import argparse
import codecs
import json
import re
import sys
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, get_args, get_origin

from pydantic import AfterValidator, BaseModel

from domain import bounds
from sims_support.cli.exits import bad_input

MAX_BYTES = 16 * 1024 * 1024
STDIN = "-"
FILE_SUFFIX = "-file"
# Each other encoding as its byte-order mark says it (UTF-32 first: its little-endian
# mark begins with UTF-16's).
MARKS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
SAVE = "save it as UTF-8"
SURROGATE = re.compile("[\ud800-\udfff]")  # Unicode category Cs


def shown_path(path: str) -> str:
    return "standard input" if path == STDIN else path


def read_bytes(path: str, flag: str) -> bytes:
    try:
        if path == STDIN:
            data = _read_stdin()
        else:
            with open(path, "rb") as file:
                data = file.read(MAX_BYTES + 1)
    except OSError as err:
        raise bad_input(f"{flag}: {err.strerror}: {path}") from None
    if len(data) > MAX_BYTES:
        raise bad_input(f"{flag}: {shown_path(path)} is larger than {MAX_BYTES >> 20} MiB")
    return data


def _read_stdin() -> bytes:
    binary = getattr(sys.stdin, "buffer", None)
    if binary is not None:
        data: bytes = binary.read(MAX_BYTES + 1)
        return data
    # A text stream with no bytes beneath it (a test's StringIO): its text, as UTF-8, so
    # a lone surrogate in it is refused as one in a file is.
    return str(sys.stdin.read(MAX_BYTES + 1)).encode("utf-8", "surrogatepass")


def decoded(data: bytes, flag: str, path: str) -> str:
    """The file's text, or bad input saying why it is not UTF-8."""
    where = f"{flag}: {shown_path(path)}"
    for mark, encoding in MARKS:
        if data.startswith(mark):
            raise bad_input(f"{where} is {encoding} (it begins with its byte-order mark); {SAVE}")
    if b"\x00" in data:
        raise bad_input(f"{where} holds NUL bytes (UTF-16 or UTF-32 without a mark?); {SAVE}")
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        offset = err.start + len(data) - len(body)
        if _encoded_surrogate(body[err.start : err.start + 2]):
            what = "an encoded surrogate, U+D800 to U+DFFF, which UTF-8 does not allow"
        else:
            what = f"0x{body[err.start]:02X}, {err.reason}"
        raise bad_input(f"{where}: not UTF-8 at byte {offset} ({what}); {SAVE}") from None


def _encoded_surrogate(start: bytes) -> bool:
    """Whether these bytes begin U+D800 to U+DFFF written as UTF-8 would write them (as
    WTF-8 or CESU-8 do): ED, then A0 to BF."""
    return len(start) == 2 and start[0] == 0xED and 0xA0 <= start[1] <= 0xBF


def read_text(path: str, flag: str) -> str:
    """Free text from a file: its line ends as Python reads text (`\\r\\n` and `\\r` are
    `\\n`), without the newlines an editor leaves at its end."""
    text = decoded(read_bytes(path, flag), flag, path)
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")


def read_json(path: str, flag: str) -> Any:
    """A JSON file's value; a lone surrogate written as an escape (`"\\ud800"`) is refused
    naming the field it is in."""
    where = f"{flag}: {shown_path(path)}"
    text = decoded(read_bytes(path, flag), flag, path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise bad_input(f"{where}: not valid JSON: {err}") from None
    except RecursionError:  # [[[[...]]]]
        raise bad_input(f"{where}: not valid JSON: nested too deeply") from None
    except ValueError as err:  # a number of more digits than Python reads
        raise bad_input(f"{where}: not valid JSON: {str(err).partition(':')[0]}") from None
    for field, index, char in surrogates(data):
        name = f"{field}: " if field else ""
        raise bad_input(
            f"{where}: {name}character {index + 1} is a lone surrogate "
            f"(\\u{ord(char):04x}), not valid Unicode"
        )
    return data


def surrogates(value: Any) -> Iterator[tuple[str, int, str]]:
    """Each lone surrogate in a JSON value: its field (`school.name`, `apis.0`, as pydantic
    names them), its index in the string, the surrogate. Walked without recursion: json
    allows nesting deeper than a walk by recursion could go."""
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        field, item = pending.pop()
        if isinstance(item, str):
            for found in SURROGATE.finditer(item):
                yield field, found.start(), found.group()
        elif isinstance(item, dict):
            for key, inner in reversed(item.items()):
                name = f"{field}.{key}" if field else str(key)
                pending += [(name, inner), (name, key)]
        elif isinstance(item, list):
            for index, inner in reversed(list(enumerate(item))):
                pending.append((f"{field}.{index}" if field else str(index), inner))


def is_free_text(model: type[BaseModel], name: str) -> bool:
    """Whether the field is text a person writes (a message, a reason, a summary): what
    `domain.bounds` checks as text, optional or not."""
    field = model.model_fields[name]
    metadata = list(field.metadata)
    for argument in get_args(field.annotation):
        if get_origin(argument) is Annotated:
            metadata += get_args(argument)[1:]
    return any(isinstance(m, AfterValidator) and m.func is bounds.text for m in metadata)


def file_dest(name: str) -> str:
    return f"{name}__file"


def add_text_option(
    parser: argparse.ArgumentParser,
    flag: str,
    name: str,
    *,
    required: bool = False,
    default: str | None = None,
) -> None:
    """`flag TEXT` or `flag-file PATH` (`-`: standard input), one of them: the shell caps
    an argument at 128 KiB, a file only at the field's own bound."""
    either = parser.add_mutually_exclusive_group(required=required)
    either.add_argument(flag, dest=name, default=default)
    either.add_argument(
        flag + FILE_SUFFIX,
        dest=file_dest(name),
        metavar="PATH",
        help=f"{flag} read from the file PATH ('-' reads standard input)",
    )


def texts_from_files(args: argparse.Namespace, flags: Mapping[str, str]) -> dict[str, str]:
    """The free text given in files (`flags`: field -> its inline flag), read once each;
    standard input can be read only once."""
    paths = {
        name: path for name in flags if (path := getattr(args, file_dest(name), None)) is not None
    }
    from_stdin = [flags[name] + FILE_SUFFIX for name, path in paths.items() if path == STDIN]
    if len(from_stdin) > 1:
        raise bad_input(f"{' and '.join(from_stdin)}: only one of them can read standard input")
    return {name: read_text(path, flags[name] + FILE_SUFFIX) for name, path in paths.items()}


def flags_given(flags: Mapping[str, str], from_files: Mapping[str, str]) -> dict[str, str]:
    """Each field's flag as the person gave it (`flags`: field -> its inline flag): the
    file's flag for the text read from files, so a refusal names what was typed."""
    return {**flags, **{name: flags[name] + FILE_SUFFIX for name in from_files}}
