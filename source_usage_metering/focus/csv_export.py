"""Pure FOCUS CSV writer: FOCUS columns then `x_` columns, null as an empty cell, decimals never as integers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TextIO

from source_usage_metering.focus.columns import ALL_COLUMNS, COLUMN_NAMES, FocusRow

_DECIMAL_COLUMNS = frozenset(column.name for column in ALL_COLUMNS if column.type == "Decimal")
_KNOWN = frozenset(COLUMN_NAMES)


class FocusCsvWriter:
    """Writes a header, then one line per FOCUS row as rows come (constant memory, for a streamed read)."""

    def __init__(self, out: TextIO) -> None:
        """`out` is opened with `newline=""`; the header is written at once."""
        self._writer = csv.writer(out, lineterminator="\n")
        self._writer.writerow(COLUMN_NAMES)
        self.rows = 0

    def write(self, row: FocusRow) -> None:
        """One row, columns in the header's order.

        Raises:
            ValueError: a row with a column that is not a FOCUS or known `x_` column.
        """
        unknown = set(row) - _KNOWN
        if unknown:
            raise ValueError(f"not FOCUS or known x_ columns: {sorted(unknown)}")
        self._writer.writerow(_cell(name, row.get(name)) for name in COLUMN_NAMES)
        self.rows += 1


def write_focus_csv(rows: Iterable[FocusRow], out: TextIO) -> int:
    """Write a header and one line per row to `out` (opened with `newline=""`); returns the rows written.

    Null is an empty, unquoted cell: focus-validator 2.2.1 reads CSV with polars, which takes an empty
    field as null. Decimal columns always show a decimal point (`24.0`, never `24`), because the validator
    infers column types from the text and checks Decimal columns' type: a column of whole numbers would be
    read as integers and fail `<Column>-C-001-M`. Numbers are written exactly (no float rounding).

    Raises:
        ValueError: a row with a column that is not a FOCUS or known `x_` column.
    """
    writer = FocusCsvWriter(out)
    for row in rows:
        writer.write(row)
    return writer.rows


def focus_csv(rows: Iterable[FocusRow]) -> str:
    """The CSV text of `write_focus_csv`."""
    buffer = io.StringIO(newline="")
    write_focus_csv(rows, buffer)
    return buffer.getvalue()


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name in _DECIMAL_COLUMNS:
        return decimal_text(value)
    return str(value)


def decimal_text(value: float | int | Decimal) -> str:
    """A number in plain decimal notation with a decimal point: `24` -> `24.0`, `1e-05` -> `0.00001`."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f"not a number: {value!r}")
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if number == 0:
        return "0.0"
    text = format(number, "f")
    return text if "." in text else text + ".0"
