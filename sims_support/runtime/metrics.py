"""The worker's Prometheus endpoint (DESIGN §15): the SDK's metrics and the product's
(`workflows/metrics.py`, through `workflow.metric_meter()`), on `SIMS_METRICS_PORT`.

Off unless the port is set. One Temporal runtime per process serves them: a runtime
binds its port once, so it is made once and shared by every client that asks.
"""

from __future__ import annotations

import functools

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from sims_support.config import Settings


def runtime_for(settings: Settings) -> Runtime | None:
    """The runtime that exports metrics on the configured port; None when it is not set."""
    if settings.metrics_port is None:
        return None
    return _runtime(f"{settings.metrics_host}:{settings.metrics_port}")


@functools.cache
def _runtime(bind_address: str) -> Runtime:
    # `_total` on counters, as Prometheus names them (and the README's alert rule reads).
    metrics = PrometheusConfig(bind_address=bind_address, counters_total_suffix=True)
    return Runtime(telemetry=TelemetryConfig(metrics=metrics))
