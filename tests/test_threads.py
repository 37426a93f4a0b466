"""Thread-count invariance (bitwise), threadpoolctl integration, concurrent Python callers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
from conftest import BF16, F16

import infonative as inf

THREAD_COUNTS = (1, 2, 3)


def _same_bits(x, y):
    x, y = np.asarray(x), np.asarray(y)
    assert x.dtype == y.dtype and x.shape == y.shape
    assert x.tobytes() == y.tobytes()


def _run_with_threads(fn, counts=THREAD_COUNTS):
    out = []
    for n in counts:
        inf.set_num_threads(n)
        assert inf.get_num_threads() == n
        out.append(fn())
    return out


def _inputs():
    rng = np.random.default_rng(901)
    return {
        "v64": rng.standard_normal(1_000_003) * 5,
        "v32": (rng.standard_normal(1_000_003) * 5).astype(np.float32),
        "m64": rng.standard_normal((300, 5000)) * 3,
        "m32": (rng.standard_normal((300, 5000)) * 3).astype(np.float32),
        "c64": rng.standard_normal((300, 5000)) * 3,
        "p64": rng.uniform(0, 1, (300, 5000)),
        "q64": rng.uniform(0.01, 1, (300, 5000)),
        "h16": rng.uniform(20, 60, (64, 40_000)).astype(F16),
        "bf": rng.uniform(-5, 5, 700_001).astype(BF16),
        "t": rng.integers(0, 5000, 300),
        "w": rng.uniform(0.5, 2.0, 5000),
    }


DATA = None


def _data():
    global DATA
    if DATA is None:
        DATA = _inputs()
    return DATA


KERNELS = {
    "lse_1d_f64": lambda d: inf.logsumexp(d["v64"]),
    "lse_1d_f32": lambda d: inf.logsumexp(d["v32"]),
    "lse_1d_bf16": lambda d: inf.logsumexp(d["bf"]),
    "lse_1d_weights_sign": lambda d: inf.logsumexp(d["v64"], b=np.cos(d["v64"]),
                                                   return_sign=True),
    "lse_rows": lambda d: inf.logsumexp(d["m64"], axis=1),
    "lse_cols": lambda d: inf.logsumexp(d["m64"], axis=0),
    "lse_all_2d": lambda d: inf.logsumexp(d["m32"]),
    "lse_strided_rows": lambda d: inf.logsumexp(d["m64"][::-1, ::3], axis=1),
    "lse_transposed": lambda d: inf.logsumexp(d["m32"].T, axis=0),
    "lse_f16_rows": lambda d: inf.logsumexp(d["h16"], axis=-1),
    "log_softmax_rows": lambda d: inf.log_softmax(d["m64"], axis=1),
    "log_softmax_rows_f32": lambda d: inf.log_softmax(d["m32"], axis=1),
    "softmax_cols": lambda d: inf.softmax(d["m64"], axis=0),
    "softmax_1d": lambda d: inf.softmax(d["v64"]),
    "entropy_from_logits": lambda d: inf.entropy_from_logits(d["m64"]),
    "entropy_from_logits_1d": lambda d: inf.entropy_from_logits(d["v64"]),
    "entropy_from_logits_f16": lambda d: inf.entropy_from_logits(d["h16"]),
    "kl": lambda d: inf.kl_divergence_from_logits(d["m64"], d["c64"]),
    "kl_axis0": lambda d: inf.kl_divergence_from_logits(d["m64"], d["c64"], axis=0),
    "entropy_axis0": lambda d: inf.entropy(d["p64"]),
    "entropy_axis1_kl": lambda d: inf.entropy(d["p64"], d["q64"], axis=1),
    "entropy_none": lambda d: inf.entropy(d["p64"], axis=None),
    "entropy_1d": lambda d: inf.entropy(d["v64"] ** 2),
    "cross_entropy_mean": lambda d: inf.cross_entropy_loss(d["m64"], d["t"], weight=d["w"],
                                                           label_smoothing=0.1),
    "cross_entropy_none": lambda d: inf.cross_entropy_loss(d["m64"], d["t"], reduction="none"),
}


@pytest.mark.parametrize("kernel", list(KERNELS))
def test_bitwise_identical_for_any_thread_count(kernel, restore_threads):
    d = _data()
    results = _run_with_threads(lambda: KERNELS[kernel](d))
    first = results[0]
    for r in results[1:]:
        if isinstance(first, tuple):
            for x, y in zip(first, r):
                _same_bits(x, y)
        else:
            _same_bits(first, r)


def test_set_and_get_num_threads(restore_threads):
    for n in (1, 2, 3, 5):
        inf.set_num_threads(n)
        assert inf.get_num_threads() == n
        assert inf.get_config()["num_threads"] == n


def _run_python(code, env_extra=None):
    env = dict(os.environ)
    env.pop("OMP_NUM_THREADS", None)
    env.update(env_extra or {})
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_threadpoolctl_sees_openmp():
    pytest.importorskip("threadpoolctl")
    # a fresh interpreter: only infonative can have loaded an OpenMP runtime
    out = _run_python("""
        import threadpoolctl
        before = {i["user_api"] for i in threadpoolctl.threadpool_info()}
        import infonative
        info = threadpoolctl.threadpool_info()
        after = {i["user_api"] for i in info}
        print("openmp" in before, "openmp" in after)
        """)
    assert out.split() == ["False", "True"]


def test_threadpool_limits_acts_on_our_pool():
    pytest.importorskip("threadpoolctl")
    out = _run_python("""
        import infonative
        from threadpoolctl import threadpool_limits
        infonative.set_num_threads(3)
        with threadpool_limits(1):
            inside = infonative.get_num_threads()
        with threadpool_limits(limits=2, user_api="openmp"):
            inside2 = infonative.get_num_threads()
        print(inside, inside2, infonative.get_num_threads())
        """)
    assert out.split() == ["1", "2", "3"]


def test_threadpool_limits_in_process(restore_threads):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    inf.set_num_threads(2)
    with threadpoolctl.threadpool_limits(1):
        assert inf.get_num_threads() == 1
    assert inf.get_num_threads() == 2


def test_omp_num_threads_environment():
    out = _run_python("""
        import infonative
        print(infonative.get_num_threads(), infonative.get_config()["num_threads"])
        """, {"OMP_NUM_THREADS": "3"})
    assert out.split() == ["3", "3"]


def test_concurrent_python_threads_match_serial(restore_threads):
    inf.set_num_threads(2)
    d = _data()
    names = ["lse_1d_f64", "lse_rows", "log_softmax_rows", "entropy_from_logits", "kl",
             "entropy_axis1_kl", "cross_entropy_none", "lse_f16_rows", "softmax_cols"]
    serial = {n: KERNELS[n](d) for n in names}
    results = {}
    errors = []
    barrier = threading.Barrier(4)

    def worker(k):
        try:
            inf.set_num_threads(1 + k % 3)  # each Python thread has its own OpenMP count
            barrier.wait()
            for rep in range(2):
                for n in names[k::2] + names[::-1]:
                    results[(k, rep, n)] = KERNELS[n](d)
        except Exception as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(results) > 0
    for (_, _, n), r in results.items():
        if isinstance(r, tuple):
            for x, y in zip(serial[n], r):
                _same_bits(x, y)
        else:
            _same_bits(serial[n], r)


@pytest.mark.parametrize("n", [65_535, 65_536, 65_537, 131_073, 2 ** 17 * 3 + 1])
def test_bitwise_identical_near_the_parallel_threshold(n, restore_threads):
    rng = np.random.default_rng(902)
    v = rng.standard_normal(n) * 5
    m = rng.standard_normal((3, n // 3 + 1)) * 5

    def run():
        return (inf.logsumexp(v), inf.log_softmax(v), inf.entropy_from_logits(m),
                inf.entropy(np.abs(v)), inf.logsumexp(m, axis=1))

    results = _run_with_threads(run)
    for r in results[1:]:
        for x, y in zip(results[0], r):
            _same_bits(x, y)
