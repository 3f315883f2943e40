"""What each POST takes: the update's model without `request_id` and `actor` (DESIGN §14),
which the gateway sets from the Idempotency-Key header and the API key.

A body names a field the gateway sets, or one the model does not have, and it is refused
`InvalidInput` naming the field: `extra="forbid"`, as everywhere. The body models carry
the fields' bounds, so the OpenAPI schema states them; the update's own model is built
from the body, so a rule across fields (a duplicate names its original or a workaround)
is checked as the workflow checks it.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from domain import models as case
from domain import problems as problem
from domain import school_data as school
from domain.actors import Actor
from domain.change_requests import Decision, Deliver, MarkDuplicate, Plan, Review, Unvote, Vote
from domain.models import WIRE
from sims_support.gateway.errors import ApiError, FieldError

SET_BY_GATEWAY = ("request_id", "actor")
T = TypeVar("T", bound=BaseModel)

# Each event, the model its update takes; tests/gateway/test_contract.py checks them
# against workflows/contract.py.
CASE_EVENTS: dict[str, type[BaseModel]] = {
    "acknowledge": case.Acknowledge,
    "post_update": case.PostUpdate,
    "request_information": case.RequestInformation,
    "provide_information": case.ProvideInformation,
    "change_priority": case.ChangePriority,
    "escalate_to_problem": case.EscalateToProblem,
    "offer_resolution": case.OfferResolution,
    "accept_resolution": case.AcceptResolution,
    "reopen": case.Reopen,
    "withdraw": case.Withdraw,
}
# `give_feedback` has its own path (a Resolved case's goes to the ledger).
FEEDBACK = case.GiveFeedback
SCHOOL_EVENTS: dict[str, type[BaseModel]] = {
    "request_school_data": school.RequestSchoolData,
    "record_data_transfer": school.RecordDataTransfer,
    "request_partner_access": school.RequestPartnerAccess,
    "approve_partner_access": school.ApprovePartnerAccess,
    "refuse_partner_access": school.RefusePartnerAccess,
}
PROBLEM_EVENTS: dict[str, type[BaseModel]] = {
    "schedule_review": problem.ScheduleReview,
    "accept_as_defect": problem.AcceptAsDefect,
    "reject": problem.Reject,
    "request_information": problem.RequestInformation,
    "schedule_fix": problem.ScheduleFix,
    "release_fix": problem.ReleaseFix,
}
CHANGE_REQUEST_EVENTS: dict[str, type[BaseModel]] = {
    "vote": Vote,
    "unvote": Unvote,
    "review": Review,
    "consider": Decision,
    "plan": Plan,
    "deliver": Deliver,
    "reject": Decision,
    "mark_duplicate": MarkDuplicate,
}


class OpenCase(case.OpenCase):
    """The intake (`domain.models.OpenCase`), built as soon as the routes are: FastAPI
    warns of a body whose model's build is deferred."""

    model_config = ConfigDict(defer_build=False)


@functools.cache
def body_of(model: type[BaseModel], prefix: str) -> type[BaseModel]:
    """The model's fields but those the gateway sets, as `<prefix><Model>` in the schema."""
    fields: dict[str, Any] = {
        name: (field.annotation, field)
        for name, field in model.model_fields.items()
        if name not in SET_BY_GATEWAY
    }
    body: type[BaseModel] = create_model(
        f"{prefix}{model.__name__}", __config__=WIRE, __doc__=model.__doc__, **fields
    )
    return body


def takes_no_fields(model: type[BaseModel]) -> bool:
    """An update that needs nothing but who and which (accept): its body may be empty."""
    return not any(
        field.is_required()
        for name, field in model.model_fields.items()
        if name not in SET_BY_GATEWAY
    )


def request_of(model: type[T], body: BaseModel | None, key: str, actor: Actor) -> T:
    """The update's request: the body's fields, the key as request id, the key's actor."""
    fields = body.model_dump(exclude_unset=True) if body is not None else {}
    try:
        return model.model_validate({**fields, "request_id": key, "actor": actor})
    except ValidationError as err:
        errors = [
            FieldError(
                field=".".join(str(part) for part in e["loc"]) or "body",
                detail=e["msg"].removeprefix("Value error, "),
            )
            for e in err.errors()
        ]
        detail = "; ".join(f"{e.field}: {e.detail}" for e in errors)
        raise ApiError("InvalidInput", detail, errors=errors) from None
