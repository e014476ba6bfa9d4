"""Public-opinion text analysis (issue 4): `.venv/bin/python benchmarks/opinion.py [--quick]`.

1. The whole analysis pipeline (`Analyzer.analyse_many`: normalise, rjieba segmentation, relevance, topic,
   negativity, entities, keywords) on one core: items/s in batches of 256 (wall clock and process CPU time, since the
   2-core machine is shared), p50/p99 of single-item `analyse` calls, peak memory (tracemalloc of the run
   and the process's max RSS), on ChnSentiCorp dev (hotel/laptop/book reviews, ~108 characters),
   waimai (food delivery, ~27 characters) and a seeded online_shopping sample.
2. `griddesk opinion evaluate` figures on every labelled file in ../shared/data/text/ side by side with
   SnowNLP: ChnSentiCorp dev in full; waimai_10k in full; online_shopping_10_cats as a fixed, seeded
   5,000-row sample (seed 4: SnowNLP runs at ~10–40 items/s, the full 62,774 rows would take hours).
   `--quick` samples 1,000 rows of every file; `--pipeline-only` skips part 2 (SnowNLP is the slow part; the
   evaluation figures can be taken from `griddesk opinion evaluate` runs instead).
Ends with one JSON line of all figures.
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from griddesk.engines.text import Analyzer, Directory
from griddesk.engines.text.training import read_labelled
from griddesk.opinion.management.evaluation import compare

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "text"
FILES = {
    "chnsenticorp_dev": (SHARED / "chnsenticorp" / "dev.tsv", None),
    "waimai_10k": (SHARED / "waimai_10k.csv", None),
    "online_shopping_10_cats": (SHARED / "online_shopping_10_cats.csv", 5000),
}


def pipeline(name: str, texts: list[str], analyzer: Analyzer) -> dict[str, float]:
    analyzer.analyse_many(texts[:50])  # warm-up (segmenter and model already loaded)
    w0, c0 = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), 256):
        analyzer.analyse_many(texts[i : i + 256])
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    lat = []
    for t in texts[:1000]:
        s = time.perf_counter()
        analyzer.analyse(t)
        lat.append((time.perf_counter() - s) * 1000)
    lat.sort()
    tracemalloc.start()
    analyzer.analyse_many(texts[:256])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    out = {
        "n": len(texts),
        "mean_chars": round(statistics.fmean(len(t) for t in texts), 1),
        "items_per_s_wall": round(len(texts) / wall, 1),
        "items_per_s_cpu": round(len(texts) / cpu, 1),
        "p50_ms": round(lat[len(lat) // 2], 3),
        "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 3),
        "batch256_peak_mb": round(peak / 1e6, 2),
    }
    print(f"pipeline {name}: {out}", flush=True)
    return out


def main(quick: bool = False, pipeline_only: bool = False) -> dict[str, object]:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    t0 = time.perf_counter()
    analyzer = Analyzer(directory=Directory(places=("城关镇", "东风村"), stations=("城关供电所",)))
    analyzer.analyse("预热")
    load_s = time.perf_counter() - t0
    results: dict[str, object] = {"load_s": round(load_s, 2), "pipeline": {}, "evaluate": {}}
    for name, (path, sample) in FILES.items():
        if not path.exists():
            print(f"skip {name}: {path} absent")
            continue
        texts = read_labelled(path).texts
        if quick or sample:
            k = min(len(texts), 1000 if quick else sample or len(texts))
            texts = [texts[i] for i in sorted(random.Random(4).sample(range(len(texts)), k))]
        results["pipeline"][name] = pipeline(name, texts, analyzer)  # type: ignore[index]
    results["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    for name, (path, sample) in FILES.items():
        if not path.exists() or pipeline_only:
            continue
        c = compare(path, sample=1000 if quick else sample, seed=4)
        results["evaluate"][name] = c.as_dict()  # type: ignore[index]
        print(f"evaluate {name}: {json.dumps(c.as_dict(), ensure_ascii=False)}", flush=True)
    print(json.dumps(results, ensure_ascii=False, sort_keys=True))
    return results


if __name__ == "__main__":
    main(quick="--quick" in sys.argv, pipeline_only="--pipeline-only" in sys.argv)
