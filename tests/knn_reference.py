"""Brute-force O(N^2) numpy references for the kNN estimators (FORMULAS.md, kNN section).

Independent of infonative: every estimator is written out from its formula with full pairwise
distance matrices, so the code is short enough to check by eye.  Conventions:

- samples are arrays of shape (N,) or (N, d), rows are samples; everything is computed in
  float64 (float32 inputs are cast exactly to float64 first);
- distances exclude the point itself BY INDEX (the diagonal is set to +inf), so a duplicate of
  a point is another point at distance 0;
- "the k-th neighbour distance" is the k-th smallest value of a row, ties included (the value is
  the same whichever of the tied points is called the k-th one);
- "strictly closer than eps" is the comparison `dist < eps` itself, on the same float64 distance
  values as the radius was taken from;
- psi is scipy.special.digamma; results are in nats.

The only choice the formulas leave open is which k points are "the k joint neighbours" of KSG
algorithm 2 when the k-th joint distance is tied; here the lower index wins (a stable argsort),
which is the rule the engine documents.  Tests of algorithm 2 use data without such ties.
"""

from __future__ import annotations

import math

import noise_reference
import numpy as np
from scipy.special import digamma, gammaln

__all__ = [
    "add_noise",
    "as_samples",
    "conditional_mutual_info",
    "entropy",
    "joint_neighbours",
    "kl_divergence",
    "kth_smallest",
    "log_unit_ball_volume",
    "metric_to_p",
    "mutual_info",
    "mutual_info_mixed",
    "pairwise_distances",
    "self_distances",
    "standardize",
    "te_embeddings",
    "transfer_entropy",
]

INF = math.inf


def as_samples(a) -> np.ndarray:
    """(N,) or (N, d) array_like -> float64 (N, d) copy."""
    a = np.array(a, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"samples must be 1-D or 2-D, got shape {a.shape}")
    return a


def metric_to_p(metric) -> float:
    """The Minkowski exponent of a metric name or number (the public API's `metric`)."""
    names = {"chebyshev": INF, "euclidean": 2.0, "manhattan": 1.0, "cityblock": 1.0}
    if isinstance(metric, str):
        return names[metric]
    return float(metric)


def pairwise_distances(a, b=None, p: float = INF) -> np.ndarray:
    """D[i, j] = ||a_i - b_j||_p for all pairs (b = a when omitted; the diagonal is NOT
    excluded here, see `self_distances`).  Coordinates are differenced as |a_ic - b_jc| in
    float64 and combined per norm: max (p = inf), sum (p = 1), sqrt of the sum of squares
    (p = 2), (sum |.|^p)^(1/p) otherwise."""
    a = as_samples(a)
    b = a if b is None else as_samples(b)
    if a.shape[1] != b.shape[1]:
        raise ValueError("dimension mismatch")
    out = np.zeros((a.shape[0], b.shape[0]))
    for c in range(a.shape[1]):
        dc = np.abs(a[:, c, None] - b[None, :, c])
        if p == INF:
            np.maximum(out, dc, out=out)
        elif p == 1.0:
            out += dc
        elif p == 2.0:
            out += dc * dc
        else:
            out += dc ** p
    if p == 2.0:
        np.sqrt(out, out=out)
    elif p not in (1.0, INF):
        out **= 1.0 / p
    return out


def self_distances(a, p: float = INF) -> np.ndarray:
    """Pairwise distances within one sample with the point itself excluded by index (+inf on
    the diagonal)."""
    d = pairwise_distances(a, p=p)
    np.fill_diagonal(d, INF)
    return d


def kth_smallest(d: np.ndarray, k) -> np.ndarray:
    """The k-th smallest value of each row (k >= 1; an int or one k per row), ties included."""
    k = np.broadcast_to(np.asarray(k, dtype=np.int64), (d.shape[0],))
    if np.all(k == k[0]):
        return np.partition(d, k[0] - 1, axis=1)[:, k[0] - 1]
    return np.sort(d, axis=1)[np.arange(d.shape[0]), k - 1]


def joint_neighbours(d: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of the k nearest neighbours of each row: every point strictly closer than
    the k-th smallest value, then the points AT that value in index order until there are k
    (the same set as the first k of a stable argsort, in O(N^2))."""
    kth = kth_smallest(d, k)[:, None]
    closer = d < kth
    tied = d == kth
    missing = k - np.sum(closer, axis=1, keepdims=True)
    return closer | (tied & (np.cumsum(tied, axis=1) <= missing))


def log_unit_ball_volume(d: int, p: float) -> float:
    """log of the volume of the unit-RADIUS ball of the p-norm in d dimensions."""
    if p == INF:
        return d * math.log(2.0)
    if p == 2.0:
        return 0.5 * d * math.log(math.pi) - float(gammaln(0.5 * d + 1.0))
    return d * (math.log(2.0) + float(gammaln(1.0 + 1.0 / p))) - float(gammaln(1.0 + d / p))


def _psi(n) -> np.ndarray:
    n = np.asarray(n, dtype=np.float64)
    assert np.all(n >= 1), "psi is only ever evaluated at positive integers here"
    return digamma(n)


def entropy(x, k: int = 3, p: float = INF, return_terms: bool = False):
    """Kozachenko-Leonenko: h = psi(N) - psi(k) + log V_d + (d/N) sum_i log rho_k(i).

    -inf when some rho_k(i) is 0 (k or more duplicates of a point).  With return_terms the
    per-point log rho_k(i) are returned as well."""
    x = as_samples(x)
    n, d = x.shape
    rho = kth_smallest(self_distances(x, p), k)
    with np.errstate(divide="ignore"):
        log_rho = np.log(rho)
    h = float(_psi(n) - _psi(k) + log_unit_ball_volume(d, p) + d / n * np.sum(log_rho))
    return (h, log_rho) if return_terms else h


def _marginal_distances(variables):
    vs = [as_samples(v) for v in variables]
    n = vs[0].shape[0]
    if any(v.shape[0] != n for v in vs):
        raise ValueError("all variables need the same number of samples")
    return n, [self_distances(v, INF) for v in vs]


def mutual_info(variables, k: int = 3, algorithm: int = 1, return_counts: bool = False):
    """KSG mutual information of m >= 2 variables (multi-information for m >= 3).

    Joint space: max-norm over all coordinates (the max of the marginal max-norm distances).
    Algorithm 1: I = psi(k) + (m-1) psi(N) - < sum_v psi(n_v + 1) >, n_v = #{j != i :
    D_v[i, j] < eps_i} with eps_i the k-th joint neighbour distance.
    Algorithm 2: I = psi(k) - (m-1)/k + (m-1) psi(N) - < sum_v psi(n_v) >, n_v = #{j != i :
    D_v[i, j] <= eps_v(i)}, eps_v(i) the largest D_v[i, j] over the k joint neighbours j of i
    (lower index first among tied joint distances)."""
    n, dv = _marginal_distances(variables)
    m = len(dv)
    if m < 2:
        raise ValueError("need at least two variables")
    joint = dv[0].copy()
    for d in dv[1:]:
        np.maximum(joint, d, out=joint)
    if algorithm == 1:
        eps = kth_smallest(joint, k)[:, None]
        counts = [np.sum(d < eps, axis=1) for d in dv]
        value = _psi(k) + (m - 1) * _psi(n) - np.mean(sum(_psi(c + 1) for c in counts))
    elif algorithm == 2:
        nbrs = joint_neighbours(joint, k)
        counts = []
        for d in dv:
            eps_v = np.max(np.where(nbrs, d, -INF), axis=1)[:, None]
            counts.append(np.sum(d <= eps_v, axis=1))
        value = (_psi(k) - (m - 1) / k + (m - 1) * _psi(n)
                 - np.mean(sum(_psi(c) for c in counts)))
    else:
        raise ValueError("algorithm must be 1 or 2")
    return (float(value), counts) if return_counts else float(value)


def conditional_mutual_info(x, y, z, k: int = 3, return_counts: bool = False):
    """Frenzel-Pompe: I(X;Y|Z) = psi(k) - < psi(n_xz + 1) + psi(n_yz + 1) - psi(n_z + 1) >,
    strict counts (< eps_i) in the xz, yz and z subspaces at the k-th neighbour distance eps_i
    of the joint xyz space; max-norm everywhere."""
    _, (dx, dy, dz) = _marginal_distances([x, y, z])
    dxz = np.maximum(dx, dz)
    dyz = np.maximum(dy, dz)
    eps = kth_smallest(np.maximum(dxz, dy), k)[:, None]
    n_xz = np.sum(dxz < eps, axis=1)
    n_yz = np.sum(dyz < eps, axis=1)
    n_z = np.sum(dz < eps, axis=1)
    value = float(_psi(k) - np.mean(_psi(n_xz + 1) + _psi(n_yz + 1) - _psi(n_z + 1)))
    return (value, (n_xz, n_yz, n_z)) if return_counts else value


def kl_divergence(x, y, k: int = 1, p: float = 2.0):
    """Wang-Kulkarni-Verdu: D(P||Q) = (d/n) sum_i log(nu_k(i) / rho_k(i)) + log(m / (n - 1)),
    x (n, d) from P, y (m, d) from Q; rho_k within x (self excluded), nu_k from x_i to y."""
    x, y = as_samples(x), as_samples(y)
    n, d = x.shape
    m = y.shape[0]
    rho = kth_smallest(self_distances(x, p), k)
    nu = kth_smallest(pairwise_distances(x, y, p), k)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.sum(np.log(nu / rho))
    return float(d / n * s + math.log(m / (n - 1)))


def mutual_info_mixed(x, labels, k: int = 3, p: float = INF):
    """Ross 2014 (sklearn's _compute_mi_cd, raw value, no clipping):
    I = psi(N) + <psi(k_i)> - <psi(N_{y_i})> - <psi(m_i + 1)> over the N samples whose label
    occurs more than once; k_i = min(k, N_{y_i} - 1); r_i the k_i-th neighbour distance among
    the samples of the same label; m_i = #{kept j != i : D[i, j] < r_i}.

    The norm of x is the max-norm by default (the engine's choice; sklearn's 1-D x makes every
    norm the same)."""
    x = as_samples(x)
    labels = np.asarray(labels)
    if labels.shape != (x.shape[0],):
        raise ValueError("one label per sample")
    _, inv, cnt = np.unique(labels, return_inverse=True, return_counts=True)
    count = cnt[inv.reshape(-1)]
    keep = count > 1
    xk, lab, count = x[keep], inv.reshape(-1)[keep], count[keep]
    n = xk.shape[0]
    d = self_distances(xk, p)
    same = lab[:, None] == lab[None, :]
    k_i = np.minimum(k, count - 1)
    r = kth_smallest(np.where(same, d, INF), k_i)
    m_i = np.sum(d < r[:, None], axis=1)
    return float(_psi(n) + np.mean(_psi(k_i)) - np.mean(_psi(count)) - np.mean(_psi(m_i + 1)))


def te_embeddings(source, target, history: int = 1, lag: int = 1):
    """(Y_t, X_past, Y_past) for t = t0 .. N-1, t0 = max(history, lag + history - 1):
    Y_past = (y_{t-1}, ..., y_{t-history}), X_past = (x_{t-lag}, ..., x_{t-lag-history+1})."""
    x, y = as_samples(source), as_samples(target)
    n = x.shape[0]
    if y.shape[0] != n:
        raise ValueError("source and target need the same length")
    t0 = max(history, lag + history - 1)
    y_t = y[t0:]
    y_past = np.hstack([y[t0 - j:n - j] for j in range(1, history + 1)])
    x_past = np.hstack([x[t0 - lag - j:n - lag - j] for j in range(history)])
    return y_t, x_past, y_past


def transfer_entropy(source, target, k: int = 3, history: int = 1, lag: int = 1):
    """TE source -> target = I(Y_t ; X_past | Y_past), Frenzel-Pompe on the embeddings."""
    y_t, x_past, y_past = te_embeddings(source, target, history, lag)
    return conditional_mutual_info(y_t, x_past, y_past, k)


def standardize(a) -> np.ndarray:
    """Each column divided by its standard deviation (ddof=0, as sklearn's
    scale(with_mean=False)); a constant column stays as is."""
    a = as_samples(a)
    s = np.std(a, axis=0)
    return a / np.where(s == 0, 1.0, s)


def add_noise(variables, noise: float, rng: np.random.Generator):
    """The spec's noise: variables in argument order, each drawing a 64-bit seed from rng;
    column c gets noise * max(1, mean|c|) (summed in row order) times the counter normals c * N .. c * N + N - 1 of
    that seed (noise_reference.py)."""
    out = []
    for v in variables:
        v = as_samples(v)
        seed = int(rng.integers(0, 2**64, dtype=np.uint64))
        out.append(noise_reference.add_counter_noise(v, noise, seed))
    return out


# --- statistical check for the closed-form tests ---------------------------------------------

def assert_statistically_close(estimate, batch_estimates, truth, alpha=1e-4, what=""):
    """|estimate - truth| <= t_{B-1}(1 - alpha/2) * s / sqrt(B).

    `estimate` uses all N samples; `batch_estimates` are the same estimator on B disjoint
    batches of N/B samples each, which are independent, so their sample standard deviation s
    estimates the estimator's standard deviation at N/B samples, and s / sqrt(B) the one at N
    (root-N estimators: variance proportional to 1/N).  Student's t with B - 1 degrees of
    freedom accounts for s being estimated; alpha is the false-failure probability.  The
    tolerance therefore scales as 1/sqrt(N) and is derived from the data, never chosen.  The
    cases are picked where the estimator's bias at N is small against that standard error."""
    from scipy import stats

    b = np.asarray(batch_estimates, dtype=np.float64)
    nb = b.size
    assert nb >= 8, "need enough batches for the t quantile to be meaningful"
    se = float(np.std(b, ddof=1)) / math.sqrt(nb)
    tol = float(stats.t.ppf(1.0 - alpha / 2.0, nb - 1)) * se
    err = estimate - truth
    assert abs(err) <= tol, (f"{what}: estimate {estimate:.6f} vs closed form {truth:.6f}: "
                             f"error {err:+.6f} > tol {tol:.6f} (se {se:.6f}, {nb} batches)")


def batches(arrays, n_batches):
    """Split each array into n_batches disjoint consecutive batches of equal size."""
    n = len(arrays[0]) // n_batches
    return [[a[i * n:(i + 1) * n] for a in arrays] for i in range(n_batches)]
