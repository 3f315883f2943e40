"""Every input is finite (DESIGN §13): the bounded text types every wire model uses.

A value past its maximum, or with a character its field does not allow, is refused as
`InvalidInput` naming the field (the converter turns pydantic's error into it). One-line
fields refuse every control and format character (Unicode categories Cc and Cf); text
fields allow newline and tab among them, nothing else.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field

FORBIDDEN = frozenset({"Cc", "Cf"})
# Lone surrogates (Cs) cannot be encoded as UTF-8: refused everywhere, with a clear word.
SURROGATE = "Cs"
TEXT_ALLOWS = frozenset({"\n", "\t"})
SEPARATORS = frozenset({"Zl", "Zp"})  # U+2028, U+2029: refused in one-line fields

NAME_MAX = 100
EMAIL_MAX = 254
PHONE_MAX = 30
ID_MAX = 64
REQUEST_ID_MAX = 100
VERSION_MAX = 50
SUMMARY_MAX = 200
LONG_TEXT_MAX = 20_000
MEDIUM_TEXT_MAX = 5_000
MESSAGE_MAX = 10_000
API_MAX, APIS_MAX = 100, 20
ERROR_MAX, ERRORS_MAX = 2_000, 20
SCREENSHOT_MAX, SCREENSHOTS_MAX = 500, 20
SFTP_MAX = 500


def _refuse(value: str, allowed: frozenset[str]) -> str:
    for index, char in enumerate(value):
        category = unicodedata.category(char)
        if category == SURROGATE:
            raise ValueError(f"character {index + 1} is a lone surrogate (not valid Unicode)")
        if category in FORBIDDEN and char not in allowed:
            what = "a control" if category == "Cc" else "a format"
            raise ValueError(
                f"character {index + 1} (U+{ord(char):04X}) is {what} character, not allowed here"
            )
    return value


def one_line(value: str) -> str:
    _refuse(value, frozenset())
    for index, char in enumerate(value):
        if unicodedata.category(char) in SEPARATORS:  # a line break in all but name
            raise ValueError(
                f"character {index + 1} (U+{ord(char):04X}) is a line separator, not allowed here"
            )
    return value


def text(value: str) -> str:
    return _refuse(value, TEXT_ALLOWS)


Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX), AfterValidator(one_line)]
Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9._@-]{1,64}$")]
RequestId = Annotated[str, Field(min_length=1, max_length=REQUEST_ID_MAX), AfterValidator(one_line)]
Version = Annotated[str, Field(min_length=1, max_length=VERSION_MAX), AfterValidator(one_line)]
Summary = Annotated[str, Field(min_length=1, max_length=SUMMARY_MAX), AfterValidator(one_line)]
Phone = Annotated[str, Field(pattern=r"^[0-9 +()-]{1,30}$")]
# Free text: what the desk, the integrator and the school write.
Message = Annotated[str, Field(min_length=1, max_length=MESSAGE_MAX), AfterValidator(text)]
OptionalMessage = Annotated[str, Field(max_length=MESSAGE_MAX), AfterValidator(text)]
LongText = Annotated[str, Field(max_length=LONG_TEXT_MAX), AfterValidator(text)]
MediumText = Annotated[str, Field(max_length=MEDIUM_TEXT_MAX), AfterValidator(text)]
Api = Annotated[str, Field(min_length=1, max_length=API_MAX), AfterValidator(one_line)]
ErrorMessage = Annotated[str, Field(max_length=ERROR_MAX), AfterValidator(text)]
Screenshot = Annotated[
    str, Field(min_length=1, max_length=SCREENSHOT_MAX), AfterValidator(one_line)
]
