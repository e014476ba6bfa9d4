"""Deadline engine throughput (pure Python, no database): `make bench` runs it first.

Bulk deadlines for N receipts spread over 2024-01-01 .. 2027-06-30 (the last half
year provisional), mixed 2 / 4 working days, on the official calendar.
"""

from __future__ import annotations

import json
import random
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

from griddesk.engines import workdays


def main(n: int = 1_000_000) -> dict[str, float]:
    rng = random.Random(7)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    span = int((datetime(2027, 6, 30, tzinfo=UTC) - start).total_seconds())
    received = [start + timedelta(seconds=rng.randrange(span)) for _ in range(n)]
    ns = [rng.choice((2, 4)) for _ in range(n)]
    cal = workdays.official_calendar()
    workdays.bulk_working_day_deadlines(received[:1000], ns[:1000], cal)  # warm the index
    t = time.perf_counter()
    out = workdays.bulk_working_day_deadlines(received, ns, cal)
    bulk_s = time.perf_counter() - t
    # Memory separately: tracing allocations slows the run it traces.
    tracemalloc.start()
    workdays.bulk_working_day_deadlines(received[:100_000], ns[:100_000], cal)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    t = time.perf_counter()
    for r, k in zip(received[:200_000], ns[:200_000]):
        workdays.working_day_deadline(r, k, cal)
    single_s = time.perf_counter() - t
    result = {
        "receipts": n,
        "bulk_deadlines_per_s": round(n / bulk_s),
        "single_calls_per_s": round(200_000 / single_s),
        "provisional_share": round(sum(d.provisional for d in out) / n, 3),
        "bulk_peak_mib_per_100k": round(peak / 2**20, 1),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
