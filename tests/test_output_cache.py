"""The output buffer cache: large softmax outputs reuse memory that freed results released,
and never memory that a live array or view still uses."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from scipy.special import softmax as sp_softmax

import infonative as inf
from infonative import _core

ROWS, COLS = 64, 8192  # 2 MiB of float32: above the 1 MiB threshold


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


@pytest.fixture
def cache_limit():
    """Restores the default limit (and empties the cache) after the test."""
    before = _core.output_cache_limit()
    yield
    inf.set_output_cache_limit(0)
    inf.set_output_cache_limit(before)


def _logits(seed=0):
    return np.random.default_rng(seed).standard_normal((ROWS, COLS)).astype(np.float32)


def test_freed_output_is_reused(cache_limit):
    x = _logits()
    first = inf.softmax(x, axis=1)
    address = _address(first)
    del first
    gc.collect()
    assert inf.get_config()["output_cache_held"] >= x.nbytes
    second = inf.softmax(x, axis=1)
    assert _address(second) == address
    np.testing.assert_allclose(second, sp_softmax(x.astype(np.float64), axis=1), rtol=1e-5)


def test_live_arrays_and_views_keep_their_memory(cache_limit):
    x, y = _logits(1), _logits(2)
    a = inf.softmax(x, axis=1)
    view = inf.log_softmax(x, axis=1)[::2, 5:]  # only the view keeps this result alive
    expected_a, expected_view = a.copy(), view.copy()
    results = [inf.softmax(y, axis=1) for _ in range(3)]  # freed and reused in turn
    results += [inf.log_softmax(y, axis=1) for _ in range(3)]
    for r in results:
        assert not np.shares_memory(r, a) and not np.shares_memory(r, view)
    np.testing.assert_array_equal(a, expected_a)
    np.testing.assert_array_equal(view, expected_view)


def test_limit_bounds_what_is_kept(cache_limit):
    x = _logits(3)
    inf.set_output_cache_limit(3 << 20)  # room for one 2 MiB buffer
    outs = [inf.softmax(x, axis=1) for _ in range(4)]
    del outs
    gc.collect()
    assert inf.get_config()["output_cache_held"] <= 3 << 20
    inf.set_output_cache_limit(0)
    assert inf.get_config()["output_cache_held"] == 0
    out = inf.softmax(x, axis=1)  # off: plain numpy memory, same result
    assert out.flags.owndata
    np.testing.assert_allclose(out, sp_softmax(x.astype(np.float64), axis=1), rtol=1e-5)


def test_small_outputs_are_plain_numpy_arrays():
    out = inf.softmax(np.ones((4, 5)), axis=1)
    assert out.flags.owndata and out.flags.c_contiguous


@pytest.mark.parametrize("value", [-1, 1.5, "big", True])
def test_bad_limit(value):
    with pytest.raises(ValueError, match="nbytes"):
        inf.set_output_cache_limit(value)
