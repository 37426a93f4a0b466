#!/usr/bin/env python3
"""infonative side by side with its anchors, with the acceptance targets of the issues.

Usage: python bench/compare.py [--quick] [--only logsumexp|knn] [--out DIR] [--threads N] [--strict]

Groups of cases (one table each):
  logsumexp  the log-sum-exp family and distribution measures vs numpy, scipy, torch (CPU) and
             jax (jit), plus a float32 throughput sweep (throughput.png) with the machine's
             streaming-read bandwidth;
  knn        the kNN estimators vs scikit-learn, npeet_plus and scipy's cKDTree, plus a log-log
             plot of time against N (knn_scaling.png).
Every implementation runs with the same thread count (default 2): torch.set_num_threads,
infonative.set_num_threads, XLA_FLAGS for jax and workers= for cKDTree, all set before the
libraries start; numpy/scipy are single-threaded for these operations. Timings are medians over
repeats after warm-up; jax functions are jitted and timed with block_until_ready. Each result
is checked against a truth; a wrong infonative result makes the script exit with status 1
(--strict also fails on an unmet target). Writes <out>/table.md, <out>/results.json and the
plots.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="short smoke run (smaller inputs, fewer repeats; targets indicative)")
    ap.add_argument("--only", choices=["logsumexp", "knn"], help="run one group of cases")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results",
                    help="directory for table.md, results.json and the plots")
    ap.add_argument("--threads", type=int, default=2, help="threads for every library")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is not met")
    return ap.parse_args()


ARGS = parse_args()
THREADS = ARGS.threads
# Must happen before numpy/torch/jax are imported.
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=true"
                           f" intra_op_parallelism_threads={THREADS}").strip()
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # numpy's BLAS (unused here, but single)
os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))

import numpy as np  # noqa: E402
import scipy  # noqa: E402

try:
    import infonative  # noqa: E402
except ImportError as exc:  # pragma: no cover - the whole point is to measure it
    sys.exit(f"compare.py: cannot import infonative ({exc}); install the package first")

import harness  # noqa: E402

harness.configure(ARGS.quick)
infonative.set_num_threads(THREADS)
GROUPS = {}  # name -> (module, table title)
if ARGS.only in (None, "logsumexp"):
    import cases_logsumexp  # noqa: E402

    cases_logsumexp.configure(ARGS.quick)
    if cases_logsumexp.torch is not None:
        cases_logsumexp.torch.set_num_threads(THREADS)
    if cases_logsumexp.jax is not None:
        cases_logsumexp.jax.config.update("jax_enable_x64", True)  # keep float64 inputs float64
    GROUPS["logsumexp"] = (cases_logsumexp, "log-sum-exp family and distributions")
if ARGS.only in (None, "knn"):
    import cases_knn  # noqa: E402

    cases_knn.configure(ARGS.quick, THREADS)
    GROUPS["knn"] = (cases_knn, "kNN estimators")


def library_versions() -> dict:
    versions = {"numpy": np.__version__, "scipy": scipy.__version__}
    for name in ("torch", "jax", "sklearn", "npeet_plus"):
        module = sys.modules.get(name)
        versions[name] = getattr(module, "__version__", "installed") if module else None
    return versions


def environment() -> dict:
    try:
        cfg = infonative.get_config()
    except Exception as exc:  # noqa: BLE001
        cfg = {"error": str(exc)}
    notes = [n for module, _ in GROUPS.values() for n in module.NOTES]
    return {"threads": THREADS, "quick": ARGS.quick, "cpu": harness.cpu_name(),
            "cores": os.cpu_count(), "python": platform.python_version(),
            "libraries": library_versions(), "xla_flags": os.environ.get("XLA_FLAGS"),
            "infonative": cfg, "notes": notes, "loadavg_at_start": os.getloadavg()}


def main() -> int:
    t_start = time.perf_counter()
    env = environment()
    versions = ", ".join(f"{k} {v}" for k, v in env["libraries"].items() if v)
    header = (f"infonative {env['infonative'].get('version')} (isa {env['infonative'].get('isa')}), "
              f"{THREADS} threads, {env['cpu']} ({env['cores']} cores); {versions}"
              + ("; QUICK run (small inputs)" if ARGS.quick else ""))
    print(f"infonative compare: {header}; load average {env['loadavg_at_start'][0]:.2f}")
    for note in env["notes"]:
        print("note:", note)

    ARGS.out.mkdir(parents=True, exist_ok=True)
    extra = {}
    for name, (module, _) in GROUPS.items():
        extra[name] = module.run_all(ARGS.out)

    legend = ("Median ms per call; (Nx) = anchor time / infonative time (higher is better for "
              "infonative). read = streaming read of the same bytes.")
    sections = []
    for name, (module, title) in GROUPS.items():
        table, accuracy = harness.tables(name, module.COLUMNS)
        sections.append((title, table, accuracy))
    md = f"{header}\n\n{legend}\n"
    for title, table, accuracy in sections:
        md += f"\n## {title}\n\n{table}\n\nAccuracy\n\n{accuracy}\n"
    md += "".join(f"\nNote: {n}\n" for n in env["notes"])
    (ARGS.out / "table.md").write_text(md)
    env["loadavg_at_end"] = os.getloadavg()
    (ARGS.out / "results.json").write_text(json.dumps(
        {"environment": env, "cases": [c.to_json() for c in harness.CASES], "series": extra},
        indent=1, default=float))

    print("\n" + header + "\n" + legend)
    for title, table, accuracy in sections:
        print(f"\n{title}\n\n{harness.plain(table)}\n\nAccuracy\n\n{harness.plain(accuracy)}")
    for note in env["notes"]:
        print("note:", note)
    print(f"\nwrote {ARGS.out}/table.md, results.json and plots "
          f"({time.perf_counter() - t_start:.0f} s)")

    unmet = [c.name for c in harness.CASES if c.met is False]
    if harness.FAILURES:
        print("\nFAILED (wrong results):\n  " + "\n  ".join(harness.FAILURES))
        return 1
    if unmet:
        print("\ntargets NOT MET: " + ", ".join(unmet))
        if ARGS.strict:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
