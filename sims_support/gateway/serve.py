"""`sims-gateway`: the HTTP gateway on uvicorn, at SIMS_GATEWAY_HOST:SIMS_GATEWAY_PORT
(127.0.0.1:8000); `--dev` reaches the embedded dev server `make run` starts. With
SIMS_GATEWAY_METRICS_PORT, its Prometheus metrics there (`metrics.py`).

Like the worker, outside `--dev` it refuses to start without SIMS_CODEC_KEYS (it writes
every case's input to Temporal's history) unless SIMS_ALLOW_PLAINTEXT=true.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from sims_support.config import Settings
from sims_support.runtime.connect import StartupError, one_line


def dev_settings(settings: Settings) -> Settings:
    """The dev server of `worker.py --dev`: plain gRPC on SIMS_DEV_PORT, namespace default."""
    return settings.model_copy(
        update={
            "temporal_address": f"localhost:{settings.dev_port}",
            "temporal_namespace": "default",
            "temporal_tls": False,
            "temporal_tls_ca": None,
            "temporal_tls_cert": None,
            "temporal_tls_key": None,
            "temporal_api_key": None,
        }
    )


def refused_plaintext(settings: Settings) -> str | None:
    """Why this gateway may not start unencrypted, or None."""
    if settings.codec_keys is not None or settings.allow_plaintext:
        return None
    return (
        "SIMS_CODEC_KEYS is not set, so case payloads (personal data) would be written to "
        "Temporal unencrypted: refusing to start. Set SIMS_CODEC_KEYS (the workers' keys), "
        "or SIMS_ALLOW_PLAINTEXT=true where no data is real"
    )


def urls(settings: Settings) -> tuple[str, str]:
    base = f"http://{settings.gateway_host}:{settings.gateway_port}"
    return base, f"{base}/docs"


def metrics_url(settings: Settings) -> str | None:
    port = settings.gateway_metrics_port
    return None if port is None else f"http://{settings.metrics_host}:{port}/metrics"


def first_key_hint(settings: Settings) -> str | None:
    """How to create the first API key, when the store has none active (None otherwise,
    and when the store cannot be read: the gateway's answers will say why)."""
    from sims_support.security.keys import KeyStore

    store = KeyStore.at(settings.ledger_url)
    try:
        if store.active_count():
            return None
    except Exception as err:  # an outdated ledger, a database down: said, not fatal
        return f"cannot read the API keys: {err}"
    finally:
        store.dispose()
    return (
        "no API key yet: create the first with "
        "`sims-case keys create --role desk --id PST-001 --name 'Your Name'`"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="sims-gateway", description=__doc__)
    parser.add_argument("--dev", action="store_true", help="use the dev server of make run")
    parser.add_argument("--host", help="listen here (default SIMS_GATEWAY_HOST)")
    parser.add_argument("--port", type=int, help="listen here (default SIMS_GATEWAY_PORT)")
    parser.add_argument("--log-level", default="info", help="uvicorn's (default info)")
    parser.add_argument("--quiet", action="store_true", help="no banner (make run prints one)")
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as err:
        sys.exit(f"sims-gateway: configuration: {one_line(err)}")
    given = {"gateway_host": args.host, "gateway_port": args.port}
    settings = settings.model_copy(update={k: v for k, v in given.items() if v is not None})
    if args.dev:
        settings = dev_settings(settings)
    elif (why := refused_plaintext(settings)) is not None:
        sys.exit(f"sims-gateway: {why}")

    import uvicorn

    from sims_support.gateway.app import create_app

    try:
        app = create_app(settings)
    except StartupError as err:
        sys.exit(f"sims-gateway: {err}")
    if not args.quiet:
        base, docs = urls(settings)
        print(f"SIMS gateway on {base}/v1 (docs: {docs}), Temporal at {settings.temporal_address}")
        if (metrics := metrics_url(settings)) is not None:
            print(f"  metrics: {metrics}")
        hint = first_key_hint(settings)
        if hint:
            print(f"  {hint}")
    uvicorn.run(
        app,
        host=settings.gateway_host,
        port=settings.gateway_port,
        log_level=args.log_level,
    )


if __name__ == "__main__":
    main()
