"""Argument handling shared by the public functions: dtypes, axes, and the 2-D row views
that the native core takes (rows x reduced axis, any strides)."""

from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from . import _core

try:  # numpy >= 2
    from numpy.lib.array_utils import normalize_axis_tuple
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.numeric import normalize_axis_tuple

Axis = Union[None, int, Sequence[int]]


def is_bfloat16(dtype: np.dtype) -> bool:
    return dtype.itemsize == 2 and dtype.kind == "V" and dtype.name == "bfloat16"


def as_float_array(a, name: str) -> np.ndarray:
    """numpy array of a dtype the core computes with: float16/32/64 or bfloat16 as given,
    bool and integers as float64 (scipy's promotion); anything else is a TypeError."""
    arr = np.asarray(a)
    if not arr.dtype.isnative:  # the kernels read native byte order
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if not arr.flags.aligned:  # e.g. a packed structured field: the kernels need aligned items
        arr = arr.copy()
    dt = arr.dtype
    if dt.kind == "f":
        if dt.itemsize in (2, 4, 8):
            return arr
        return arr.astype(np.float64)  # long double: computed in float64
    if is_bfloat16(dt):
        return arr
    if dt.kind in "biu":
        return arr.astype(np.float64)
    if dt.kind == "c":
        raise TypeError(f"{name}: complex input is not supported (got dtype {dt})")
    raise TypeError(f"{name}: expected a real floating-point array, got dtype {dt}")


def common_float_dtype(*arrays: np.ndarray) -> np.dtype:
    """The dtype two float inputs are computed in (numpy promotion; bfloat16 with itself)."""
    dtypes = [a.dtype for a in arrays]
    if all(d == dtypes[0] for d in dtypes):
        return dtypes[0]
    if any(is_bfloat16(d) for d in dtypes):  # bfloat16 with another float: widen to float32+
        others = [d for d in dtypes if not is_bfloat16(d)]
        return np.result_type(np.float32, *others)
    return np.result_type(*dtypes)


def reduction_axes(ndim: int, axis: Axis) -> Tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    return normalize_axis_tuple(axis, ndim)


def rows_view(arr: np.ndarray, axes: Tuple[int, ...]) -> Tuple[np.ndarray, Tuple[int, ...]]:
    """(rows, cols) view of arr with `axes` flattened along the columns, and the shape of the
    kept axes. numpy makes a copy only where no single-strided view exists."""
    ndim = arr.ndim
    trailing = tuple(range(ndim - len(axes), ndim))
    # The common case (axis=-1 or None) needs no axis move, and moveaxis costs microseconds.
    moved = arr if axes == trailing else np.moveaxis(arr, axes, trailing)
    kept_shape = moved.shape[: ndim - len(axes)]
    rows = math.prod(kept_shape)
    cols = math.prod(moved.shape[ndim - len(axes):])
    return moved.reshape(rows, cols), kept_shape


def output_like(arr: np.ndarray, axes: Tuple[int, ...]) -> Tuple[np.ndarray, np.ndarray]:
    """A new C-ordered array of arr's shape and dtype, and a writable (rows, cols) view of it
    matching rows_view(arr, axes). Falls back to moved-axis storage where the axes interleave
    so that no view exists (the result is then made C-ordered at the end by the caller).
    Large outputs come from the output buffer cache (see set_output_cache_limit)."""
    out = _core.empty_output(arr.shape, arr.dtype)
    ndim = arr.ndim
    destination = tuple(range(ndim - len(axes), ndim))
    moved = out if axes == destination else np.moveaxis(out, axes, destination)
    rows = math.prod(moved.shape[: ndim - len(axes)])
    cols = math.prod(moved.shape[ndim - len(axes):])
    view = moved.reshape(rows, cols)
    if view.size == 0 or np.may_share_memory(view, out):
        return out, view
    moved_out = _core.empty_output(moved.shape, arr.dtype)
    return np.moveaxis(moved_out, destination, axes), moved_out.reshape(rows, cols)


def finish_reduction(values: np.ndarray, kept_shape, axes, ndim: int, keepdims: bool,
                     dtype: np.dtype, base: Optional[float] = None):
    """Per-row float64 results -> the caller's shape and dtype (numpy scalar when 0-d)."""
    if base is not None:
        values = values / np.log(base)
    out = values.reshape(kept_shape)
    if keepdims:
        for ax in sorted(axes):
            out = np.expand_dims(out, ax)
    out = out.astype(dtype, copy=False)
    return out[()] if out.ndim == 0 else out


def check_base(base) -> Optional[float]:
    if base is None:
        return None
    base = float(base)
    if not (base > 0 and base != 1 and math.isfinite(base)):
        raise ValueError(f"base must be positive, finite and != 1, got {base}")
    return base
