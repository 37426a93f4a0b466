#!/usr/bin/env python3
"""infonative side by side with its anchors (numpy/scipy, torch, jax), with acceptance targets.

Usage: python bench/compare.py [--quick] [--out DIR] [--threads N] [--strict]

Every implementation runs with the same thread count (default 2): torch.set_num_threads,
infonative.set_num_threads and, for jax, XLA_FLAGS set before jax is imported; numpy/scipy are
single-threaded for these operations. Timings are medians over repeats after warm-up; jax
functions are jitted and timed with block_until_ready. Each result is checked against a float64
truth; a wildly wrong infonative result makes the script exit with status 1 (and --strict also
fails on an unmet target). Writes <out>/table.md, <out>/results.json and <out>/throughput.png.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="short smoke run (smaller inputs, fewer repeats; targets indicative)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results",
                    help="directory for table.md, results.json, throughput.png")
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
import scipy.special  # noqa: E402
import scipy.stats  # noqa: E402

try:
    import infonative  # noqa: E402
except ImportError as exc:  # pragma: no cover - the whole point is to measure it
    sys.exit(f"compare.py: cannot import infonative ({exc}); install the package first")

NOTES: list[str] = []

try:
    import torch  # noqa: E402
    import torch.nn.functional as F  # noqa: E402

    torch.set_num_threads(THREADS)
except ImportError as exc:
    torch = None
    NOTES.append(f"torch not available ({exc}): torch columns skipped")

try:
    import jax  # noqa: E402

    jax.config.update("jax_enable_x64", True)  # keep float64 inputs float64
    import jax.numpy as jnp  # noqa: E402
except ImportError as exc:
    jax = None
    NOTES.append(f"jax not available ({exc}): jax columns skipped")

infonative.set_num_threads(THREADS)

QUICK = ARGS.quick
if QUICK:
    WARMUP, REPEATS, MIN_SAMPLE_S, BUDGET_S = 1, 3, 0.002, 1.0
    N_1D, ROWS, VOCAB, DIST_SHAPE = 10**6, 128, 32000, (200, 10000)
    SWEEP = np.unique(np.logspace(3, 6, 4).astype(np.int64))
else:
    WARMUP, REPEATS, MIN_SAMPLE_S, BUDGET_S = 2, 15, 0.03, 4.0  # ~0.5 s of samples per fast kernel: robust to short bursts of noise
    N_1D, ROWS, VOCAB, DIST_SHAPE = 10**7, 1024, 32000, (1000, 10000)
    SWEEP = np.unique(np.logspace(3, math.log10(3e7), 8).astype(np.int64))

IMPL_COLUMNS = ["infonative", "numpy", "scipy", "torch", "jax", "stream_read"]
ANCHORS = ["numpy", "scipy", "torch", "jax"]
RNG = np.random.default_rng(20240601)
FAILURES: list[str] = []


# ---------------------------------------------------------------------------------------------
# timing and checking
# ---------------------------------------------------------------------------------------------
LAST_MIN_S = [float("nan")]


def median_seconds(fn) -> float:
    """Median wall time of one call: warm-up, calibrate calls per sample, then repeat."""
    for _ in range(WARMUP):
        fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-9)
    inner = max(1, min(100_000, int(MIN_SAMPLE_S / one)))
    repeats = REPEATS
    if one * inner * repeats > BUDGET_S:  # slow anchors: fewer samples, never under 3
        repeats = max(3, int(BUDGET_S / (one * inner)))
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner)
    LAST_MIN_S[0] = min(samples)  # kept for results.json: min vs median shows interference
    return statistics.median(samples)


def as_f64(value) -> np.ndarray:
    if torch is not None and isinstance(value, torch.Tensor):
        value = value.detach().float().numpy() if value.dtype in (torch.float16, torch.bfloat16) \
            else value.detach().numpy()
    return np.asarray(value).astype(np.float64)


def jax_timed(fn):
    """A callable that waits for jax's asynchronous result."""
    return lambda: fn().block_until_ready()


def f16_ulps(result, truth) -> float:
    """Max |result - truth| in units of the float16 spacing at truth (normal range)."""
    truth = np.asarray(truth, np.float64)
    _, e = np.frexp(truth)  # truth = m * 2**e with 0.5 <= |m| < 1
    ulp = np.maximum(np.ldexp(1.0, e - 11), 2.0**-24)
    return float(np.max(np.abs(as_f64(result) - truth) / ulp))


class Case:
    """One row of the table: implementations timed side by side and checked against a truth."""

    def __init__(self, name: str, size: str, nbytes: int, truth, rtol: float):
        self.name, self.size, self.nbytes = name, size, nbytes
        self.truth = np.asarray(truth, np.float64)
        self.tol = rtol * max(float(np.max(np.abs(self.truth))), 1e-300)
        self.ms: dict[str, float | None] = {}
        self.ms_min: dict[str, float] = {}
        self.diff: dict[str, float | None] = {}
        self.ulps: dict[str, float] = {}
        self.labels: dict[str, str] = {}
        self.errors: dict[str, str] = {}
        self.target = ""
        self.met: bool | None = None
        self.notes: list[str] = []

    def run(self, column: str, fn, *, timed=None, label: str | None = None,
            check: bool = True, ulps: bool = False) -> None:
        """fn() returns the result (checked); timed() (default fn) is what gets timed."""
        self.labels[column] = label or column
        try:
            result = fn()
            if check:
                got = as_f64(result)
                diff = float(np.max(np.abs(got - self.truth)))
                if not np.isfinite(diff):
                    diff = float("inf")
                self.diff[column] = diff
                if ulps:
                    self.ulps[column] = f16_ulps(got, self.truth)
                if not diff <= self.tol:
                    msg = f"{self.name} [{self.size}]: {column} max abs diff {diff:.3g} > {self.tol:.3g}"
                    if column == "infonative":
                        FAILURES.append(msg)
                        print(f"  !! FAIL {msg}", flush=True)
                    else:
                        print(f"  warning (anchor): {msg}", flush=True)
            del result
            self.ms[column] = 1e3 * median_seconds(timed or fn)
            self.ms_min[column] = 1e3 * LAST_MIN_S[0]
        except Exception as exc:  # noqa: BLE001 - a missing/broken impl must not stop the run
            self.ms[column] = None
            self.errors[column] = f"{type(exc).__name__}: {exc}"
            print(f"  {column}: ERROR {self.errors[column]}", flush=True)
            if column == "infonative":
                FAILURES.append(f"{self.name} [{self.size}]: infonative raised {self.errors[column]}")
        if self.ms.get(column) is not None:
            extra = f"  diff {self.diff[column]:.3g}" if column in self.diff else ""
            if column in self.ulps:
                extra += f" ({self.ulps[column]:.3f} f16 ulp)"
            print(f"  {self.labels[column]:<28s} {self.ms[column]:10.3f} ms{extra}", flush=True)

    def ratio(self, anchor: str) -> float | None:
        a, i = self.ms.get(anchor), self.ms.get("infonative")
        return a / i if a and i else None

    def set_target(self, text: str, met: bool | None) -> None:
        self.target, self.met = text, met

    def gbps(self, column: str, nbytes: int | None = None) -> float | None:
        ms = self.ms.get(column)
        return (nbytes or self.nbytes) / (ms * 1e-3) / 1e9 if ms else None

    def to_json(self) -> dict:
        return {"case": self.name, "size": self.size, "bytes": self.nbytes, "median_ms": self.ms,
                "min_ms": self.ms_min,
                "labels": self.labels, "max_abs_diff": self.diff, "f16_ulps": self.ulps,
                "errors": self.errors, "target": self.target, "met": self.met,
                "notes": self.notes, "ratio_anchor_over_infonative":
                {a: self.ratio(a) for a in ANCHORS + ["stream_read"] if self.ratio(a)}}


CASES: list[Case] = []


def new_case(name, size, nbytes, truth, rtol) -> Case:
    print(f"\n== {name}  [{size}]", flush=True)
    case = Case(name, size, nbytes, truth, rtol)
    CASES.append(case)
    return case


def at_least(case: Case, anchor: str, factor: float) -> bool | None:
    r = case.ratio(anchor)
    return None if r is None else r >= factor


def all_met(*flags) -> bool | None:
    if any(f is False for f in flags):
        return False
    return None if any(f is None for f in flags) else True


def shape_str(shape, dtype) -> str:
    return "x".join(str(s) for s in shape) + f" {np.dtype(dtype).name}"


# ---------------------------------------------------------------------------------------------
# stream-read yardstick
# ---------------------------------------------------------------------------------------------
_core = getattr(infonative, "_core", None)
if _core is not None and hasattr(_core, "stream_read"):
    STREAM_LABEL = "stream_read (_core)"

    def stream_read(a: np.ndarray):
        return _core.stream_read(a)
else:
    STREAM_LABEL = "stream_read (np int64 add.reduce fallback)"
    NOTES.append("infonative._core.stream_read missing: read bandwidth measured with "
                 "np.add.reduce over an int64 view (single-threaded; marked 'fallback')")

    def stream_read(a: np.ndarray):
        flat = np.ascontiguousarray(a).reshape(-1)
        usable = flat.nbytes // 8 * 8
        return np.add.reduce(flat.view(np.uint8)[:usable].view(np.int64))


# ---------------------------------------------------------------------------------------------
# the acceptance cases
# ---------------------------------------------------------------------------------------------
def case_logsumexp_1d(dtype) -> None:
    x = RNG.standard_normal(N_1D, dtype=np.float64).astype(dtype) * dtype(4)
    truth = scipy.special.logsumexp(x.astype(np.float64))
    case = new_case("logsumexp axis=None", shape_str(x.shape, dtype), x.nbytes, truth,
                    1e-4 if dtype == np.float32 else 1e-10)
    case.run("infonative", lambda: infonative.logsumexp(x))
    case.run("scipy", lambda: scipy.special.logsumexp(x), label="scipy.special.logsumexp")
    if torch is not None:
        xt = torch.from_numpy(x)
        case.run("torch", lambda: torch.logsumexp(xt, 0), label="torch.logsumexp")
    if jax is not None:
        xj = jnp.asarray(x)
        f = jax.jit(jax.nn.logsumexp)
        case.run("jax", lambda: f(xj), timed=jax_timed(lambda: f(xj)), label="jax.nn.logsumexp jit")
    case.run("stream_read", lambda: stream_read(x), label=STREAM_LABEL, check=False)
    gi, gr = case.gbps("infonative"), case.gbps("stream_read")
    if gi and gr:
        case.notes.append(f"{gi:.1f} GB/s vs read {gr:.1f} GB/s")
    vs_read = None
    if case.ms.get("infonative") and case.ms.get("stream_read"):
        vs_read = case.ms["infonative"] <= 1.5 * case.ms["stream_read"]
        case.notes.append(f"inf/read time {case.ms['infonative'] / case.ms['stream_read']:.2f}")
    case.set_target(">=4x jax, <=1.5x read", all_met(at_least(case, "jax", 4.0), vs_read))


def logits_matrix(rows=None, cols=None, scale=3.0, dtype=np.float32) -> np.ndarray:
    rows, cols = rows or ROWS, cols or VOCAB
    return (RNG.standard_normal((rows, cols), dtype=np.float32) * np.float32(scale)).astype(dtype)


def case_softmax_family() -> None:
    x = logits_matrix()
    x64 = x.astype(np.float64)
    for name, sp, tf, jf, inf in [
        ("softmax axis=-1", scipy.special.softmax, "softmax", jax.nn.softmax if jax else None,
         infonative.softmax),
        ("log_softmax axis=-1", scipy.special.log_softmax, "log_softmax",
         jax.nn.log_softmax if jax else None, infonative.log_softmax),
    ]:
        case = new_case(name, shape_str(x.shape, x.dtype), x.nbytes, sp(x64, axis=-1), 1e-4)
        case.run("infonative", lambda: inf(x, axis=-1))
        case.run("scipy", lambda: sp(x, axis=-1), label=f"scipy.special.{sp.__name__}")
        if torch is not None:
            xt, op = torch.from_numpy(x), getattr(torch, tf)
            case.run("torch", lambda: op(xt, -1), label=f"torch.{tf}")
        if jax is not None:
            xj, f = jnp.asarray(x), jax.jit(lambda a, jf=jf: jf(a, axis=-1))
            case.run("jax", lambda: f(xj), timed=jax_timed(lambda: f(xj)), label=f"jax.nn.{tf} jit")
        gi = case.gbps("infonative", 2 * x.nbytes)
        if gi:
            case.notes.append(f"{gi:.1f} GB/s read+write")
        case.set_target(">=4x torch", at_least(case, "torch", 4.0))
        case.truth = None  # free the float64 copy


def entropy_formula_np(a):
    return -(scipy.special.softmax(a, axis=-1) * scipy.special.log_softmax(a, axis=-1)).sum(-1)


def case_entropy_from_logits() -> None:
    x = logits_matrix()
    case = new_case("entropy_from_logits", shape_str(x.shape, x.dtype), x.nbytes,
                    entropy_formula_np(x.astype(np.float64)), 1e-4)
    case.run("infonative", lambda: infonative.entropy_from_logits(x))
    case.run("scipy", lambda: entropy_formula_np(x), label="-(softmax*log_softmax).sum scipy")
    if torch is not None:
        xt = torch.from_numpy(x)
        case.run("torch", lambda: -(torch.softmax(xt, -1) * torch.log_softmax(xt, -1)).sum(-1),
                 label="torch formula")
    if jax is not None:
        xj = jnp.asarray(x)
        f = jax.jit(lambda a: -(jax.nn.softmax(a) * jax.nn.log_softmax(a)).sum(-1))
        case.run("jax", lambda: f(xj), timed=jax_timed(lambda: f(xj)), label="jax formula jit")
    gi = case.gbps("infonative")
    if gi:
        case.notes.append(f"{gi:.1f} GB/s")
    case.set_target(">=10x jax", at_least(case, "jax", 10.0))


def kl_formula_np(a, c):
    sm = scipy.special
    return (sm.softmax(a, axis=-1) * (sm.log_softmax(a, axis=-1) - sm.log_softmax(c, axis=-1))).sum(-1)


def case_kl_from_logits() -> None:
    a, c = logits_matrix(), logits_matrix()
    case = new_case("kl_divergence_from_logits", "2x " + shape_str(a.shape, a.dtype), 2 * a.nbytes,
                    kl_formula_np(a.astype(np.float64), c.astype(np.float64)), 1e-4)
    case.run("infonative", lambda: infonative.kl_divergence_from_logits(a, c))
    case.run("scipy", lambda: kl_formula_np(a, c), label="softmax*(lsm(a)-lsm(c)) scipy")
    if torch is not None:
        at, ct = torch.from_numpy(a), torch.from_numpy(c)
        case.run("torch", lambda: F.kl_div(torch.log_softmax(ct, -1), torch.log_softmax(at, -1),
                                           log_target=True, reduction="none").sum(-1),
                 label="F.kl_div(log_target) .sum")
    if jax is not None:
        aj, cj = jnp.asarray(a), jnp.asarray(c)
        f = jax.jit(lambda p, q: (jax.nn.softmax(p) * (jax.nn.log_softmax(p)
                                                       - jax.nn.log_softmax(q))).sum(-1))
        case.run("jax", lambda: f(aj, cj), timed=jax_timed(lambda: f(aj, cj)),
                 label="jax formula jit")
    gi = case.gbps("infonative")
    if gi:
        case.notes.append(f"{gi:.1f} GB/s")
    case.set_target(">=10x jax", at_least(case, "jax", 10.0))


def case_cross_entropy() -> None:
    x = logits_matrix()
    t = RNG.integers(0, x.shape[1], x.shape[0], dtype=np.int64)

    def ce_np(a):
        return -np.mean(np.take_along_axis(scipy.special.log_softmax(a, axis=-1), t[:, None], 1))

    case = new_case("cross_entropy_loss mean", shape_str(x.shape, x.dtype), x.nbytes,
                    ce_np(x.astype(np.float64)), 1e-4)
    case.run("infonative", lambda: infonative.cross_entropy_loss(x, t))
    case.run("scipy", lambda: ce_np(x), label="-mean(take(log_softmax)) scipy")
    if torch is not None:
        xt, tt = torch.from_numpy(x), torch.from_numpy(t)
        case.run("torch", lambda: F.cross_entropy(xt, tt), label="F.cross_entropy")
    if jax is not None:
        xj, tj = jnp.asarray(x), jnp.asarray(t)
        f = jax.jit(lambda a, tgt: -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(a),
                                                                 tgt[:, None], 1)))
        case.run("jax", lambda: f(xj, tj), timed=jax_timed(lambda: f(xj, tj)),
                 label="jax formula jit")
    case.set_target(">=4x jax", at_least(case, "jax", 4.0))


def case_float16() -> None:
    x = RNG.uniform(20.0, 60.0, (ROWS, VOCAB)).astype(np.float16)
    x64 = x.astype(np.float64)
    xt = torch.from_numpy(x) if torch is not None else None

    case = new_case("float16 logsumexp axis=-1", shape_str(x.shape, x.dtype), x.nbytes,
                    scipy.special.logsumexp(x64, axis=-1), 4e-3)
    case.run("infonative", lambda: infonative.logsumexp(x, axis=-1), ulps=True)
    if xt is not None:
        case.run("torch", lambda: torch.logsumexp(xt, -1), label="torch.logsumexp f16", ulps=True)
    ulp_ok = None if "infonative" not in case.ulps else case.ulps["infonative"] <= 0.52
    case.notes.append("ulps: " + ", ".join(f"{k} {v:.3f}" for k, v in case.ulps.items()))
    case.set_target(">=10x torch, <=0.52 ulp", all_met(at_least(case, "torch", 10.0), ulp_ok))

    case = new_case("float16 entropy_from_logits", shape_str(x.shape, x.dtype), x.nbytes,
                    entropy_formula_np(x64), 4e-3)
    case.run("infonative", lambda: infonative.entropy_from_logits(x), ulps=True)
    if xt is not None:
        case.run("torch", lambda: -(torch.softmax(xt, -1) * torch.log_softmax(xt, -1)).sum(-1),
                 label="torch formula f16", ulps=True)
    ulp_ok = None if "infonative" not in case.ulps else case.ulps["infonative"] <= 0.52
    case.notes.append("ulps: " + ", ".join(f"{k} {v:.3f}" for k, v in case.ulps.items()))
    case.set_target(">=10x torch, <=0.52 ulp", all_met(at_least(case, "torch", 10.0), ulp_ok))


def case_distribution_entropy() -> None:
    p = RNG.uniform(0.01, 1.0, DIST_SHAPE)
    q = RNG.uniform(0.01, 1.0, DIST_SHAPE)
    pn, qn = p / p.sum(1, keepdims=True), q / q.sum(1, keepdims=True)
    truth = scipy.stats.entropy(p, q, axis=1)
    case = new_case("entropy(p, q, axis=1)", "2x " + shape_str(p.shape, p.dtype), 2 * p.nbytes,
                    truth, 1e-8)
    case.run("infonative", lambda: infonative.entropy(p, q, axis=1))
    case.run("numpy", lambda: (pn * np.log(pn / qn)).sum(1),
             label="(p*log(p/q)).sum(1) normalised")
    case.run("scipy", lambda: scipy.stats.entropy(p, q, axis=1), label="scipy.stats.entropy")
    gi = case.gbps("infonative")
    if gi:
        case.notes.append(f"{gi:.1f} GB/s")
    case.set_target(">=5x numpy", at_least(case, "numpy", 5.0))


# ---------------------------------------------------------------------------------------------
# throughput sweep
# ---------------------------------------------------------------------------------------------
def sweep() -> dict:
    print("\n== throughput sweep (float32): logsumexp 1-D and log_softmax rows", flush=True)
    out = {"logsumexp_1d": [], "log_softmax_rows": [], "stream_read": []}
    for n in SWEEP:
        n = int(n)
        x = RNG.standard_normal(n, dtype=np.float32) * np.float32(3)
        cols = min(n, VOCAB)
        m = x[: (n // cols) * cols].reshape(-1, cols)
        entry_l = {"elements": n, "bytes": x.nbytes, "median_ms": {}}
        entry_s = {"elements": m.size, "bytes": m.nbytes, "shape": list(m.shape), "median_ms": {}}
        impls_l = {"infonative": lambda: infonative.logsumexp(x)}
        impls_s = {"infonative": lambda: infonative.log_softmax(m, axis=-1)}
        if torch is not None:
            xt, mt = torch.from_numpy(x), torch.from_numpy(m)
            impls_l["torch"] = lambda: torch.logsumexp(xt, 0)
            impls_s["torch"] = lambda: torch.log_softmax(mt, -1)
        if jax is not None:
            xj, mj = jnp.asarray(x), jnp.asarray(m)
            fl, fs = jax.jit(jax.nn.logsumexp), jax.jit(lambda a: jax.nn.log_softmax(a, axis=-1))
            impls_l["jax"] = jax_timed(lambda: fl(xj))
            impls_s["jax"] = jax_timed(lambda: fs(mj))
        for impls, entry in ((impls_l, entry_l), (impls_s, entry_s)):
            for name, fn in impls.items():
                try:
                    entry["median_ms"][name] = 1e3 * median_seconds(fn)
                except Exception as exc:  # noqa: BLE001
                    print(f"  sweep {name} n={n}: ERROR {exc}")
        read_ms = 1e3 * median_seconds(lambda: stream_read(x))
        out["logsumexp_1d"].append(entry_l)
        out["log_softmax_rows"].append(entry_s)
        out["stream_read"].append({"bytes": x.nbytes, "median_ms": read_ms})
        fmt = "  ".join(f"{k} {v:8.3f}" for k, v in entry_l["median_ms"].items())
        fmt2 = "  ".join(f"{k} {v:8.3f}" for k, v in entry_s["median_ms"].items())
        print(f"  n={n:>9d}  lse ms: {fmt}  | log_softmax ms: {fmt2}  | read {read_ms:.3f}",
              flush=True)
    return out


def plot_sweep(data: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    read = data["stream_read"]
    read_bw = read[-1]["bytes"] / (read[-1]["median_ms"] * 1e-3) / 1e9
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=False)
    colors = {"infonative": "C0", "torch": "C1", "jax": "C2"}
    for ax, key, title, traffic in (
        (axes[0], "logsumexp_1d", "logsumexp, 1-D float32 (GB/s read)", 1),
        (axes[1], "log_softmax_rows", "log_softmax rows float32 (GB/s read+write)", 2),
    ):
        for impl in ("infonative", "torch", "jax"):
            pts = [(e["bytes"], traffic * e["bytes"] / (e["median_ms"][impl] * 1e-3) / 1e9)
                   for e in data[key] if impl in e["median_ms"]]
            if pts:
                ax.plot(*zip(*pts), "o-", color=colors[impl], label=impl)
        ax.plot([r["bytes"] for r in read],
                [r["bytes"] / (r["median_ms"] * 1e-3) / 1e9 for r in read],
                ":", color="gray", label="stream_read (same bytes)")
        ax.axhline(read_bw, color="k", ls="--", lw=1,
                   label=f"streaming read, largest size: {read_bw:.1f} GB/s")
        ax.set_xscale("log")
        ax.set_xlabel("input bytes")
        ax.set_ylabel("GB/s")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"infonative vs torch vs jax, {THREADS} threads, {cpu_name()}, load avg {os.getloadavg()[0]:.1f}"
                 + (" (quick)" if QUICK else ""))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------
def cell(case: Case, column: str) -> str:
    ms = case.ms.get(column)
    if column not in case.ms:
        return "—"
    if ms is None:
        return "error"
    if column in ("infonative", "stream_read"):
        return f"{ms:.3f}"
    r = case.ratio(column)
    return f"{ms:.3f} ({r:.1f}x)" if r else f"{ms:.3f}"


def status(case: Case) -> str:
    word = {True: "MET", False: "NOT MET", None: "n/a"}[case.met]
    return word + (" (quick, indicative)" if QUICK and case.met is not None else "")


def tables() -> tuple[str, str]:
    head = ["case", "size", "infonative ms", "numpy ms (x)", "scipy ms (x)", "torch ms (x)",
            "jax ms (x)", "read ms", "target", "status", "notes"]
    rows = [[c.name, c.size, cell(c, "infonative"), cell(c, "numpy"), cell(c, "scipy"),
             cell(c, "torch"), cell(c, "jax"), cell(c, "stream_read"), c.target, status(c), "; ".join(c.notes)] for c in CASES]
    acc_head = ["case", "size", "implementation", "max abs diff vs float64 truth", "f16 ulps", "tolerance"]
    acc = []
    for c in CASES:
        for col in IMPL_COLUMNS:
            if col in c.diff:
                acc.append([c.name, c.size, c.labels[col], f"{c.diff[col]:.3g}",
                            f"{c.ulps[col]:.3f}" if col in c.ulps else "",
                            f"{c.tol:.3g}"])
    return render(head, rows), render(acc_head, acc)


def render(head, rows) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def plain(head_md: str) -> str:
    """The markdown table with aligned columns for the terminal."""
    rows = [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in head_md.splitlines() if not line.startswith("|---")]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows)


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            return next(line.split(":", 1)[1].strip() for line in fh
                        if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def environment() -> dict:
    cfg = {}
    try:
        cfg = infonative.get_config()
    except Exception as exc:  # noqa: BLE001
        cfg = {"error": str(exc)}
    return {"threads": THREADS, "quick": QUICK, "cpu": cpu_name(), "cores": os.cpu_count(),
            "python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "torch": torch.__version__ if torch else None,
            "torch_threads": torch.get_num_threads() if torch else None,
            "jax": jax.__version__ if jax else None, "xla_flags": os.environ.get("XLA_FLAGS"),
            "infonative": cfg, "stream_read": STREAM_LABEL, "notes": NOTES,
            "loadavg_at_start": os.getloadavg()}


def main() -> int:
    t_start = time.perf_counter()
    env = environment()
    print(f"infonative compare: {THREADS} threads{' (quick)' if QUICK else ''}; cpu {env['cpu']}; "
          f"load average {env['loadavg_at_start'][0]:.2f}; "
          f"infonative {env['infonative'].get('version')} isa {env['infonative'].get('isa')}; "
          f"torch {env['torch']}; jax {env['jax']}")
    for note in NOTES:
        print("note:", note)

    case_logsumexp_1d(np.float32)
    case_logsumexp_1d(np.float64)
    case_softmax_family()
    case_entropy_from_logits()
    case_kl_from_logits()
    case_cross_entropy()
    case_float16()
    case_distribution_entropy()
    sweep_data = sweep()

    ARGS.out.mkdir(parents=True, exist_ok=True)
    plot_sweep(sweep_data, ARGS.out / "throughput.png")
    table, accuracy = tables()
    header = (f"infonative {env['infonative'].get('version')} (isa {env['infonative'].get('isa')}), "
              f"{THREADS} threads, {env['cpu']} ({env['cores']} cores); numpy {np.__version__}, "
              f"scipy {scipy.__version__}, torch {env['torch']}, jax {env['jax']}"
              + ("; QUICK run (small inputs)" if QUICK else ""))
    legend = ("Median ms per call; (Nx) = anchor time / infonative time (higher is better for "
              "infonative). read = streaming read of the same bytes.")
    md = (f"{header}\n\n{legend}\n\n{table}\n\nAccuracy\n\n{accuracy}\n"
          + "".join(f"\nNote: {n}\n" for n in NOTES))
    (ARGS.out / "table.md").write_text(md)
    env["loadavg_at_end"] = os.getloadavg()
    (ARGS.out / "results.json").write_text(json.dumps(
        {"environment": env, "cases": [c.to_json() for c in CASES], "sweep": sweep_data},
        indent=1, default=float))

    print("\n" + header + "\n" + legend + "\n")
    print(plain(table))
    print("\nAccuracy\n")
    print(plain(accuracy))
    for note in NOTES:
        print("note:", note)
    print(f"\nwrote {ARGS.out / 'table.md'}, results.json, throughput.png "
          f"({time.perf_counter() - t_start:.0f} s)")

    unmet = [c.name for c in CASES if c.met is False]
    if FAILURES:
        print("\nFAILED (wrong results):\n  " + "\n  ".join(FAILURES))
        return 1
    if unmet:
        print("\ntargets NOT MET: " + ", ".join(unmet))
        if ARGS.strict:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
