"""Shared helpers for the infonative test suite.

References are always computed independently of infonative: scipy / torch / mpmath, or plain
float64 numpy.  Tolerances are derived from the precision of the result dtype, never tuned to
make a test pass.
"""

from __future__ import annotations

import contextlib
import warnings

import ml_dtypes
import numpy as np
import pytest


# hypothesis imports libcst lazily to propose a patch when a property test fails; that import
# emits a DeprecationWarning (mypy_extensions.TypedDict) which `filterwarnings = error` turns into
# an INTERNALERROR aborting the whole session.  Import it once here with the warning silenced.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import hypothesis.extra._patching  # noqa: F401
    except Exception:  # pragma: no cover - optional dependency (libcst) missing or broken
        pass

BF16 = np.dtype(ml_dtypes.bfloat16)
F16 = np.dtype(np.float16)
F32 = np.dtype(np.float32)
F64 = np.dtype(np.float64)

#: every floating dtype the library accepts
FLOAT_DTYPES = [F16, BF16, F32, F64]
#: dtypes that are computed in at least float32 and returned in float32/float64
WIDE_DTYPES = [F32, F64]
HALF_DTYPES = [F16, BF16]
#: non-floating inputs that are converted to float64 (as scipy does)
INT_DTYPES = [np.dtype(np.bool_), np.dtype(np.int8), np.dtype(np.int32), np.dtype(np.int64),
              np.dtype(np.uint16)]

DTYPE_IDS = {F16: "float16", BF16: "bfloat16", F32: "float32", F64: "float64"}


def dtype_id(dt) -> str:
    return DTYPE_IDS.get(np.dtype(dt), np.dtype(dt).name)


def to_float64_truth(a) -> np.ndarray:
    """The exact float64 values of the (possibly half precision) input."""
    return np.asarray(a).astype(np.float64)


def rel_eps(dtype) -> float:
    """Machine epsilon of the result dtype."""
    dt = np.dtype(dtype)
    if dt == BF16:
        return float(ml_dtypes.finfo(ml_dtypes.bfloat16).eps)
    return float(np.finfo(dt).eps)


def tols(dtype):
    """(rtol, atol-per-unit-magnitude) for results of the given dtype computed by a kernel.

    float64: rtol 1e-13 (~450 eps); float32: rtol 1e-5 (~80 eps); the absolute part is
    multiplied by the magnitude of the inputs by the callers (`scaled_atol`)."""
    dt = np.dtype(dtype)
    if dt == F64:
        return 1e-13, 1e-13
    if dt == F32:
        return 1e-5, 2e-6
    raise ValueError(f"use ulp checks for {dt}")


def magnitude(a) -> float:
    """max(1, max |finite a|): the scale that absolute rounding errors of LSE-like results have."""
    a = to_float64_truth(a)
    fin = a[np.isfinite(a)]
    if fin.size == 0:
        return 1.0
    return max(1.0, float(np.max(np.abs(fin))))


def assert_close(got, expected, rtol, atol=0.0, err_msg=""):
    """allclose with NaN == NaN and +-inf compared exactly; accepts bfloat16."""
    got64 = to_float64_truth(got)
    exp64 = to_float64_truth(expected)
    assert got64.shape == exp64.shape, (got64.shape, exp64.shape)
    np.testing.assert_allclose(got64, exp64, rtol=rtol, atol=atol, equal_nan=True,
                               err_msg=err_msg)


def ulp_of(truth64: np.ndarray, dtype) -> np.ndarray:
    """Unit in the last place of `dtype` at the float64 truth (rounded to dtype first):
    2**(exponent - precision + 1), floored at the smallest subnormal (finite at the max)."""
    dt = np.dtype(dtype)
    if dt == F16:
        prec, min_sub = 11, 2.0 ** -24
    elif dt == BF16:
        prec, min_sub = 8, 2.0 ** -133
    elif dt == F32:
        prec, min_sub = 24, 2.0 ** -149
    else:
        prec, min_sub = 53, 2.0 ** -1074
    t = np.abs(np.asarray(truth64, dtype=np.float64).astype(dt).astype(np.float64))
    _, e = np.frexp(t)  # t = m * 2**e, 0.5 <= m < 1
    return np.where(t == 0, min_sub, np.maximum(np.ldexp(1.0, e - prec), min_sub))


def assert_within_ulp(got, truth64, dtype, max_ulp=0.52):
    """got (of `dtype`) within max_ulp units in the last place of the float64 truth."""
    got = np.asarray(got)
    assert got.dtype == np.dtype(dtype), (got.dtype, dtype)
    truth64 = np.asarray(truth64, dtype=np.float64)
    g = got.astype(np.float64)
    fin = np.isfinite(truth64)
    np.testing.assert_array_equal(np.isfinite(g), fin)
    err_ulp = np.abs(g[fin] - truth64[fin]) / ulp_of(truth64[fin], dtype)
    worst = float(err_ulp.max()) if err_ulp.size else 0.0
    assert worst <= max_ulp, f"max error {worst:.3f} ulp > {max_ulp} ulp"


@contextlib.contextmanager
def quiet():
    """Silence floating point warnings that the REFERENCE implementation emits (inf - inf...)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@pytest.fixture
def restore_threads():
    """Restore the OpenMP thread count of this thread after the test."""
    import infonative

    before = infonative.get_num_threads()
    try:
        yield before
    finally:
        infonative.set_num_threads(before)


def assert_prob_close(got, ref_logp, dtype, c=8.0):
    """Probabilities p = exp(logp) against a float64 log-probability reference.

    exp amplifies an absolute error in its argument into a relative error, so an entry with
    log-probability l is accurate to about eps * (|l| + 2) relative (plus underflow)."""
    got64 = to_float64_truth(got)
    ref_logp = np.asarray(ref_logp, dtype=np.float64)
    assert got64.shape == ref_logp.shape
    eps = rel_eps(dtype)
    tiny = float(np.finfo(np.float32 if np.dtype(dtype) != F64 else np.float64).tiny)
    with np.errstate(all="ignore"):
        ref = np.exp(ref_logp)
        tol = np.where(ref > 0, c * eps * (2.0 + np.abs(ref_logp)) * ref, 0.0) + tiny
    nan_ref = np.isnan(ref)
    np.testing.assert_array_equal(np.isnan(got64), nan_ref)
    ok = np.abs(got64 - ref) <= tol
    bad = ~ok & ~nan_ref
    assert not bad.any(), (f"{bad.sum()} entries off, e.g. got {got64[bad][:3]} "
                           f"expected {ref[bad][:3]}")
