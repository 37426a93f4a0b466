"""Argument handling shared by the kNN estimators: samples, k, metric, random state, and the
standardize / noise steps that come before the native call."""

from __future__ import annotations

import math
import numbers
from typing import List, Sequence

import numpy as np

from . import _core

_METRICS = {
    "chebyshev": math.inf,
    "euclidean": 2.0,
    "manhattan": 1.0,
    "cityblock": 1.0,
}


def as_samples(a, name: str, func: str) -> np.ndarray:
    """A 2-D (N, d) array of samples, rows are samples; (N,) means d = 1.

    float32 stays float32, every other real dtype (bool, integers, float16, float64, long
    double) becomes float64. Complex, object, string and datetime inputs are a TypeError;
    a wrong number of dimensions, no samples, no columns, NaN or inf a ValueError. The
    array is the caller's own buffer when it already has the right dtype and layout."""
    arr = np.asarray(a)
    dt = arr.dtype
    if dt.kind == "c":
        raise TypeError(f"{func}: {name} is complex (dtype {dt}); only real samples are supported")
    if dt.kind not in "biuf":
        raise TypeError(f"{func}: {name} must hold real numbers, got dtype {dt}")
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    elif arr.ndim != 2:
        raise ValueError(f"{func}: {name} must have shape (N,) or (N, d), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{func}: {name} has no samples (shape {arr.shape})")
    if arr.shape[1] == 0:
        raise ValueError(f"{func}: {name} has no columns (shape {arr.shape})")
    target = np.float32 if dt.kind == "f" and dt.itemsize == 4 else np.float64  # any byte order
    arr = np.require(arr, dtype=target, requirements=["C", "A"])  # no copy when already so
    if not np.isfinite(arr).all():
        raise ValueError(f"{func}: {name} contains NaN or inf")
    return arr


def common_dtype(arrays: Sequence[np.ndarray]) -> np.dtype:
    """float32 when every array is float32, float64 otherwise (one dtype per native call)."""
    if all(a.dtype == np.float32 for a in arrays):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def same_length(arrays: Sequence[np.ndarray], names: Sequence[str], func: str) -> int:
    n = arrays[0].shape[0]
    if any(arr.shape[0] != n for arr in arrays):
        lengths = ", ".join(f"{nm}: {a.shape[0]}" for a, nm in zip(arrays, names))
        raise ValueError(f"{func}: the variables must have the same number of samples "
                         f"(rows), got {lengths}")
    return n


def check_int(value, name: str, func: str, low: int, high=None) -> int:
    """An int (Python or numpy integer, not bool) with low <= value (<= high)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{func}: {name} must be an integer, got {value!r}")
    value = int(value)
    if value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{func}: {name} must be {bound}, got {value}")
    return value


def check_k(k, n: int, func: str, what: str = "samples") -> int:
    """1 <= k <= n - 1: the k-th neighbour of a point among the n - 1 others must exist."""
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral):
        raise ValueError(f"{func}: k must be an integer, got {k!r}")
    k = int(k)
    if k < 1:
        raise ValueError(f"{func}: k must be >= 1, got {k}")
    if k >= n:
        raise ValueError(f"{func}: k = {k} needs at least k + 1 = {k + 1} {what}, got {n}")
    return k


def metric_to_p(metric, func: str) -> float:
    """Minkowski exponent of a metric name, or a number p >= 1 (math.inf: max-norm)."""
    if isinstance(metric, str):
        try:
            return _METRICS[metric.lower()]
        except KeyError:
            raise ValueError(f"{func}: unknown metric {metric!r}; use one of "
                             f"{sorted(_METRICS)} or a number p >= 1") from None
    if isinstance(metric, (bool, np.bool_)) or not isinstance(metric, numbers.Real):
        raise ValueError(f"{func}: metric must be a name or a number p >= 1, got {metric!r}")
    p = float(metric)
    if not p >= 1.0:  # also catches NaN
        raise ValueError(f"{func}: the Minkowski exponent p must be >= 1, got {metric!r}")
    return p


def check_noise(noise, func: str) -> float:
    if isinstance(noise, (bool, np.bool_)) or not isinstance(noise, numbers.Real):
        raise ValueError(f"{func}: noise must be a number >= 0, got {noise!r}")
    noise = float(noise)
    if not (noise >= 0.0 and math.isfinite(noise)):
        raise ValueError(f"{func}: noise must be finite and >= 0, got {noise!r}")
    return noise


def check_bool(value, name: str, func: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{func}: {name} must be True or False, got {value!r}")
    return bool(value)


def as_generator(random_state, func: str) -> np.random.Generator:
    """None (fresh OS entropy), an int seed, or a numpy Generator (used as is, its state
    advances). SeedSequence and BitGenerator work as in numpy.random.default_rng."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        raise TypeError(f"{func}: random_state must be None, an int or a numpy.random.Generator;"
                        f" for a legacy RandomState pass np.random.default_rng(seed) instead")
    if isinstance(random_state, (bool, np.bool_)):
        raise TypeError(f"{func}: random_state must be None, an int or a "
                        f"numpy.random.Generator, got {random_state!r}")
    if random_state is None or isinstance(
            random_state, (numbers.Integral, np.random.SeedSequence, np.random.BitGenerator)):
        try:
            return np.random.default_rng(random_state)
        except ValueError as err:  # negative seeds
            raise ValueError(f"{func}: invalid random_state {random_state!r}: {err}") from None
    raise TypeError(f"{func}: random_state must be None, an int or a numpy.random.Generator, "
                    f"got {type(random_state).__name__}")


def work_array(shape, dtype) -> np.ndarray:
    """An uninitialised C-ordered array, from the buffer cache at any size it keeps (64 KiB
    on): the noisy copies and draws are made anew on every call, and fresh memory costs a page
    fault per 4 KiB page on first touch (see set_output_cache_limit)."""
    return _core.empty_output(shape, np.dtype(dtype), 0)


def prepare(arrays: Sequence[np.ndarray], standardize: bool, noise: float,
            rng: np.random.Generator) -> List[np.ndarray]:
    """The arrays the native call gets: one common dtype (float32 only if all are), then
    standardized, then noisy. The caller's buffers are never written; an array that needs
    none of the steps is passed through without a copy.

    standardize: each column divided by its standard deviation (ddof=0, no centering), as
    sklearn's ``scale(with_mean=False)``; constant columns (std 0) stay as they are. Unlike
    sklearn's absolute 10 eps floor (kept in feature_selection), any positive std counts, so
    the estimate is scale invariant down to the smallest scales.

    noise (sklearn's tie-breaking): column c gets ``noise * max(1, mean|c|) * z`` after
    standardizing (mean|c| summed in float64 in row order), z standard normal: deviate ``c * N + r`` of a seed of 64 bits that each
    variable draws from ``rng`` in the given order (``_core.counter_normals``: each deviate is
    a function of (seed, index), so they are drawn in parallel). float32 columns get the
    noise rounded to float32, so noise below float32 resolution vanishes."""
    dtype = common_dtype(arrays)
    out = []
    for arr in arrays:
        work = arr.astype(dtype, copy=False)
        owned = work is not arr
        if standardize:
            std = np.std(work, axis=0, dtype=np.float64)
            std[std == 0] = 1.0
            # divided in float64: a float32 column's std may lie below float32's range
            if dtype == np.float64:
                work = np.divide(work, std, out=work_array(work.shape, dtype))
            else:
                work = np.ascontiguousarray((work / std).astype(dtype, copy=False))
            owned = True
        if noise > 0.0:
            if not owned:
                copy = work_array(work.shape, dtype)
                np.copyto(copy, work)
                work = copy
            seed = int(rng.integers(0, 2**64, dtype=np.uint64))
            _core.add_counter_noise(work, noise, seed)
        out.append(np.ascontiguousarray(work))
    return out


def finish(nats: float, base) -> float:
    """Python float, in nats or divided by log(base)."""
    value = float(nats)
    if base is not None:
        value /= math.log(base)
    return value
