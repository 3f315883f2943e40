"""The gateway's OpenAPI 3.1 document (`/openapi.json`): FastAPI's, with the problem
details' schema, the tags and the description; `openapi_copy` keeps `docs/openapi.json`."""

from __future__ import annotations

import json
import warnings
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic.warnings import UnsupportedFieldAttributeWarning

from sims_support.gateway.errors import ProblemDetails

TITLE = "SIMS Support Orchestrator"
VERSION = "1.0.0"
DESCRIPTION = """\
Support cases, problems and change requests of the ESS SIMS Technical Integrator Support
Charter, each a durable Temporal workflow, over HTTP.

Every call but `/healthz` and `/readyz` carries `Authorization: Bearer <token>`: an API key
from `sims-case keys create`, and each key is one actor (desk, integrator, school, product
manager). The gateway sends every request as that actor; a body never says who sends it.
Every POST but an opening carries an `Idempotency-Key`, which becomes the request id: the
same key and body again get the same answer, another body is `IdempotencyKeyReused`.
Failures are RFC 9457 problem details (`application/problem+json`), their `type`
`urn:sims-support:error:<T>`.
"""
TAGS = [
    {"name": "cases", "description": "incidents, enquiries and service requests"},
    {"name": "problems", "description": "the causes of incidents: the desk's"},
    {"name": "change requests", "description": "raised, voted on, decided"},
    {"name": "reports", "description": "KPI attainment, from the ledger"},
    {"name": "operations", "description": "liveness and readiness probes"},
]
# A working time as pydantic writes it: ISO 8601, the seconds with a fraction when they have
# one ("PT7H59M59.968134S"), as .NET's XmlConvert.ToTimeSpan and Java's Duration.parse read
# it. JSON Schema's `format: duration` is RFC 3339's, which has no fractions: FastAPI's
# schema said that, and a working time counted from a real instant broke it.
DURATION = {
    "type": "string",
    "pattern": r"^-?P(\d+Y)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$",
    "description": "ISO 8601 duration in years of 365 days, days, hours, minutes and "
    "seconds, the seconds with a fraction when they have one: PT7H59M59.968134S, P2DT5S, "
    "PT0S, P1Y3D",
}


def schema_of(app: FastAPI) -> dict[str, Any]:
    """The document, built once: FastAPI's, with the problem details' schema it refers to."""
    if app.openapi_schema is None:
        with warnings.catch_warnings():
            # FastAPI names a body's field after its parameter; on a model whose build is
            # deferred (the intake's e-mail validator) pydantic warns of that, to no effect.
            warnings.simplefilter("ignore", UnsupportedFieldAttributeWarning)
            found = get_openapi(
                title=TITLE,
                version=VERSION,
                openapi_version="3.1.0",
                description=DESCRIPTION,
                routes=app.routes,
                tags=TAGS,
            )
        problem = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas = found.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(problem.pop("$defs", {}))
        schemas["ProblemDetails"] = problem
        app.openapi_schema = _iso_durations(found)
    return app.openapi_schema


def _iso_durations(node: Any) -> Any:
    """The document with every `format: duration` string a `DURATION`, its title kept."""
    if isinstance(node, list):
        return [_iso_durations(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("type") == "string" and node.get("format") == "duration":
        kept = {k: v for k, v in node.items() if k not in ("format", "type")}
        return {**DURATION, **kept}
    return {key: _iso_durations(value) for key, value in node.items()}


def rendered(app: FastAPI) -> str:
    return json.dumps(schema_of(app), indent=2, ensure_ascii=False) + "\n"
