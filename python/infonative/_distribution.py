"""Shannon entropy and relative entropy of distributions (scipy.stats.entropy)."""

from __future__ import annotations

import numpy as np

from . import _core
from ._arrays import (as_float_array, check_base, common_float_dtype, finish_reduction,
                      reduction_axes, rows_view)

_NAN_POLICIES = ("propagate", "raise", "omit")


def entropy(pk, qk=None, base=None, axis=0, *, keepdims=False, nan_policy="propagate"):
    """Shannon entropy of ``pk``, or the relative entropy ``KL(pk || qk)`` when ``qk`` is given.

    Drop-in for :func:`scipy.stats.entropy`: ``pk`` (and ``qk``) are normalised to sum 1
    along ``axis``; ``H = -sum p log p`` with ``0 log 0 = 0``; ``D = sum p log(p / q)``, with
    terms 0 where ``p = 0`` and ``+inf`` where ``p > 0 = q``. ``pk`` and ``qk`` broadcast.
    Units are nats unless ``base``. Computed in float64 for every input dtype, returned in
    the input's floating dtype. Negative entries raise ValueError; a row summing to zero (or
    holding inf or NaN) gives NaN, as in scipy.

    nan_policy: "propagate" (default) or "raise"; "omit" is not implemented.

    >>> import infonative as inf
    >>> float(inf.entropy([0.5, 0.5], base=2))
    1.0
    """
    if nan_policy not in _NAN_POLICIES:
        raise ValueError(f"entropy: nan_policy must be one of {_NAN_POLICIES}, got {nan_policy!r}")
    if nan_policy == "omit":
        raise NotImplementedError("entropy: nan_policy='omit' is not implemented")
    base = check_base(base)
    p = as_float_array(pk, "entropy")
    q = None if qk is None else as_float_array(qk, "entropy")
    if q is not None:
        try:
            shape = np.broadcast_shapes(p.shape, q.shape)
        except ValueError:
            raise ValueError(f"entropy: pk and qk shapes {p.shape} and {q.shape} do not "
                             f"broadcast") from None
        dtype = common_float_dtype(p, q)
        p = np.broadcast_to(p.astype(dtype, copy=False), shape)
        q = np.broadcast_to(q.astype(dtype, copy=False), shape)
    else:
        dtype = p.dtype
    if nan_policy == "raise" and (np.isnan(p).any() or (q is not None and np.isnan(q).any())):
        raise ValueError("entropy: the input contains NaN")
    axes = reduction_axes(p.ndim, axis)
    p2d, kept = rows_view(p, axes)
    if q is None:
        values = _core.entropy_rows(p2d)
    else:
        q2d, _ = rows_view(q, axes)
        values = _core.relative_entropy_rows(p2d, q2d)
    result_dtype = dtype if dtype.kind == "f" or dtype.name == "bfloat16" else np.float64
    return finish_reduction(values, kept, axes, p.ndim, keepdims, result_dtype, base)
