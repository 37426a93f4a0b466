"""Drop-in replacements for ``sklearn.feature_selection.mutual_info_regression`` and
``mutual_info_classif`` (scikit-learn 1.9 semantics) on infonative's native kNN engine.

Swapping the import is all a user does: the arguments, their defaults and meaning, the
scaling and noise of continuous variables, the discrete/continuous dispatch and the
clipping of negative estimates at 0 are sklearn's. With an integer (or RandomState)
``random_state`` the noise is drawn from the same ``numpy.random.RandomState`` stream in the
same order as sklearn, so the inputs to the estimator are bitwise identical and the results
agree with sklearn's to rounding (about 1e-15 relative).

Differences, all documented on the functions:

- ``n_jobs`` is accepted and ignored: each per-feature estimate runs on all OpenMP threads
  of the native core (``infonative.set_num_threads`` or ``OMP_NUM_THREADS`` set their
  number; the results do not depend on it).
- ``random_state`` may also be a ``numpy.random.Generator`` (sklearn accepts only None, an
  int or a RandomState).
- scikit-learn is not needed (nor imported); scipy is imported only when a sparse matrix
  is passed.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from . import _core
from ._knn_args import work_array

__all__ = ["mutual_info_classif", "mutual_info_regression"]

_FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.float16))


class InvalidParameterError(ValueError, TypeError):
    """An argument of the wrong type or value (as sklearn's, a ValueError and a TypeError)."""


def _is_sparse(a) -> bool:
    if isinstance(a, np.ndarray) or not type(a).__module__.startswith("scipy.sparse"):
        return False
    import scipy.sparse

    return scipy.sparse.issparse(a)


def _check_params(func, n_neighbors, copy, random_state, n_jobs):
    if isinstance(n_neighbors, (bool, np.bool_)) or not isinstance(n_neighbors,
                                                                   numbers.Integral) \
            or n_neighbors < 1:
        raise InvalidParameterError(f"The 'n_neighbors' parameter of {func} must be an int in "
                                    f"the range [1, inf). Got {n_neighbors!r} instead.")
    if not isinstance(copy, (bool, np.bool_)):
        raise InvalidParameterError(f"The 'copy' parameter of {func} must be an instance of "
                                    f"'bool' or 'numpy.bool'. Got {copy!r} instead.")
    if n_jobs is not None and (isinstance(n_jobs, (bool, np.bool_))
                               or not isinstance(n_jobs, numbers.Integral)):
        raise InvalidParameterError(f"The 'n_jobs' parameter of {func} must be an int or None."
                                    f" Got {n_jobs!r} instead.")
    if not (random_state is None
            or isinstance(random_state, (np.random.RandomState, np.random.Generator))
            or (isinstance(random_state, numbers.Integral)
                and not isinstance(random_state, (bool, np.bool_))
                and 0 <= random_state < 2**32)):
        raise InvalidParameterError(f"The 'random_state' parameter of {func} must be an int in "
                                    f"the range [0, 4294967295], an instance of "
                                    f"'numpy.random.RandomState', a numpy.random.Generator or "
                                    f"None. Got {random_state!r} instead.")
    return int(n_neighbors)


def _standard_normal(rng, size) -> np.ndarray:
    """rng.standard_normal(size=size), bitwise, and rng in the same state afterwards. A
    RandomState's polar method runs natively: its uniforms in order, its logarithms in
    parallel (_core.legacy_standard_normal); over MT19937 (the default) from a copy of its
    state, the generator inlined; a Generator draws as it always does."""
    bit_generator = getattr(rng, "_bit_generator", None)  # numpy >= 1.17
    if not isinstance(rng, np.random.RandomState) or bit_generator is None:
        return rng.standard_normal(size=size)
    shape = (size,) if isinstance(size, numbers.Integral) else tuple(size)
    out = work_array(shape, np.float64)
    if isinstance(bit_generator, np.random.MT19937):
        with bit_generator.lock:
            name, key, pos, has_gauss, gauss = rng.get_state(legacy=True)
            key = np.array(key, dtype=np.uint32)
            pos, has_gauss, gauss = _core.legacy_standard_normal_mt19937(
                key, int(pos), out.reshape(-1), bool(has_gauss), float(gauss))
            rng.set_state((name, key, pos, int(has_gauss), gauss))
        return out
    with bit_generator.lock:
        state = rng.get_state(legacy=False)
        has_gauss, gauss = _core.legacy_standard_normal(
            bit_generator.capsule, out.reshape(-1), bool(state["has_gauss"]),
            float(state["gauss"]))
        state = rng.get_state(legacy=False)  # the bit generator's new state
        state["has_gauss"], state["gauss"] = int(has_gauss), gauss
        rng.set_state(state)
    return out


def _random_state(random_state):
    """sklearn's check_random_state, plus Generators: None is numpy's global RandomState."""
    if random_state is None:
        return np.random.mtrand._rand
    if isinstance(random_state, (np.random.RandomState, np.random.Generator)):
        return random_state
    return np.random.RandomState(random_state)


def _check_X(X):
    """A 2-D numeric array, or a CSC sparse matrix, of finite values (sklearn's check_array
    with dtype="numeric", accept_sparse="csc")."""
    if _is_sparse(X):
        X = X.tocsc()
        data = X.data
        if data.dtype.kind not in "biuf":
            raise ValueError(f"X: sparse data of dtype {data.dtype} is not supported")
        if not np.isfinite(data).all():
            raise ValueError("Input X contains NaN or infinity.")
        if X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(f"Found array with shape {X.shape}; at least one sample and one "
                             f"feature are required.")
        return X
    X = np.asarray(X)
    if X.dtype.kind == "O":
        try:
            X = X.astype(np.float64)
        except (TypeError, ValueError) as err:
            raise ValueError(f"X: could not convert to float: {err}") from None
    if X.dtype.kind == "c":
        raise ValueError("Complex data not supported")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"X: dtype='numeric' is not compatible with arrays of dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(f"Expected 2D array, got {X.ndim}D array instead. Reshape your data "
                         f"either using array.reshape(-1, 1) if your data has a single feature "
                         f"or array.reshape(1, -1) if it contains a single sample.")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"Found array with shape {X.shape}; at least one sample and one "
                         f"feature are required.")
    if X.dtype.kind == "f" and not np.isfinite(X).all():
        raise ValueError("Input X contains NaN or infinity.")
    return X


def _check_y(y, n_samples, discrete_target, func):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn("A column-vector y was passed when a 1d array was expected. Please "
                      "change the shape of y to (n_samples, ), for example using ravel().",
                      UserWarning, stacklevel=3)
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"y should be a 1d array, got an array of shape {y.shape} instead.")
    if y.shape[0] != n_samples:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: "
                         f"[{n_samples}, {y.shape[0]}]")
    if not discrete_target:
        if y.dtype.kind == "O":
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError) as err:
                raise ValueError(f"{func}: y must be numeric: {err}") from None
        if y.dtype.kind not in "biuf":
            raise ValueError(f"{func}: y must be numeric, got dtype {y.dtype}")
        if not np.isfinite(y).all():
            raise ValueError("Input y contains NaN or infinity.")
        return y
    # check_classification_targets: discrete labels only
    if y.dtype.kind == "c":
        raise ValueError("Complex data not supported")
    if y.dtype.kind == "f":
        if not np.isfinite(y).all():
            raise ValueError("Input y contains NaN or infinity.")
        if np.any(y != y.astype(np.int64)):
            raise ValueError("Unknown label type: continuous. Maybe you are trying to fit a "
                             "classifier, which expects discrete classes on a regression "
                             "target with continuous values.")
    return y


def _discrete_mask(discrete_features, n_features, sparse):
    if isinstance(discrete_features, (str, bool, np.bool_)):
        if isinstance(discrete_features, str):
            if discrete_features != "auto":
                raise ValueError("Invalid string value for discrete_features.")
            discrete_features = sparse
        return np.full(n_features, bool(discrete_features))
    features = np.asarray(discrete_features)
    if features.ndim != 1:
        raise ValueError(f"discrete_features must be 'auto', a bool, a boolean mask of shape "
                         f"(n_features,) or an array of feature indices; got shape "
                         f"{features.shape}")
    if features.dtype == bool:
        if features.shape[0] != n_features:
            raise ValueError(f"discrete_features: the boolean mask has {features.shape[0]} "
                             f"entries for {n_features} features")
        return features.copy()
    if features.size and features.dtype.kind not in "iu":
        raise ValueError(f"discrete_features: feature indices must be integers, got dtype "
                         f"{features.dtype}")
    indices = features.astype(np.intp)
    if indices.size and (indices.min() < -n_features or indices.max() >= n_features):
        raise ValueError(f"discrete_features: index out of range for {n_features} features: "
                         f"{indices.tolist()}")
    mask = np.zeros(n_features, dtype=bool)
    mask[indices] = True
    return mask


def _columns(X):
    """The columns of X as 1-D arrays (sparse columns made dense, as sklearn does)."""
    if _is_sparse(X):
        for i in range(X.shape[1]):
            x = np.zeros(X.shape[0])
            start, end = X.indptr[i], X.indptr[i + 1]
            x[X.indices[start:end]] = X.data[start:end]
            yield x
    else:
        for i in range(X.shape[1]):
            yield X[:, i]


def _codes(labels) -> np.ndarray:
    _, inverse = np.unique(labels, return_inverse=True)
    return np.ascontiguousarray(inverse.reshape(-1), dtype=np.int64)


def _contingency_mi(labels_a, labels_b) -> float:
    """sklearn.metrics.mutual_info_score(labels_a, labels_b), with its operations in its order
    (same value to the last bit): I = sum_ij (n_ij / N) log(N n_ij / (a_i b_j))."""
    a = _codes(labels_a)
    b = _codes(labels_b)
    n_a = int(a.max()) + 1
    n_b = int(b.max()) + 1
    if n_a == 1 or n_b == 1:  # one variable is constant: MI = 0
        return 0.0
    cells, nz_val = np.unique(a * n_b + b, return_counts=True)  # row-major, like the CSR table
    nzx, nzy = np.divmod(cells, n_b)
    nz_val = nz_val.astype(np.int64)
    pi = np.bincount(a, minlength=n_a).astype(np.int64)
    pj = np.bincount(b, minlength=n_b).astype(np.int64)
    contingency_sum = nz_val.sum()
    log_contingency_nm = np.log(nz_val)
    contingency_nm = nz_val / contingency_sum
    outer = pi.take(nzx) * pj.take(nzy)
    log_outer = -np.log(outer) + math.log(pi.sum()) + math.log(pj.sum())
    mi = (contingency_nm * (log_contingency_nm - math.log(contingency_sum))
          + contingency_nm * log_outer)
    mi = np.where(np.abs(mi) < np.finfo(mi.dtype).eps, 0.0, mi)
    return float(np.clip(mi.sum(), 0.0, None))


def _column(x) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(x, dtype=np.float64).reshape(-1, 1))


def _mi_cc(x, y, n_neighbors) -> float:
    """KSG algorithm 1 (sklearn's _compute_mi_cc), clipped at 0."""
    if n_neighbors >= x.shape[0]:
        raise ValueError(f"Expected n_neighbors < n_samples, but n_neighbors = {n_neighbors},"
                         f" n_samples = {x.shape[0]}")
    return max(0.0, float(_core.knn_mutual_info([_column(x), _column(y)], n_neighbors, 1)))


def _mi_cd(c, d, n_neighbors) -> float:
    """Ross's continuous-discrete MI (sklearn's _compute_mi_cd), clipped at 0."""
    codes = _codes(d)
    counts = np.bincount(codes)
    kept = int(counts[counts > 1].sum())
    if kept == 0:
        raise ValueError("Every value of the discrete variable occurs once: no sample is left "
                         "for the continuous-discrete estimate.")
    # k_i = min(k, N_label - 1) <= kept - 1, so capping k changes nothing but passes the
    # native core's range check.
    k = min(n_neighbors, kept - 1)
    return max(0.0, float(_core.knn_mutual_info_mixed(_column(c), codes, k)))


def _estimate_mi(X, y, *, discrete_features, discrete_target, n_neighbors, copy,
                 random_state, n_jobs, func):
    n_neighbors = _check_params(func, n_neighbors, copy, random_state, n_jobs)
    X = _check_X(X)
    n_samples, n_features = X.shape
    y = _check_y(y, n_samples, discrete_target, func)
    sparse = _is_sparse(X)
    discrete_mask = _discrete_mask(discrete_features, n_features, sparse)
    continuous_mask = ~discrete_mask
    if np.any(continuous_mask) and sparse:
        raise ValueError("Sparse matrix `X` can't have continuous features.")

    rng = _random_state(random_state)
    # The scaling and noise below repeat sklearn's arithmetic (same operands, same order, same
    # draws), so that the noisy inputs are bitwise sklearn's for the same RandomState; but in
    # place, without sklearn's temporaries (each fresh array costs page faults).
    if np.any(continuous_mask):
        X = X.astype(np.float64, copy=copy)
        # X itself where sklearn's X[:, mask] copy (always Fortran-ordered) equals it in
        # value and layout: numpy's reductions sum in an order that depends on the layout
        in_place = bool(continuous_mask.all()) and X.flags.f_contiguous
        Xc = X if in_place else X[:, continuous_mask]
        # sklearn's nanstd: for finite data (checked above) np.std does the same arithmetic in
        # the same order, without nanstd's NaN mask and copy (bitwise, tested against sklearn)
        scale = np.std(Xc, axis=0)
        scale[scale < 10 * np.finfo(scale.dtype).eps] = 1.0
        Xc /= scale
        means = np.maximum(1, np.mean(np.abs(Xc), axis=0))
        noise = _standard_normal(rng, Xc.shape)
        noise *= 1e-10 * means
        Xc += noise
        if not in_place:
            X[:, continuous_mask] = Xc

    if not discrete_target:
        y = y.astype(y.dtype if y.dtype in _FLOAT_DTYPES else np.float64, copy=True)
        scale = np.std(y, axis=0)  # sklearn's nanstd, as for X
        if scale == 0.0:
            scale = 1.0
        y /= scale
        noise = _standard_normal(rng, n_samples)
        noise *= 1e-10 * np.maximum(1, np.mean(np.abs(y)))
        y += noise

    mi = []
    for x, x_discrete in zip(_columns(X), discrete_mask):
        if x_discrete and discrete_target:
            mi.append(_contingency_mi(x, y))
        elif x_discrete:
            mi.append(_mi_cd(y, x, n_neighbors))
        elif discrete_target:
            mi.append(_mi_cd(x, y, n_neighbors))
        else:
            mi.append(_mi_cc(x, y, n_neighbors))
    return np.array(mi, dtype=np.float64)


_PARAMETERS = """
    Parameters
    ----------
    X : array_like or sparse matrix, shape (n_samples, n_features)
        Feature matrix. A sparse matrix (scipy) may have discrete features only; its
        columns are made dense one at a time.
    y : array_like of shape (n_samples,)
        Target vector.{target}
    discrete_features : {{"auto", bool, array_like}}, default "auto"
        If bool, whether all features are discrete or all continuous. If an array, either a
        boolean mask of shape (n_features,) or the indices of the discrete features. "auto"
        means False for dense X and True for sparse X.
    n_neighbors : int, default 3
        k of the kNN estimators for continuous variables (``1 <= k < n_samples``).
    copy : bool, default True
        Whether to copy X. With False, a float64 X (ndarray) is scaled and made noisy in
        place, as sklearn does.
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator
        Random numbers for the noise added to continuous variables. None uses numpy's
        global RandomState (as sklearn); an int seeds a RandomState, giving sklearn's
        exact noise.
    n_jobs : int or None
        Accepted for compatibility and ignored: every per-feature estimate runs on all the
        OpenMP threads of the native core (see ``infonative.set_num_threads``); the results
        do not depend on the number of threads.

    Returns
    -------
    mi : ndarray of float64, shape (n_features,)
        Estimated mutual information between each feature and the target, in nats; a
        negative estimate is replaced by 0.
"""


def mutual_info_regression(X, y, *, discrete_features="auto", n_neighbors=3, copy=True,
                           random_state=None, n_jobs=None):
    """Mutual information between each feature and a continuous target (sklearn's
    ``mutual_info_regression``, computed by infonative's native kNN engine).

    Continuous features and the target are divided by their standard deviation (ddof=0, no
    centering), then get ``1e-10 * max(1, mean|c|) * N(0, 1)`` noise (features first, as
    one (n_samples, n_continuous) draw, then the target). Per feature:

    - continuous feature: KSG algorithm 1 (Kraskov et al. 2004, max-norm),
      ``I = psi(N) + psi(k) - < psi(n_x + 1) + psi(n_y + 1) >``;
    - discrete feature: Ross's (2014) continuous-discrete estimator with the feature as the
      labels, ``I = psi(N) + < psi(k_i) > - < psi(N_l) > - < psi(m_i + 1) >``.

    Negative estimates are clipped at 0, as in sklearn (``infonative.knn`` returns the raw
    values).
    {parameters}
    Examples
    --------
    >>> import numpy as np
    >>> from infonative.feature_selection import mutual_info_regression
    >>> rng = np.random.RandomState(0)
    >>> X = rng.standard_normal((1000, 3))
    >>> y = X[:, 0] + 0.1 * rng.standard_normal(1000)
    >>> mi = mutual_info_regression(X, y, random_state=0)
    >>> int(np.argmax(mi)), bool(mi[0] > 1.5 and mi[1] < 0.1 and mi[2] < 0.1)
    (0, True)
    """
    return _estimate_mi(X, y, discrete_features=discrete_features, discrete_target=False,
                        n_neighbors=n_neighbors, copy=copy, random_state=random_state,
                        n_jobs=n_jobs, func="mutual_info_regression")


def mutual_info_classif(X, y, *, discrete_features="auto", n_neighbors=3, copy=True,
                        random_state=None, n_jobs=None):
    """Mutual information between each feature and a discrete target (sklearn's
    ``mutual_info_classif``, computed by infonative's native kNN engine).

    Continuous features are divided by their standard deviation (ddof=0, no centering),
    then get ``1e-10 * max(1, mean|c|) * N(0, 1)`` noise (one (n_samples, n_continuous)
    draw); the target is used as labels. Per feature:

    - continuous feature: Ross's (2014) continuous-discrete estimator,
      ``I = psi(N) + < psi(k_i) > - < psi(N_l) > - < psi(m_i + 1) >`` (samples whose class
      occurs once are dropped, ``k_i = min(k, N_l - 1)``);
    - discrete feature: the plug-in MI of the contingency table,
      ``I = sum_ij (n_ij / N) log(N n_ij / (a_i b_j))`` (``sklearn.metrics.mutual_info_score``).

    Negative estimates are clipped at 0, as in sklearn.
    {parameters}
    Examples
    --------
    >>> import numpy as np
    >>> from infonative.feature_selection import mutual_info_classif
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(0, 2, 1000)
    >>> X = np.c_[y + 0.5 * rng.standard_normal(1000), rng.standard_normal(1000)]
    >>> mi = mutual_info_classif(X, y, random_state=0)
    >>> bool(mi[0] > 0.3 and mi[1] < 0.05)
    True
    """
    return _estimate_mi(X, y, discrete_features=discrete_features, discrete_target=True,
                        n_neighbors=n_neighbors, copy=copy, random_state=random_state,
                        n_jobs=n_jobs, func="mutual_info_classif")


if mutual_info_regression.__doc__:  # None under python -OO
    mutual_info_regression.__doc__ = mutual_info_regression.__doc__.format(
        parameters=_PARAMETERS.format(target=""))
    mutual_info_classif.__doc__ = mutual_info_classif.__doc__.format(
        parameters=_PARAMETERS.format(target=" Class labels (integers, strings, ...)."))
