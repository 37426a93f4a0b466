"""Measures straight from logits: entropy, KL divergence, cross-entropy loss."""

from __future__ import annotations

import numpy as np

from . import _core
from ._arrays import (as_float_array, check_base, common_float_dtype, finish_reduction,
                      reduction_axes, rows_view)


def entropy_from_logits(logits, axis=-1, base=None):
    """Shannon entropy of ``softmax(logits)`` along ``axis``, without materialising it.

    ``H = logsumexp(a) - sum_i softmax(a)_i a_i`` (nats, or units of ``base``), one pass
    over each row; exact zeros of the softmax (``-inf`` logits) contribute nothing.
    Half-precision logits are accumulated in float32 and never overflow. Rows with NaN or
    +inf, or with only -inf, give NaN. The result has ``logits.dtype`` and the shape of
    ``logits`` without ``axis``.

    >>> import infonative as inf
    >>> round(float(inf.entropy_from_logits([0.0, 0.0], base=2)), 12)
    1.0
    """
    arr = as_float_array(logits, "entropy_from_logits")
    base = check_base(base)
    axes = reduction_axes(arr.ndim, axis)
    x2d, kept = rows_view(arr, axes)
    values = _core.entropy_from_logits_rows(x2d)
    return finish_reduction(values, kept, axes, arr.ndim, False, arr.dtype, base)


def kl_divergence_from_logits(p_logits, q_logits, axis=-1, base=None):
    """KL divergence ``KL(P || Q)`` between categoricals ``P = softmax(p_logits)`` and
    ``Q = softmax(q_logits)`` along ``axis``, in one fused pass.

    ``KL = sum_i p_i (a_i - c_i) - logsumexp(a) + logsumexp(c)``, evaluated relative to
    each row's maxima so that the large terms cancel exactly. Both inputs must have the same
    shape. +inf where Q is zero and P is not; NaN for rows with NaN or +inf.

    >>> import infonative as inf
    >>> float(inf.kl_divergence_from_logits([1.0, 2.0], [1.0, 2.0]))
    0.0
    """
    a = as_float_array(p_logits, "kl_divergence_from_logits")
    c = as_float_array(q_logits, "kl_divergence_from_logits")
    if a.shape != c.shape:
        raise ValueError(f"kl_divergence_from_logits: p_logits and q_logits must have the same "
                         f"shape, got {a.shape} and {c.shape}")
    base = check_base(base)
    dtype = common_float_dtype(a, c)
    a, c = a.astype(dtype, copy=False), c.astype(dtype, copy=False)
    axes = reduction_axes(a.ndim, axis)
    a2d, kept = rows_view(a, axes)
    c2d, _ = rows_view(c, axes)
    values = _core.kl_divergence_from_logits_rows(a2d, c2d)
    return finish_reduction(values, kept, axes, a.ndim, False, dtype, base)


_REDUCTIONS = ("none", "mean", "sum")


def cross_entropy_loss(logits, target, weight=None, ignore_index=-100, reduction="mean",
                       label_smoothing=0.0):
    """Cross-entropy loss with the semantics of ``torch.nn.functional.cross_entropy``.

    ``logits`` has shape ``(N, C)`` (or ``(C,)`` for one sample). ``target`` is either an
    integer array ``(N,)`` of class indices or a float array ``(N, C)`` of class
    probabilities. With class indices, smoothing ``eps`` and class weights ``w``::

        loss_n = (1 - eps) w_{y_n} (LSE_n - a_{n, y_n}) + eps / C sum_c w_c (LSE_n - a_{n, c})

    rows whose target equals ``ignore_index`` contribute 0, and ``reduction="mean"`` divides
    by the sum of ``w_{y_n}`` over the other rows (NaN if there are none), as torch does.
    With probability targets ``loss_n = -sum_c w_c t'_{n,c} log_softmax(a_n)_c`` where
    ``t' = (1 - eps) t + eps / C``, and "mean" divides by N.

    Returns an array of shape ``(N,)`` for ``reduction="none"``, else a scalar, in the
    logits' dtype (half precision computed in float32).

    >>> import infonative as inf
    >>> round(float(inf.cross_entropy_loss([[0.0, 0.0]], [1])), 12)
    0.693147180560
    """
    arr = as_float_array(logits, "cross_entropy_loss")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"cross_entropy_loss: reduction must be one of {_REDUCTIONS}, "
                         f"got {reduction!r}")
    label_smoothing = float(label_smoothing)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy_loss: label_smoothing must be in [0, 1], "
                         f"got {label_smoothing}")
    if arr.ndim not in (1, 2):
        raise ValueError(f"cross_entropy_loss: logits must have shape (N, C) or (C,), "
                         f"got {arr.shape}")
    single = arr.ndim == 1
    x2d = arr[None, :] if single else arr
    n_rows, n_classes = x2d.shape
    target = np.asarray(target)
    w = None
    if weight is not None:
        w = as_float_array(weight, "cross_entropy_loss weight").astype(np.float64, copy=False)
        if w.shape != (n_classes,):
            raise ValueError(f"cross_entropy_loss: weight must have shape ({n_classes},), "
                             f"got {w.shape}")
    if target.dtype.kind == "f" or target.dtype.name == "bfloat16":
        losses, denominator = _probability_targets(x2d, target, w, label_smoothing, single)
        return _reduce(losses, denominator, reduction, single, arr.dtype)
    if target.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy_loss: target must hold class indices (integers) or "
                        f"probabilities (floats), got dtype {target.dtype}")
    t = target.reshape(1) if single and target.ndim == 0 else target
    if t.shape != (n_rows,):
        raise ValueError(f"cross_entropy_loss: target must have shape ({n_rows},), "
                         f"got {target.shape}")
    nll, smooth, target_weight = _core.cross_entropy_rows(
        x2d, t.astype(np.int64, copy=False), w, int(ignore_index), label_smoothing > 0)
    # torch composes (1 - eps) * nll_loss + eps / C * smooth_loss, each reduced on its own.
    share = label_smoothing / n_classes
    if reduction == "none":
        losses = (1 - label_smoothing) * nll + (share * smooth if smooth is not None else 0.0)
        return _reduce(losses, None, reduction, single, arr.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        denominator = target_weight.sum() if reduction == "mean" else 1.0
        value = (1 - label_smoothing) * (nll.sum() / denominator)
        if smooth is not None:
            value = value + share * (smooth.sum() / denominator)
    return arr.dtype.type(value)


def _reduce(losses, denominator, reduction, single, dtype):
    if reduction == "none":
        out = losses[0] if single else losses
        return np.asarray(out).astype(dtype)[()]
    total = losses.sum()
    if reduction == "sum":
        return dtype.type(total)
    with np.errstate(invalid="ignore", divide="ignore"):
        return dtype.type(total / denominator)


def _probability_targets(x2d, target, w, label_smoothing, single):
    probs = np.asarray(target, dtype=np.float64)
    if single and probs.ndim == 1:
        probs = probs[None, :]
    if probs.shape != x2d.shape:
        raise ValueError(f"cross_entropy_loss: probability targets must have the logits' "
                         f"shape {x2d.shape}, got {probs.shape}")
    n_classes = x2d.shape[1]
    if label_smoothing > 0:
        probs = probs * (1 - label_smoothing) + label_smoothing / n_classes
    if w is not None:
        probs = probs * w
    # -sum_c t_c log_softmax_c = sum_c t_c (LSE - a_c): every term is >= 0, no cancellation.
    lse = _core.logsumexp_rows(x2d)
    logits64 = x2d.astype(np.float64)
    with np.errstate(invalid="ignore"):
        losses = np.einsum("nc,nc->n", probs, lse[:, None] - logits64)
    return losses, float(x2d.shape[0])
