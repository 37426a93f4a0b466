"""Benchmark cases of the kNN estimators against scikit-learn, npeet_plus and scipy's cKDTree,
plus a log-log plot of time against N for KSG mutual information.

Truths are the closed forms of the sampled distributions (Gaussian entropy and mutual
information); kNN estimates carry a statistical error, so the tolerances are a few standard
deviations at the sample size, the same for every implementation. Imported by
bench/compare.py after it has set the thread count for every library.
"""

from __future__ import annotations

import math
import os

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma

import harness
import infonative
import infonative.feature_selection
import infonative.knn
from harness import all_met, at_least, median_seconds, new_case

try:
    import sklearn.feature_selection as skfs
except ImportError:
    skfs = None
try:
    import npeet_plus
except ImportError:
    npeet_plus = None

GROUP = "knn"
COLUMNS = ["sklearn", "npeet_plus", "cKDTree"]
NOTES: list[str] = []
if skfs is None:
    NOTES.append("scikit-learn not installed: sklearn columns skipped")
if npeet_plus is None:
    NOTES.append("npeet_plus not installed (pip install npeet-plus): its columns skipped")
RNG = np.random.default_rng(20261122)
THREADS = 2
N_PAIR, N_LARGE, N_ENTROPY, N_4D = 10**5, 10**6, 10**5, 2 * 10**4
SCALING_N = np.logspace(3, 6, 7).astype(np.int64)


def configure(quick: bool, threads: int) -> None:
    global N_PAIR, N_LARGE, N_ENTROPY, N_4D, SCALING_N, THREADS
    THREADS = threads
    if quick:
        N_PAIR, N_LARGE, N_ENTROPY, N_4D = 2 * 10**4, 2 * 10**5, 2 * 10**4, 5000
        SCALING_N = np.logspace(3, 5, 5).astype(np.int64)


def correlated_pair(n: int, rho: float) -> tuple[np.ndarray, np.ndarray]:
    x = RNG.standard_normal(n)
    return x, rho * x + math.sqrt(1 - rho * rho) * RNG.standard_normal(n)


def gaussian_mi(cov: np.ndarray, dx: int) -> float:
    """I(X; Y) of a jointly Gaussian (X, Y) with covariance cov, X the first dx coordinates."""
    logdet = lambda m: np.linalg.slogdet(m)[1]  # noqa: E731
    return 0.5 * (logdet(cov[:dx, :dx]) + logdet(cov[dx:, dx:]) - logdet(cov))


def kl_entropy_ckdtree(x: np.ndarray, k: int) -> float:
    """Kozachenko-Leonenko entropy (max-norm) on scipy's cKDTree with all workers."""
    n, d = x.shape
    distances, _ = cKDTree(x).query(x, k=k + 1, p=np.inf, workers=-1)
    return float(digamma(n) - digamma(k) + d * math.log(2) + d * np.mean(np.log(distances[:, -1])))


def ksg_sd(n: int) -> float:
    """A generous statistical tolerance for KSG at n samples (its sd is ~ 1/sqrt(n))."""
    return 6.0 / math.sqrt(n)


def case_pair(n: int, target_ratio: float | None, target_ms: float | None) -> None:
    rho = 0.6
    x, y = correlated_pair(n, rho)
    truth = -0.5 * math.log(1 - rho * rho)
    case = new_case(GROUP, "KSG MI, 1-D pair (k=3)", f"N={n}", 16 * n, truth, 0,
                    tol=ksg_sd(n) + 0.01)
    case.run("infonative", lambda: infonative.knn.mutual_info(x, y, k=3, random_state=0),
             label="infonative.knn.mutual_info")
    if skfs is not None and n <= N_PAIR:
        X = x[:, None]
        case.run("sklearn", lambda: skfs.mutual_info_regression(X, y, n_neighbors=3,
                                                                random_state=0)[0],
                 label="sklearn mutual_info_regression")
    if npeet_plus is not None and n <= N_PAIR:
        case.run("npeet_plus", lambda: npeet_plus.mi(x[:, None], y[:, None], k=3, base=math.e),
                 label="npeet_plus.mi (cKDTree)")
    flags = []
    if target_ratio:
        flags.append(at_least(case, "sklearn", target_ratio))
    if target_ms:
        ms = case.ms.get("infonative")
        flags.append(None if ms is None else ms < target_ms)
    text = " and ".join(t for t in (f">={target_ratio:g}x sklearn" if target_ratio else "",
                                    f"<{target_ms:g} ms" if target_ms else "") if t)
    case.set_target(text, all_met(*flags))


def case_drop_in(n: int) -> None:
    """The sklearn-compatible wrapper: same call, same preprocessing, as sklearn."""
    x, y = correlated_pair(n, 0.6)
    X = x[:, None]
    case = new_case(GROUP, "mutual_info_regression drop-in", f"N={n}", 16 * n,
                    [-0.5 * math.log(1 - 0.36)], 0, tol=ksg_sd(n) + 0.01)
    case.run("infonative", lambda: infonative.feature_selection.mutual_info_regression(
        X, y, n_neighbors=3, random_state=0), label="infonative.feature_selection")
    if skfs is not None:
        case.run("sklearn", lambda: skfs.mutual_info_regression(X, y, n_neighbors=3,
                                                                random_state=0),
                 label="sklearn mutual_info_regression")
    case.set_target(">=25x sklearn", at_least(case, "sklearn", 25.0))


def case_entropy(n: int) -> None:
    x = RNG.standard_normal((n, 3))
    truth = 1.5 * math.log(2 * math.pi * math.e)
    case = new_case(GROUP, "Kozachenko-Leonenko entropy, d=3 (k=3, max-norm)", f"N={n}",
                    x.nbytes, truth, 0, tol=ksg_sd(n) + 0.02)
    case.run("infonative", lambda: infonative.knn.entropy(x, k=3, metric="chebyshev",
                                                          random_state=0),
             label="infonative.knn.entropy")
    case.run("cKDTree", lambda: kl_entropy_ckdtree(x, 3), label="cKDTree(workers=-1) formula")
    case.set_target(">=5x cKDTree", at_least(case, "cKDTree", 5.0))


def case_4d(n: int) -> None:
    a = RNG.standard_normal((4, 4)) * 0.5
    x = RNG.standard_normal((n, 4))
    y = x @ a + RNG.standard_normal((n, 4))
    cov = np.block([[np.eye(4), a], [a.T, a.T @ a + np.eye(4)]])
    truth = gaussian_mi(cov, 4)
    # KSG is biased downwards in 8 joint dimensions at this N: a tolerance that covers it
    case = new_case(GROUP, "KSG MI, 4-D x with 4-D y (k=3)", f"N={n}", 2 * x.nbytes, truth, 0,
                    tol=0.15 * truth + ksg_sd(n))
    case.run("infonative", lambda: infonative.knn.mutual_info(x, y, k=3, random_state=0),
             label="infonative.knn.mutual_info")
    if npeet_plus is not None:
        case.run("npeet_plus", lambda: npeet_plus.mi(x, y, k=3, base=math.e),
                 label="npeet_plus.mi")
    case.set_target(">=10x npeet_plus", at_least(case, "npeet_plus", 10.0))


def scaling() -> dict:
    """Median time of KSG MI of a 1-D pair against N, infonative and sklearn."""
    print("\n== KSG MI time against N (1-D pair, k=3)", flush=True)
    series = {"n": [], "infonative": [], "sklearn": []}
    for n in SCALING_N:
        n = int(n)
        x, y = correlated_pair(n, 0.6)
        series["n"].append(n)
        series["infonative"].append(1e3 * median_seconds(
            lambda: infonative.knn.mutual_info(x, y, k=3, random_state=0)))
        if skfs is not None:
            X = x[:, None]
            series["sklearn"].append(1e3 * median_seconds(
                lambda: skfs.mutual_info_regression(X, y, n_neighbors=3, random_state=0)))
        line = "  ".join(f"{k} {v[-1]:9.2f} ms" for k, v in series.items() if k != "n" and v)
        print(f"  N={n:>8d}  {line}", flush=True)
    return series


def plot_scaling(series: dict, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = np.asarray(series["n"], float)
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for name, color in (("infonative", "C0"), ("sklearn", "C1")):
        if series[name]:
            ax.plot(n[: len(series[name])], series[name], "o-", color=color, label=name)
    ref = np.asarray(series["infonative"])
    nlogn = n * np.log(n)
    ax.plot(n, ref[-1] * nlogn / nlogn[-1], "k--", lw=1, label="N log N (through the last point)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("N samples")
    ax.set_ylabel("ms per call (median)")
    ax.set_title(f"KSG mutual information, 1-D pair, k=3, {THREADS} threads\n"
                 f"{harness.cpu_name()}, load avg {os.getloadavg()[0]:.1f}"
                 + (" (quick)" if harness.QUICK else ""), fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run_all(out_dir) -> dict:
    case_pair(N_PAIR, 25.0, None)
    case_drop_in(N_PAIR)
    case_pair(N_LARGE, None, 500.0)
    case_entropy(N_ENTROPY)
    case_4d(N_4D)
    series = scaling()
    plot_scaling(series, out_dir / "knn_scaling.png")
    return series
