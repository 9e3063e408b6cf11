"""Count a client's stdout: `python -m benchmarks.count_output airbyte|lines < output` prints one JSON summary.

`airbyte`: RECORD messages, unique record ids, STATE messages and TRACE errors. `lines`: JSON lines and unique
`id` values (the physical floor writes one line per raw record).
"""

from __future__ import annotations

import json
import sys

HEAD = 40  # the message type is in the first bytes of a line (with or without spaces after colons)
ID_MARK = b'"data":{"id":"'
LINE_ID_MARK = b'"id":"'


def record_id(line: bytes, mark: bytes) -> bytes:
    """The record id that follows `mark` (ids never contain a quote), or the whole line."""
    start = line.find(mark)
    if start < 0:
        return line
    start += len(mark)
    return line[start : line.find(b'"', start)]


def main() -> None:
    """Read stdin to the end and print the counts."""
    kind = sys.argv[1] if len(sys.argv) > 1 else "airbyte"
    records = states = errors = 0
    ids: set[bytes] = set()
    for line in sys.stdin.buffer:
        if kind == "lines":
            if line.strip():
                records += 1
                ids.add(record_id(line, LINE_ID_MARK))
        elif b'"RECORD"' in line[:HEAD]:
            records += 1
            ids.add(record_id(line, ID_MARK))
        elif b'"STATE"' in line[:HEAD]:
            states += 1
        elif b'"TRACE"' in line[:HEAD] and b'"ERROR"' in line:
            errors += 1
    print(json.dumps({"records": records, "unique_ids": len(ids), "states": states, "errors": errors}))


if __name__ == "__main__":
    main()
