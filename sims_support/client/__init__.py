"""The Python interface platform backends call: one module per lifecycle (`cases`,
`problems`, `change_requests`, `school`), one path to Temporal (`calls`), one family of
errors (`errors`). It imports no worker code, no SQL and no HTTP client."""

from sims_support.client.errors import ClientError, NotFound, Refused

__all__ = ["ClientError", "NotFound", "Refused"]
