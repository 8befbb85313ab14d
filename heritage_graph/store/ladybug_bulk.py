"""Arrow tables for Ladybug's ``COPY FROM``: the embedded store's bulk path.

Ladybug copies an Arrow table handed in as a parameter at native speed and
inside the write transaction, so a large import costs what the store's own
bulk loader costs instead of one UNWIND row at a time. The table's columns
must follow the target table's storage order, which the store reports; rows
are the flat dicts of ``codec``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# Writes of fewer records go row by row: below this a copy's fixed cost outweighs what it saves.
BULK_MIN = 500
# Rows per copy: bounds the memory of one Arrow table.
COPY_CHUNK = 100_000

Columns = list[tuple[str, str]]


def arrow_table(columns: Columns, rows: Sequence[Mapping[str, Any]], lead: Sequence[str] = ()) -> Any:
    """The rows as an Arrow table with ``lead`` string columns (a relation's ``from`` and ``to``)
    before the table's own ``columns``; a column a row lacks is null."""
    import pyarrow as pa  # only the bulk path needs it

    types = {"STRING": pa.string(), "INT64": pa.int64(), "DOUBLE": pa.float64(), "STRING[]": pa.list_(pa.string())}
    names = [*lead, *(name for name, _ in columns)]
    kinds = [pa.string()] * len(lead) + [types[t] for _, t in columns]
    arrays = [pa.array([row.get(name) for row in rows], type=kind) for name, kind in zip(names, kinds, strict=True)]
    return pa.Table.from_arrays(arrays, names=names)
