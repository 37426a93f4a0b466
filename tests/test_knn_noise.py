"""The kNN estimators' tie-breaking noise: counter-indexed standard normals against their spec
(noise_reference.py, bit for bit) and against N(0, 1) (statistically), and how prepare()
applies them."""

from __future__ import annotations

import noise_reference as nref
import numpy as np
import pytest
from scipy import stats

import infonative
from infonative import _core, knn


def test_tables_follow_the_spec():
    accept, width, height = _core.ziggurat_tables()
    ref_accept, ref_width, ref_height = nref.ziggurat_tables()
    np.testing.assert_array_equal(accept, ref_accept)
    np.testing.assert_array_equal(width, ref_width)
    np.testing.assert_array_equal(height, ref_height)
    # the layers close: the top one reaches f = 1 within rounding, and grow outward
    assert 0.97 < height[1] < 1.0 and np.all(np.diff(width[1:]) > 0)


@pytest.mark.parametrize("seed, first", [(0, 0), (12345, 0), (2**64 - 1, 7), (987654321, 2**40)])
def test_deviates_equal_the_reference_bit_for_bit(seed, first):
    got = _core.counter_normals(seed, first, 100_000)
    expected = nref.counter_normals(seed, first, 100_000)
    np.testing.assert_array_equal(got, expected)
    # the rejection paths ran: some deviates lie in the tail, some came from a wedge
    assert np.any(np.abs(got) > nref.R)


def test_deviates_depend_on_seed_and_index_alone(restore_threads):
    whole = _core.counter_normals(99, 0, 50_000)
    np.testing.assert_array_equal(_core.counter_normals(99, 20_000, 10_000), whole[20_000:30_000])
    infonative.set_num_threads(1)
    np.testing.assert_array_equal(_core.counter_normals(99, 0, 50_000), whole)
    other = _core.counter_normals(100, 0, 50_000)
    assert abs(np.corrcoef(whole, other)[0, 1]) < 5 / np.sqrt(50_000)


def test_deviates_are_standard_normal():
    n = 2_000_000
    z = _core.counter_normals(2024, 0, n)
    # moments within 5 standard errors
    assert abs(z.mean()) < 5 / np.sqrt(n)
    assert abs(z.var() - 1) < 5 * np.sqrt(2 / n)
    assert abs(stats.skew(z)) < 5 * np.sqrt(6 / n)
    assert abs(stats.kurtosis(z)) < 5 * np.sqrt(24 / n)
    # the whole distribution (Kolmogorov-Smirnov) and the far tail beyond the base strip
    assert stats.kstest(z, "norm").pvalue > 1e-4
    p_tail = 2 * stats.norm.sf(nref.R)
    tail = np.count_nonzero(np.abs(z) > nref.R)
    assert abs(tail - n * p_tail) < 5 * np.sqrt(n * p_tail)
    # and each half of the sign split
    assert abs(np.count_nonzero(z > 0) - n / 2) < 5 * np.sqrt(n / 4)


def test_noise_is_added_in_the_dtype_of_the_data():
    rng = np.random.default_rng(3)
    # columns below and above mean |c| = 1, where the amplitude switches from noise to
    # noise * mean |c|
    x = rng.standard_normal((3000, 3)) * [0.1, 3.0, 40.0]
    got = x.copy()
    _core.add_counter_noise(got, 0.01, 77)
    np.testing.assert_array_equal(got, nref.add_counter_noise(x, 0.01, 77))
    x32 = x.astype(np.float32)
    got32 = x32.copy()
    _core.add_counter_noise(got32, 0.01, 77)
    z = nref.counter_normals(77, 0, x.size).reshape(3, -1).T
    np.testing.assert_array_equal(got32, x32 + (nref.amplitudes(x32, 0.01) * z).astype(np.float32))


def test_bad_noise_arrays_raise():
    with pytest.raises(ValueError, match="noise"):
        _core.add_counter_noise(np.zeros((10, 2)), -1.0, 1)
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.add_counter_noise(np.zeros((10, 4))[:, ::2], 1.0, 1)
    with pytest.raises(ValueError, match="read-only"):
        ro = np.zeros((10, 2))
        ro.setflags(write=False)
        _core.add_counter_noise(ro, 1.0, 1)
    with pytest.raises(ValueError, match="count"):
        _core.counter_normals(1, 0, -1)


def test_each_variable_draws_one_seed_from_the_generator():
    rng = np.random.default_rng(11)
    x, y = rng.standard_normal((500, 2)), rng.standard_normal(500)
    g = np.random.default_rng(5)
    knn.mutual_info(x, y, random_state=g)
    after = g.bit_generator.state
    g2 = np.random.default_rng(5)
    g2.integers(0, 2**64, dtype=np.uint64, size=2)  # two variables: two seeds
    assert g2.bit_generator.state == after
