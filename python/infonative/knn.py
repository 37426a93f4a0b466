"""k-nearest-neighbour estimators of differential entropy, mutual information, conditional
mutual information, KL divergence and transfer entropy, and their significance tests.

Samples are array_like of shape ``(N,)`` or ``(N, d)``: rows are samples, ``(N,)`` means
``d = 1``. float32 input is computed in float32, every other real dtype in float64 (all the
variables of one call in float32 only if all are float32). NaN or inf in the data, different
numbers of samples, or ``k`` outside ``1 <= k <= N - 1`` raise ValueError. Results are Python
floats in nats, or in units of ``log(base)`` when ``base`` is given.

Ties and scale (sklearn's convention, the same on every estimator):

- ``standardize=True`` (MI, CMI, TE, mixed MI): each column is divided by its standard
  deviation (ddof=0, no centering: sklearn's ``scale(with_mean=False)``); constant columns
  stay as they are. These estimators are meant to be scale invariant; standardizing puts
  the variables on the same footing in the max-norm joint space.
- ``noise=1e-10``: after standardizing, each column c gets
  ``noise * max(1, mean|c|) * N(0, 1)`` added, so that duplicated values (distance 0, log 0)
  become distinct. ``noise=0`` turns it off. For float32 data the noise is rounded to float32,
  so amplitudes below float32 resolution (about 6e-8 relative) vanish: use float64 data or a
  larger ``noise`` to break ties in float32 data.
- ``random_state``: None (fresh entropy), an int seed, or a ``numpy.random.Generator``;
  the same seed gives the same result. Each variable (in argument order) draws a 64-bit seed
  from the Generator, and its entry (r, c) gets the standard normal deviate ``c * N + r`` of
  that seed: a counter-indexed stream (SplitMix64 through a 256-layer ziggurat,
  ``_core.counter_normals``), drawn in parallel, the same bits for any thread count. Your
  data is never modified.

Negative estimates: the estimators return the raw value of the formula. KSG and
Frenzel-Pompe estimates of a small or zero MI are often slightly negative, and the KL
estimate can be too; nothing is clipped (``infonative.feature_selection`` clips at 0 as
sklearn does).

The formulas are those of ``FORMULAS.md`` (kNN section); distances exclude the point
itself by index, so duplicated points are neighbours at distance 0.
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._arrays import check_base
from ._knn_args import (as_generator, as_samples, check_bool, check_k, check_noise, finish,
                        metric_to_p, prepare)
from ._knn_problems import (conditional_mutual_info_problem, mutual_info_problem,
                            transfer_entropy_problem)
from ._knn_significance import (BootstrapResult, ConfidenceInterval, PermutationTestResult,
                                bootstrap, permutation_test)

__all__ = [
    "BootstrapResult",
    "ConfidenceInterval",
    "PermutationTestResult",
    "bootstrap",
    "conditional_mutual_info",
    "entropy",
    "kl_divergence",
    "mutual_info",
    "mutual_info_mixed",
    "permutation_test",
    "transfer_entropy",
]


def entropy(x, k=3, metric="chebyshev", base=None, noise=1e-10, random_state=None):
    """Differential entropy by the Kozachenko-Leonenko kNN estimator.

    ``h = psi(N) - psi(k) + log V_d + (d / N) sum_i log rho_k(i)``, with ``rho_k(i)`` the
    distance from sample i to its k-th nearest neighbour (itself excluded) in the chosen
    norm and ``V_d`` the volume of the unit-radius ball of that norm: ``2^d`` for the
    max-norm, ``pi^(d/2) / Gamma(d/2 + 1)`` for the Euclidean norm,
    ``(2 Gamma(1 + 1/p))^d / Gamma(1 + d/p)`` for the p-norm.

    Parameters
    ----------
    x : array_like, shape (N,) or (N, d)
    k : int, default 3
        Neighbour order, ``1 <= k <= N - 1``.
    metric : {"chebyshev", "euclidean", "manhattan", "cityblock"} or float, default "chebyshev"
        The norm; a number is the Minkowski exponent ``p >= 1`` (``math.inf``: chebyshev).
        The estimate converges to the same entropy for every norm.
    base : float, optional
        Logarithm base of the result (nats when None).
    noise : float, default 1e-10
        Relative tie-breaking noise (see the module notes). Entropy is not scale invariant,
        so ``x`` is never standardized; the noise amplitude is relative to ``mean|x|``.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    float
        The estimate. With ``noise=0`` and a point having k or more exact duplicates,
        ``rho_k = 0`` and the result is ``-inf``. With the default noise, duplicates are
        neighbours at distance ~1e-10 and the estimate is very negative: discrete or
        heavily rounded data has no finite differential entropy. float32 data keeps its
        ties (see the module notes), so there ``-inf`` can come back with noise on.

    Examples
    --------
    >>> import numpy as np
    >>> from infonative import knn
    >>> x = np.random.default_rng(0).standard_normal(20_000)
    >>> round(knn.entropy(x, random_state=0), 2)  # exact: log(2 pi e) / 2 = 1.4189
    1.42
    """
    func = "entropy"
    base = check_base(base)
    arr = as_samples(x, "x", func)
    k = check_k(k, arr.shape[0], func)
    p = metric_to_p(metric, func)
    noise = check_noise(noise, func)
    rng = as_generator(random_state, func)
    (arr,) = prepare([arr], False, noise, rng)
    return finish(_core.knn_entropy(arr, k, p), base)


def mutual_info(x, y, *more, k=3, algorithm=1, base=None, standardize=True, noise=1e-10,
                random_state=None):
    """Mutual information I(X; Y) by the Kraskov-Stoegbauer-Grassberger (KSG) estimator; with
    more variables, the multi-information (total correlation) ``sum_v H(X_v) - H(X_1..X_m)``.

    The joint space uses the max-norm over all coordinates, each variable's marginal space
    its own max-norm. With ``eps_i`` the distance from sample i to its k-th joint neighbour
    and ``n_v(i)`` the number of other samples within it in variable v's space:

    - ``algorithm=1``: ``I = psi(k) + (m - 1) psi(N) - < sum_v psi(n_v + 1) >`` with strict
      counts (distance < eps_i);
    - ``algorithm=2``: ``I = psi(k) - (m - 1)/k + (m - 1) psi(N) - < sum_v psi(n_v) >``
      where ``n_v`` counts distances <= the largest v-distance among the k joint
      neighbours.

    Parameters
    ----------
    x, y, *more : array_like, shape (N,) or (N, d_v)
        Two or more variables with the same number of samples; each may be
        multi-dimensional.
    k : int, default 3
        Neighbour order, ``1 <= k <= N - 1``.
    algorithm : {1, 2}, default 1
        KSG's first or second estimator (sklearn's ``mutual_info_regression`` is 1).
    base : float, optional
    standardize : bool, default True
        Divide each column by its standard deviation first (see the module notes).
    noise : float, default 1e-10
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    float
        The raw estimate: near-zero MI often comes out slightly negative; nothing is
        clipped.

    Examples
    --------
    >>> import numpy as np
    >>> from infonative import knn
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(20_000)
    >>> y = x + rng.standard_normal(20_000)  # correlation 1/sqrt(2)
    >>> round(knn.mutual_info(x, y, random_state=0), 2)  # exact: log(2) / 2 = 0.3466
    0.35
    """
    func = "mutual_info"
    base = check_base(base)
    rng = as_generator(random_state, func)
    problem = mutual_info_problem((x, y) + more, k=k, algorithm=algorithm,
                                  standardize=standardize, noise=noise, rng=rng)
    return finish(problem.estimate(), base)


def conditional_mutual_info(x, y, z, k=3, base=None, standardize=True, noise=1e-10,
                            random_state=None):
    """Conditional mutual information I(X; Y | Z) by the Frenzel-Pompe kNN estimator.

    ``I = psi(k) - < psi(n_xz + 1) + psi(n_yz + 1) - psi(n_z + 1) >`` where, with
    ``eps_i`` the distance from sample i to its k-th neighbour in the joint (x, y, z) space,
    ``n_xz``, ``n_yz`` and ``n_z`` count the other samples strictly within ``eps_i`` in the
    (x, z), (y, z) and z spaces. Max-norm everywhere.

    Parameters
    ----------
    x, y, z : array_like, shape (N,) or (N, d_v)
    k : int, default 3
        ``1 <= k <= N - 1``.
    base : float, optional
    standardize : bool, default True
    noise : float, default 1e-10
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    float
        The raw estimate (may be slightly negative).

    Examples
    --------
    >>> import numpy as np
    >>> from infonative import knn
    >>> rng = np.random.default_rng(0)
    >>> z = rng.standard_normal(20_000)
    >>> x = z + rng.standard_normal(20_000)
    >>> y = z + rng.standard_normal(20_000)  # x and y depend on each other only through z
    >>> abs(knn.conditional_mutual_info(x, y, z, random_state=0)) < 0.02
    True
    """
    func = "conditional_mutual_info"
    base = check_base(base)
    rng = as_generator(random_state, func)
    problem = conditional_mutual_info_problem(x, y, z, k=k, standardize=standardize,
                                              noise=noise, rng=rng)
    return finish(problem.estimate(), base)


def kl_divergence(x, y, k=1, metric="euclidean", base=None, noise=1e-10, random_state=None):
    """KL divergence D(P || Q) from samples ``x`` of P and ``y`` of Q (Wang-Kulkarni-Verdu).

    ``D = (d / n) sum_i log(nu_k(i) / rho_k(i)) + log(m / (n - 1))`` with ``rho_k(i)`` the
    distance from x_i to its k-th neighbour among the other x samples and ``nu_k(i)`` the
    distance from x_i to its k-th neighbour among the y samples. The norm constants cancel,
    so the metric only changes which neighbours are found.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)
        Samples of P.
    y : array_like, shape (m,) or (m, d)
        Samples of Q; same dimension d, any number m of samples.
    k : int, default 1
        ``1 <= k <= n - 1`` and ``k <= m``.
    metric : {"euclidean", "chebyshev", "manhattan", "cityblock"} or float, default "euclidean"
    base : float, optional
    noise : float, default 1e-10
        Relative tie-breaking noise, drawn for x's columns then y's. The samples are not
        standardized (that would change the divergence).
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    float
        The raw estimate (may be negative when P and Q are close). With ``noise=0``, a
        duplicated x point gives ``rho_k = 0`` and ``+inf``; an x point that also occurs
        in y (k times) gives ``nu_k = 0`` and ``-inf``.

    Examples
    --------
    >>> import numpy as np
    >>> from infonative import knn
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(0.0, 1.0, 20_000)
    >>> y = rng.normal(1.0, 1.0, 20_000)
    >>> round(knn.kl_divergence(x, y, k=5, random_state=0), 1)  # exact: 1/2
    0.5
    """
    func = "kl_divergence"
    base = check_base(base)
    xs = as_samples(x, "x", func)
    ys = as_samples(y, "y", func)
    if xs.shape[1] != ys.shape[1]:
        raise ValueError(f"{func}: x and y must have the same dimension, got "
                         f"{xs.shape[1]} and {ys.shape[1]}")
    k = check_k(k, xs.shape[0], func, what="samples in x")
    if k > ys.shape[0]:
        raise ValueError(f"{func}: k = {k} needs at least k = {k} samples in y, "
                         f"got {ys.shape[0]}")
    p = metric_to_p(metric, func)
    noise = check_noise(noise, func)
    rng = as_generator(random_state, func)
    xs, ys = prepare([xs, ys], False, noise, rng)
    return finish(_core.knn_kl_divergence(xs, ys, k, p), base)


def mutual_info_mixed(x, labels, k=3, base=None, standardize=True, noise=1e-10,
                      random_state=None):
    """Mutual information between a continuous variable and a discrete one (Ross 2014), the
    estimator of sklearn's ``mutual_info_classif``.

    ``I = psi(N) + < psi(k_i) > - < psi(N_{l_i}) > - < psi(m_i + 1) >`` where ``N_{l_i}``
    is the number of samples with sample i's label, ``k_i = min(k, N_{l_i} - 1)``, the
    radius is the distance to the k_i-th neighbour among the samples with the same label,
    and ``m_i`` counts all other samples strictly within it (max-norm). Samples whose label
    occurs once are dropped first, and N is the number kept.

    Parameters
    ----------
    x : array_like, shape (N,) or (N, d)
        The continuous variable.
    labels : array_like, shape (N,)
        Class labels of any dtype that ``numpy.unique`` sorts (integers, strings, bools,
        floats without NaN).
    k : int, default 3
        ``1 <= k <= N_kept - 1`` (N_kept: samples whose label occurs at least twice).
    base : float, optional
    standardize : bool, default True
        Standardizes ``x`` (all samples, before dropping).
    noise : float, default 1e-10
        Added to ``x`` only.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    float
        The raw estimate (may be slightly negative; sklearn clips it at 0).

    Examples
    --------
    >>> import numpy as np
    >>> from infonative import knn
    >>> rng = np.random.default_rng(0)
    >>> labels = rng.integers(0, 2, 20_000)
    >>> x = rng.standard_normal(20_000) + 10.0 * labels  # labels fully separable
    >>> round(knn.mutual_info_mixed(x, labels, random_state=0), 2)  # exact: log 2 = 0.693
    0.69
    """
    func = "mutual_info_mixed"
    base = check_base(base)
    xs = as_samples(x, "x", func)
    lab = np.asarray(labels)
    if lab.ndim != 1:
        raise ValueError(f"{func}: labels must be 1-D, got shape {lab.shape}")
    if lab.shape[0] != xs.shape[0]:
        raise ValueError(f"{func}: x and labels must have the same number of samples, got "
                         f"{xs.shape[0]} and {lab.shape[0]}")
    if lab.dtype.kind == "c":
        raise TypeError(f"{func}: complex labels are not supported")
    if lab.dtype.kind == "f" and np.isnan(lab).any():
        raise ValueError(f"{func}: labels contain NaN")
    try:
        _, codes, counts = np.unique(lab, return_inverse=True, return_counts=True)
    except TypeError as err:
        raise TypeError(f"{func}: labels must be sortable ({err})") from None
    codes = np.ascontiguousarray(codes.reshape(-1), dtype=np.int64)
    kept = int(counts[counts > 1].sum())
    if kept == 0:
        raise ValueError(f"{func}: every label occurs once; no sample can be used")
    k = check_k(k, kept, func, what="samples whose label occurs at least twice")
    standardize = check_bool(standardize, "standardize", func)
    noise = check_noise(noise, func)
    rng = as_generator(random_state, func)
    (xs,) = prepare([xs], standardize, noise, rng)
    return finish(_core.knn_mutual_info_mixed(xs, codes, k), base)


def transfer_entropy(source, target, k=3, history=1, lag=1, base=None, standardize=True,
                     noise=1e-10, random_state=None):
    """Transfer entropy from ``source`` to ``target``: ``TE = I(Y_t ; X_past | Y_past)``,
    estimated by the Frenzel-Pompe conditional MI (:func:`conditional_mutual_info`) on the
    delay embeddings

    - ``Y_t``: target at time t,
    - ``Y_past = (y_{t-1}, ..., y_{t-history})``,
    - ``X_past = (x_{t-lag}, ..., x_{t-lag-history+1})``,

    for every t whose past exists (t from ``max(history, lag + history - 1)`` to T - 1).

    Parameters
    ----------
    source, target : array_like, shape (T,) or (T, d)
        Time series with the same number of time steps (rows).
    k : int, default 3
        ``1 <= k <= (number of embedded samples) - 1``.
    history : int, default 1
        Number of past values of each series (embedding length), ``>= 1``.
    lag : int, default 1
        Delay of the source's most recent value, ``>= 1``.
    base : float, optional
    standardize : bool, default True
        Standardizes the two series (before embedding).
    noise : float, default 1e-10
        Added to the series before embedding (source columns, then target columns), so a
        value has the same noise in every lagged copy.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    float
        The raw estimate (may be slightly negative).

    Examples
    --------
    >>> import numpy as np
    >>> from infonative import knn
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(20_000)
    >>> y = np.roll(x, 1) + rng.standard_normal(20_000)  # y_t = x_{t-1} + noise
    >>> round(knn.transfer_entropy(x, y, random_state=0), 1)  # exact: log(2) / 2
    0.3
    >>> abs(knn.transfer_entropy(y, x, random_state=0)) < 0.02
    True
    """
    func = "transfer_entropy"
    base = check_base(base)
    rng = as_generator(random_state, func)
    problem = transfer_entropy_problem(source, target, k=k, history=history, lag=lag,
                                       standardize=standardize, noise=noise, rng=rng)
    return finish(problem.estimate(), base)

