"""The one family of errors the client raises, for every lifecycle.

Each carries a `type` (the name the workflow's `ApplicationError` carries, or the
client's own: `NoSuchCase`, `CaseAlreadyOpen`, `UnknownEvent`, ...) and a message a
person can act on. The command line turns the three kinds into its exit codes.
"""

from __future__ import annotations


class ClientError(Exception):
    """Temporal could not do what was asked (or did not say why)."""

    def __init__(self, type: str, message: str) -> None:
        super().__init__(message)
        self.type = type


class NotFound(ClientError):
    """No case, problem or change request has that reference."""


class Refused(ClientError):
    """The lifecycle's state or a charter rule refused the request; nothing changed."""


# The 0.1 names, kept for one release.
CaseError = ClientError
NoSuchCase = NotFound
CaseRefused = Refused
