"""Opinion intake throughput through the real service (validation, one
analyse_many per batch, dedupe, SimHash clustering against recent stories,
burst per topic × area, risk, bulk writes) on a throwaway SQLite database, or on
PostgreSQL when DATABASE_URL is set.

    .venv/bin/python benchmarks/opinion_app.py [N] [BATCH] [--profile]

Prints items/s, p50/p99 batch latency, SQL queries per batch and peak traced
memory, then one JSON line. ``--profile`` adds the top functions (cProfile).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path


def main(n: int = 5000, batch: int = 500, profile: bool = False) -> dict[str, float]:
    tmp = tempfile.mkdtemp(prefix="opinion-bench-")
    os.environ.setdefault("GRIDDESK_VAR_DIR", tmp)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "griddesk.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from griddesk.opinion import services
    from griddesk.opinion.demo import _BILLING, _PRAISE, _STORM_LINES
    from griddesk.opinion.serializers import parse_items
    from griddesk.organisation.demo import build_demo_org

    build_demo_org(with_users=False)
    rng = random.Random(1)
    now = timezone.now()
    towns = ["城关", "临湖", "青山", "白沙", "城西", "石门", "桃源", "双河"]
    pool = _STORM_LINES + _BILLING + _PRAISE
    raw = [
        {
            "source_kind": rng.choice(["social", "forum", "news", "video"]),
            "url": f"https://example.com/p/{i}" if i % 7 else "",
            "text": rng.choice(pool).format(t=rng.choice(towns), n=rng.randint(1, 99)) + f" 第{rng.randint(1, 10**6)}条",
            "published_at": (now - timedelta(minutes=rng.randint(0, 60 * 24 * 3))).isoformat(),
            "views": rng.randint(0, 5000), "reposts": rng.randint(0, 50), "comments": rng.randint(0, 80),
        }
        for i in range(n)
    ]
    services.opinion_items_intake(actor=None, items=parse_items(raw[:20]))  # warm the analyser (jieba, model)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lat: list[float] = []
    queries: list[int] = []
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    c0 = time.process_time()
    for s in range(20, n, batch):
        t = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            services.opinion_items_intake(actor=None, items=parse_items(raw[s : s + batch]))
        lat.append(time.perf_counter() - t)
        queries.append(len(ctx.captured_queries))
    total = time.perf_counter() - t0
    cpu = time.process_time() - c0
    if prof is not None:
        import pstats

        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)
    tracemalloc.start()
    services.opinion_items_intake(actor=None, items=parse_items([{**r, "url": r["url"] + "?x"} for r in raw[:batch]]))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    lat.sort()
    result = {
        "items": n - 20, "batch": batch, "seconds": round(total, 2), "items_per_s": round((n - 20) / total, 1),
        "cpu_s": round(cpu, 2), "items_per_cpu_s": round((n - 20) / cpu, 1),
        "batch_p50_s": round(statistics.median(lat), 3), "batch_p99_s": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 3),
        "queries_per_batch_p50": int(statistics.median(queries)), "queries_per_batch_max": max(queries),
        "peak_traced_mib_one_batch": round(peak / 2**20, 1),
        "database": "postgresql" if os.environ.get("DATABASE_URL") else "sqlite",
    }
    for k, v in result.items():
        print(f"{k:28} {v}")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(*(int(a) for a in args[:2]), profile="--profile" in sys.argv)
