"""logsumexp, softmax, log_softmax: scipy.special-compatible front ends of the native core."""

from __future__ import annotations

import numpy as np

from . import _core
from ._arrays import (as_float_array, common_float_dtype, finish_reduction, output_like,
                      reduction_axes, rows_view)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """Log of the sum of exponentials, ``log(sum(b * exp(a)))``, computed without overflow.

    Drop-in for :func:`scipy.special.logsumexp` (same arguments and conventions).

    Uses the accurate form ``m + log(c) + log1p(s / c)``: m the maximum, c the number of
    entries (or sum of weights) at the maximum, s the sum of the others relative to it, so
    ``logsumexp([0, -40]) == 4.248354255291589e-18``. Half-precision input is accumulated
    in float32 or wider and never overflows; the result has the input's dtype.

    Edge cases (as scipy): an empty reduction gives -inf; NaN anywhere gives NaN; +inf gives
    +inf (NaN if weights of both signs meet it); entries with ``b == 0`` are ignored even if
    inf or NaN. Without ``return_sign`` a negative weighted sum gives NaN.

    Parameters
    ----------
    a : array_like
    axis : None, int or tuple of ints
        Axes to reduce; None reduces all.
    b : array_like, optional
        Weights broadcastable to ``a``; may be zero or negative.
    keepdims : bool
    return_sign : bool
        If True, return ``(res, sgn)`` with ``sgn`` in {-1, 0, 1}.

    Examples
    --------
    >>> import infonative as inf
    >>> float(inf.logsumexp([1000.0, 1000.0]))
    1000.6931471805599
    """
    arr = as_float_array(a, "logsumexp")
    if b is not None:
        weights = as_float_array(b, "logsumexp")
        dtype = common_float_dtype(arr, weights)
        shape = np.broadcast_shapes(arr.shape, weights.shape)
        arr = np.broadcast_to(arr.astype(dtype, copy=False), shape)
        weights = np.broadcast_to(weights.astype(np.float64, copy=False), shape)
    else:
        dtype = arr.dtype
    axes = reduction_axes(arr.ndim, axis)
    x2d, kept = rows_view(arr, axes)
    if b is None:
        lse = _core.logsumexp_rows(x2d)
        sign = None
        if return_sign:  # scipy: 1, except 0 for -inf (an empty sum) and NaN for NaN
            sign = np.where(np.isnan(lse), np.nan, np.where(lse == -np.inf, 0.0, 1.0))
    else:
        b2d, _ = rows_view(weights, axes)
        lse, sign = _core.logsumexp_weighted_rows(x2d, b2d)
        if not return_sign:
            lse = np.where(sign < 0, np.nan, lse)
    out = finish_reduction(lse, kept, axes, arr.ndim, keepdims, dtype)
    if return_sign:
        return out, finish_reduction(sign, kept, axes, arr.ndim, keepdims, dtype)
    return out


def _softmax_like(x, axis, native, name):
    arr = as_float_array(x, name)
    axes = reduction_axes(arr.ndim, axis)
    x2d, _ = rows_view(arr, axes)
    out, out2d = output_like(arr, axes)
    native(x2d, out2d)
    if not out.flags.c_contiguous:
        out = np.ascontiguousarray(out)
    return out[()] if out.ndim == 0 else out


def softmax(x, axis=None):
    """Softmax ``exp(x - logsumexp(x))`` along ``axis`` (None: the whole array).

    Drop-in for :func:`scipy.special.softmax`; same shape and dtype as ``x``. Rows with NaN,
    +inf, or only -inf give NaN, as in scipy. Half precision is computed in float32.

    >>> import infonative as inf
    >>> inf.softmax([0.0, 0.0]).tolist()
    [0.5, 0.5]
    """
    return _softmax_like(x, axis, _core.softmax_rows, "softmax")


def log_softmax(x, axis=None):
    """Logarithm of softmax, ``(x - m) - log(sum exp(x - m))`` with m the maximum.

    Drop-in for :func:`scipy.special.log_softmax`: accurate where softmax underflows, same
    shape and dtype as ``x``; a +inf entry gives NaN there and -inf elsewhere, as in scipy.

    >>> import infonative as inf
    >>> inf.log_softmax([0.0, -1000.0]).tolist()
    [0.0, -1000.0]
    """
    return _softmax_like(x, axis, _core.log_softmax_rows, "log_softmax")
