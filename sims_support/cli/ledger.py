"""The KPI ledger as `sims-case` opens it (`report`, and feedback on a Resolved case): its
errors become the command's failures. SQLAlchemy is imported only when one is opened."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sims_support.cli.exits import BAD_INPUT, UNREACHABLE, Failure

if TYPE_CHECKING:
    from activities.ledger import Ledger


@contextmanager
def reading(url: str) -> Iterator[Ledger]:
    """The ledger at `url`, disposed of afterwards; a missing or outdated one is bad
    input (exit 2), one that cannot be reached exit 1."""
    from sqlalchemy.exc import SQLAlchemyError

    from activities.ledger import Ledger, LedgerMissing, LedgerSchemaMismatch

    ledger = Ledger(url)
    try:
        yield ledger
    except (LedgerMissing, LedgerSchemaMismatch) as err:
        raise Failure(BAD_INPUT, "ledger", str(err)) from None
    except SQLAlchemyError as err:
        where = ledger.url.render_as_string(hide_password=True)
        raise Failure(
            UNREACHABLE, "ledger_unreachable", f"cannot read the KPI ledger at {where}: {err}"
        ) from None
    finally:
        ledger.dispose()
