"""Benchmark cases of the log-sum-exp family and distribution measures against numpy, scipy,
torch (CPU) and jax (jit), plus the float32 throughput sweep and its plot.

Imported by bench/compare.py after it has set the thread count for every library."""

from __future__ import annotations

import math
import os

import numpy as np
import scipy.special
import scipy.stats

import infonative
from harness import all_met, at_least, new_case, shape_str, median_seconds
import harness

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None
try:
    import jax
    import jax.numpy as jnp
except ImportError:
    jax = None

GROUP = "logsumexp"
COLUMNS = ["numpy", "scipy", "torch", "jax", "stream_read"]
NOTES: list[str] = []
RNG = np.random.default_rng(20240601)
N_1D, ROWS, VOCAB, DIST_SHAPE = 10**7, 1024, 32000, (1000, 10000)
SWEEP = np.unique(np.logspace(3, math.log10(3e7), 8).astype(np.int64))


def configure(quick: bool) -> None:
    global N_1D, ROWS, DIST_SHAPE, SWEEP
    if quick:
        N_1D, ROWS, DIST_SHAPE = 10**6, 128, (200, 10000)
        SWEEP = np.unique(np.logspace(3, 6, 4).astype(np.int64))


def jax_timed(fn):
    """A callable that waits for jax's asynchronous result."""
    return lambda: fn().block_until_ready()


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


def case_logsumexp_1d(dtype) -> None:
    x = RNG.standard_normal(N_1D, dtype=np.float64).astype(dtype) * dtype(4)
    truth = scipy.special.logsumexp(x.astype(np.float64))
    case = new_case(GROUP, "logsumexp axis=None", shape_str(x.shape, dtype), x.nbytes, truth,
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
        case = new_case(GROUP, name, shape_str(x.shape, x.dtype), x.nbytes, sp(x64, axis=-1),
                        1e-4)
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
    case = new_case(GROUP, "entropy_from_logits", shape_str(x.shape, x.dtype), x.nbytes,
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
    case = new_case(GROUP, "kl_divergence_from_logits", "2x " + shape_str(a.shape, a.dtype), 2 * a.nbytes,
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

    case = new_case(GROUP, "cross_entropy_loss mean", shape_str(x.shape, x.dtype), x.nbytes,
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

    case = new_case(GROUP, "float16 logsumexp axis=-1", shape_str(x.shape, x.dtype), x.nbytes,
                    scipy.special.logsumexp(x64, axis=-1), 4e-3)
    case.run("infonative", lambda: infonative.logsumexp(x, axis=-1), ulps=True)
    if xt is not None:
        case.run("torch", lambda: torch.logsumexp(xt, -1), label="torch.logsumexp f16", ulps=True)
    ulp_ok = None if "infonative" not in case.ulps else case.ulps["infonative"] <= 0.52
    case.notes.append("ulps: " + ", ".join(f"{k} {v:.3f}" for k, v in case.ulps.items()))
    case.set_target(">=10x torch, <=0.52 ulp", all_met(at_least(case, "torch", 10.0), ulp_ok))

    case = new_case(GROUP, "float16 entropy_from_logits", shape_str(x.shape, x.dtype), x.nbytes,
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
    case = new_case(GROUP, "entropy(p, q, axis=1)", "2x " + shape_str(p.shape, p.dtype), 2 * p.nbytes,
                    truth, 1e-8)
    case.run("infonative", lambda: infonative.entropy(p, q, axis=1))
    case.run("numpy", lambda: (pn * np.log(pn / qn)).sum(1),
             label="(p*log(p/q)).sum(1) normalised")
    case.run("scipy", lambda: scipy.stats.entropy(p, q, axis=1), label="scipy.stats.entropy")
    gi = case.gbps("infonative")
    if gi:
        case.notes.append(f"{gi:.1f} GB/s")
    case.set_target(">=5x numpy", at_least(case, "numpy", 5.0))


def sweep() -> dict:
    print("\n== throughput sweep (float32): logsumexp 1-D and log_softmax rows", flush=True)
    out = {"logsumexp_1d": [], "log_softmax_rows": [], "stream_read": []}
    for n in SWEEP:
        n = int(n)
        x = RNG.standard_normal(n, dtype=np.float32) * np.float32(3)
        # a fresh array's pages settle (huge-page collapse, migration) during its first reads:
        # read it before timing anything, so that no implementation pays for that alone
        for _ in range(3):
            stream_read(x)
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


def plot_sweep(data: dict, path) -> None:
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
    fig.suptitle(f"infonative vs torch vs jax, {infonative.get_num_threads()} threads, "
                 f"{harness.cpu_name()}, load avg {os.getloadavg()[0]:.1f}"
                 + (" (quick)" if harness.QUICK else ""))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run_all(out_dir) -> dict:
    case_logsumexp_1d(np.float32)
    case_logsumexp_1d(np.float64)
    case_softmax_family()
    case_entropy_from_logits()
    case_kl_from_logits()
    case_cross_entropy()
    case_float16()
    case_distribution_entropy()
    data = sweep()
    plot_sweep(data, out_dir / "throughput.png")
    return data
