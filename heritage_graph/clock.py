"""Time stamps and ids for records and revisions."""

from __future__ import annotations

import itertools
import secrets
import time
from datetime import UTC, datetime

_sequence = itertools.count()


def utc_now() -> str:
    """ISO 8601 in UTC with microseconds: sorts as text in time order."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def revision_id() -> str:
    """Unique and increasing within a process, so revisions of one instant keep their order."""
    return f"rev-{time.time_ns():020d}-{next(_sequence) % 1_000_000:06d}-{secrets.token_hex(3)}"
