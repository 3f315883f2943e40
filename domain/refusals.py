"""Every business refusal, one class per error `type` (the class name is the type).

The records raise them; the workflow shells turn them into `ApplicationError(type=...)`
for the caller, so a refusal is named once, here. A refusal changes nothing.
"""

from __future__ import annotations


class Refusal(Exception):
    """A request the charter or the lifecycle's state refuses; nothing was written."""

    @property
    def type(self) -> str:
        return type(self).__name__


class InvalidInput(Refusal):
    """A request that is well formed but incomplete: the message names the field (the
    converter raises the same type for a payload that is not a valid model)."""


class InvalidTransition(Refusal):
    """The event is not allowed in the machine's current state."""

    def __init__(
        self, machine: str, event: str, state: str, allowed: list[str], message: str = ""
    ) -> None:
        self.event, self.state, self.allowed = event, state, allowed
        hint = ", ".join(allowed) if allowed else f"none: the {machine} is closed"
        super().__init__(
            message
            or f"{event} is not allowed while the {machine} is {state.replace('_', ' ')} "
            f"(allowed now: {hint})"
        )


class NotReady(Refusal):
    """An event sent before the lifecycle has opened."""


class CaseClosed(Refusal):
    pass


class LoggedAtInFuture(Refusal):
    pass


class LoggedAtTooOld(Refusal):
    """`logged_at` further back than the policy's `max_backdating`."""


class CaseTooLarge(Refusal):
    """The case's log holds `max_events` events or `max_log_text` of text: new requests
    are refused; the case goes on, and its timers still fire."""


class ProblemTooLarge(Refusal):
    """A problem holds `max_problem_links` linked cases."""


class IdempotencyKeyReused(Refusal):
    """A request id sent again with another event or other fields."""


class InvalidResolutionKind(Refusal):
    """A problem fix offered on a case that is not escalated to a problem."""


class ReopenWindowClosed(Refusal):
    pass


class EscalationInProgress(Refusal):
    pass


class ProblemUnavailable(Refusal):
    pass


class ChangeRequestClosed(Refusal):
    pass


class ProblemClosed(Refusal):
    pass


# -- change requests ------------------------------------------------------------------


class ChangeRequestRefused(Refusal):
    """A request the change request cannot take."""


class VotingClosed(ChangeRequestRefused):
    pass


class InvalidDuplicate(ChangeRequestRefused):
    pass


class RaisedAtInFuture(ChangeRequestRefused):
    pass


# -- school data (a ValueError too: the data rules raise them from model methods) -------


class SchoolDataRefused(Refusal, ValueError):
    """A request the charter's data rules refuse."""


class SchoolDataNotAllowed(SchoolDataRefused):
    pass


class UnknownDataRequest(SchoolDataRefused):
    pass


class UnknownAccessRequest(SchoolDataRefused):
    pass


class AccessAlreadyDecided(SchoolDataRefused):
    pass


# -- who may (DESIGN §12) ----------------------------------------------------------------


class NotAllowed(Refusal):
    """The actor's role may not send this event (or not in this form)."""


class NotYourCase(Refusal):
    """An integrator or a school acting on a case that is not theirs."""
