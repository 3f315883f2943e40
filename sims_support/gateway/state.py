"""What every route of the gateway shares: the settings, the one Temporal client, the key
store and the KPI ledger; and how a route calls Temporal and answers in JSON."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel
from starlette.responses import Response
from temporalio.client import Client

from activities.ledger import Ledger
from domain.actors import Actor, Role
from sims_support.client.errors import ClientError, NotFound
from sims_support.config import Settings
from sims_support.gateway.temporal import TemporalLink, within
from sims_support.security.keys import KeyStore

if TYPE_CHECKING:
    from sims_support.reports.feedback import Notify

T = TypeVar("T")
OWNERS = (Role.INTEGRATOR, Role.SCHOOL)


@dataclass
class Gateway:
    settings: Settings
    temporal: TemporalLink
    keys: KeyStore
    ledger: Ledger  # the KPI ledger: a Resolved case's feedback, the report
    # What the gateway made itself, and so disposes of when it stops.
    owned: list[KeyStore | Ledger] = field(default_factory=list)
    _notify: Notify | None = None

    @property
    def task_queue(self) -> str:
        return self.settings.task_queue

    @property
    def wait(self) -> float:
        return self.settings.gateway_wait

    @property
    def notify(self) -> Notify:
        """Feedback escalations, delivered as the worker delivers them (the webhook)."""
        if self._notify is None:
            from sims_support.reports.feedback import webhook_notifier

            self._notify = webhook_notifier(self.settings)
        return self._notify

    async def call(self, caller: Actor, make: Callable[[Client], Awaitable[T]]) -> T:
        """`make(client)`, waited on for at most SIMS_GATEWAY_WAIT seconds; a missing case
        is, to an integrator or a school, not theirs (the same answer either way)."""
        client = await self.temporal.client()
        try:
            return await within(self.wait, make(client))
        except ClientError as err:
            raise hidden(err, caller) from None

    def close(self) -> None:
        for held in self.owned:
            held.dispose()


def hidden(err: ClientError, caller: Actor) -> ClientError:
    """No one learns that another's case exists (DESIGN §12): to an integrator or a school,
    a case that is not there reads as one that is not theirs, word for word."""
    if caller.role in OWNERS and err.type == "NoSuchCase":
        return NotFound("NotYourCase", f"reference: no such case for {caller.role} {caller.id}")
    return err


async def gateway_of(request: Request) -> Gateway:
    # Async: FastAPI would run a plain function in its thread pool, on every request.
    found: Gateway = request.app.state.gateway
    return found


Shared = Annotated[Gateway, Depends(gateway_of)]


def answer(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """The model as JSON, as the client and the CLI write it (empty optional fields of an
    event or a clock left out)."""
    return Response(
        model.model_dump_json(), status_code=status, headers=headers, media_type="application/json"
    )
