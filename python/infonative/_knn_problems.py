"""The dependence estimators (MI, CMI, TE) as prepared problems: validated, standardized and
noisy arrays in the native argument order, and the native calls on them (results in nats).

The public estimators in ``knn.py`` and the significance helpers share these builders, so a
permutation test or bootstrap draws its noise exactly as the estimator does and its
``statistic`` equals the estimator's value for the same ``random_state``."""

from __future__ import annotations

from typing import List, Optional

import numpy as np

from . import _core
from ._knn_args import (as_samples, check_bool, check_int, check_k, check_noise, prepare,
                        same_length)
from ._knn_embedding import delay_embedding, first_time


class Problem:
    """Prepared arrays of one estimator and its native calls.

    ``arrays`` are C-contiguous, of one dtype, in the native order. The variable that the
    surrogates permute is, for MI, the last one; for CMI ``y``; for TE the source past
    (TE's arrays are (future, source past, target past))."""

    def __init__(self, kind: str, arrays: List[np.ndarray], k: int,
                 algorithm: Optional[int] = None):
        self.kind = kind
        self.arrays = arrays
        self.k = k
        self.algorithm = algorithm
        self.n_samples = arrays[0].shape[0]

    def estimate(self, rows: Optional[np.ndarray] = None) -> float:
        """The estimate in nats, on all rows or on the rows ``rows`` (a bootstrap replicate)."""
        arrays = self.arrays if rows is None else [a[rows] for a in self.arrays]
        if self.kind == "mutual_info":
            return float(_core.knn_mutual_info(arrays, self.k, self.algorithm))
        x, y, z = arrays
        return float(_core.knn_conditional_mutual_info(x, y, z, self.k))

    def surrogates(self, permutations: np.ndarray) -> np.ndarray:
        """float64 (P,): the estimate with the permuted variable's rows reordered by each row
        of ``permutations`` (int64 (P, N)), computed in parallel by the native core."""
        if self.kind == "mutual_info":
            return _core.knn_mutual_info_surrogates(self.arrays, self.k, self.algorithm,
                                                   permutations)
        x, y, z = self.arrays
        return _core.knn_conditional_mutual_info_surrogates(x, y, z, self.k, permutations)


def _common(func, standardize, noise):
    return check_bool(standardize, "standardize", func), check_noise(noise, func)


def mutual_info_problem(variables, *, k, algorithm, standardize, noise, rng,
                        func="mutual_info") -> Problem:
    if len(variables) < 2:
        raise TypeError(f"{func}: needs at least two variables, got {len(variables)}")
    names = ["x", "y"] + [f"variable {i}" for i in range(2, len(variables))]
    arrays = [as_samples(v, nm, func) for v, nm in zip(variables, names)]
    n = same_length(arrays, names, func)
    k = check_k(k, n, func)
    if isinstance(algorithm, (bool, np.bool_)) or algorithm not in (1, 2):
        raise ValueError(f"{func}: algorithm must be 1 or 2 (KSG), got {algorithm!r}")
    standardize, noise = _common(func, standardize, noise)
    return Problem("mutual_info", prepare(arrays, standardize, noise, rng), k, int(algorithm))


def conditional_mutual_info_problem(x, y, z, *, k, standardize, noise, rng,
                                    func="conditional_mutual_info") -> Problem:
    names = ["x", "y", "z"]
    arrays = [as_samples(v, nm, func) for v, nm in zip((x, y, z), names)]
    n = same_length(arrays, names, func)
    k = check_k(k, n, func)
    standardize, noise = _common(func, standardize, noise)
    return Problem("conditional_mutual_info", prepare(arrays, standardize, noise, rng), k)


def transfer_entropy_problem(source, target, *, k, history, lag, standardize, noise, rng,
                             func="transfer_entropy") -> Problem:
    names = ["source", "target"]
    arrays = [as_samples(v, nm, func) for v, nm in zip((source, target), names)]
    t_len = same_length(arrays, names, func)
    history = check_int(history, "history", func, 1)
    lag = check_int(lag, "lag", func, 1)
    t0 = first_time(history, lag)
    k = check_k(k, max(t_len - t0, 0), func,
                what=f"embedded samples (time steps from t = {t0} on, for history = "
                     f"{history} and lag = {lag}; the series have {t_len})")
    standardize, noise = _common(func, standardize, noise)
    # Standardize and noise act on the series, so every lagged copy of a value is the same
    # number in every embedding column it appears in.
    source, target = prepare(arrays, standardize, noise, rng)
    future, source_past, target_past = delay_embedding(source, target, history, lag)
    return Problem("transfer_entropy", [future, source_past, target_past], k)
