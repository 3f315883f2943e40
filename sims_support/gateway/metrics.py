"""The gateway's requests, counted and timed by route, method and status (DESIGN §15), on
the Temporal runtime that serves its client's metrics too (SIMS_GATEWAY_METRICS_PORT).

Every label is bounded and holds no reference: `route` is the route's template
(`/v1/cases/{reference}`), never the path; a path no route has is `unmatched`; a method
HTTP does not define is `other`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.common import MetricCounter, MetricHistogramFloat, MetricMeter

from sims_support.runtime.metrics import REQUEST_SECONDS

REQUESTS = "sims_gateway_requests"  # the exporter adds `_total`
UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
Labels = tuple[str, str, int]


class Measured:
    """ASGI middleware around the gatekeeper, so its 401s, 413s and 415s are counted too;
    only Starlette's last-resort handler is outside it (an exception reaching here is its
    500)."""

    def __init__(self, app: ASGIApp, meter: MetricMeter, routes: Iterable[BaseRoute]) -> None:
        self.app = app
        self._requests = meter.create_counter(
            REQUESTS, "HTTP requests answered, by route, method and status"
        )
        self._seconds = meter.create_histogram_float(
            REQUEST_SECONDS, "Time to answer an HTTP request, by route, method and status", "s"
        )
        self._templates = _Templates(routes)
        # One pair per label set, labels bound once: the cheap call on every request.
        self._bound: dict[Labels, tuple[MetricCounter, MetricHistogramFloat]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # the answer when the app raises, or returns without one (uvicorn's)

        async def answering(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, answering)
        except Exception:
            self._record(scope, status, started)
            raise
        self._record(scope, status, started)

    def _record(self, scope: Scope, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        method = scope["method"] if scope["method"] in METHODS else "other"
        labels = (self._route(scope), method, status)
        bound = self._bound.get(labels)
        if bound is None:
            route, _, _ = labels
            named = {"route": route, "method": method, "status": str(status)}
            bound = (
                self._requests.with_additional_attributes(named),
                self._seconds.with_additional_attributes(named),
            )
            self._bound[labels] = bound
        requests, seconds = bound
        requests.add(1)
        seconds.record(elapsed)

    def _route(self, scope: Scope) -> str:
        # The route the router chose (its template), else the one the path would reach: the
        # gatekeeper answered before any route ran, or none has the path.
        chosen = getattr(scope.get("route"), "path_format", None)
        if isinstance(chosen, str):
            return chosen
        return self._templates.of(scope["path"])


class _Templates:
    """The route templates, matched all at once by one expression."""

    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        found = [route.path_format for route in routes if isinstance(route, Route)]
        self.templates = list(dict.fromkeys(found))
        self._any = re.compile(
            "|".join(f"(?P<t{i}>{_pattern(t)})" for i, t in enumerate(self.templates))
        )

    def of(self, path: str) -> str:
        matched = self._any.fullmatch(path)
        if matched is None or matched.lastgroup is None:
            return UNMATCHED
        return self.templates[int(matched.lastgroup[1:])]


def _pattern(template: str) -> str:
    """`/v1/cases/{reference}` as a pattern: each parameter one path segment."""
    return "[^/]+".join(re.escape(part) for part in re.split(r"\{[^}]*\}", template))
