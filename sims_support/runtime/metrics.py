"""The Prometheus endpoints (DESIGN §15): the worker's on `SIMS_METRICS_PORT` (the SDK's
metrics and the product's, `workflows/metrics.py`, through `workflow.metric_meter()`), the
gateway's on `SIMS_GATEWAY_METRICS_PORT` (its client's and its requests',
`sims_support/gateway/metrics.py`).

Each is off unless its port is set. One Temporal runtime per endpoint serves it: a runtime
binds its port once, so it is made once and shared by every client and meter that asks.
"""

from __future__ import annotations

import functools

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from sims_support.config import Settings
from sims_support.runtime.devserver import StartupError

# The gateway's latency histogram: a probe answers within milliseconds, an update waits for
# a worker up to SIMS_GATEWAY_WAIT (at most 300 s). The exporter's own default buckets
# start at 50, too coarse for the first.
REQUEST_SECONDS = "sims_gateway_request_duration_seconds"
BUCKETS = {
    REQUEST_SECONDS: (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
}


def runtime_for(settings: Settings, *, gateway: bool = False) -> Runtime | None:
    """The runtime that exports metrics on the worker's port (`gateway`: the gateway's);
    None when it is not set. `StartupError` when the port cannot be listened on."""
    port = settings.gateway_metrics_port if gateway else settings.metrics_port
    if port is None:
        return None
    address = f"{settings.metrics_host}:{port}"
    try:
        return _runtime(address)
    except ValueError as err:  # the port taken, or a host that is no address
        variable = "SIMS_GATEWAY_METRICS_PORT" if gateway else "SIMS_METRICS_PORT"
        reason = str(err).removeprefix("Failed starting Prometheus exporter: ")
        raise StartupError(
            f"the metrics endpoint cannot listen on {address}: {reason}; "
            f"choose another port with {variable} (the address with SIMS_METRICS_HOST)"
        ) from None


@functools.cache
def _runtime(bind_address: str) -> Runtime:
    # `_total` on counters, as Prometheus names them (and the README's alert rule reads).
    metrics = PrometheusConfig(
        bind_address=bind_address,
        counters_total_suffix=True,
        histogram_bucket_overrides={name: list(bounds) for name, bounds in BUCKETS.items()},
    )
    return Runtime(telemetry=TelemetryConfig(metrics=metrics))
