"""A tour of the kernels on built-in data: seeded synthetic "language-model" logits and
samples of Gaussians.

Shows the configuration, float16 safety (logits where exp overflows float16), agreement with
float64 references, the speed of each kernel against a plain numpy formulation, and kNN
estimates next to their closed forms.
"""

from __future__ import annotations

import time

import numpy as np

import infonative as inf


def builtin_logits(rows: int = 256, vocab: int = 32000, seed: int = 0) -> np.ndarray:
    """Logits like a language model's: a Zipf-shaped prior plus per-token noise, centred
    around 20-40 (where float16 exp overflows)."""
    rng = np.random.default_rng(seed)
    prior = -1.1 * np.log(np.arange(1, vocab + 1))
    logits = 30.0 + prior[rng.permutation(vocab)] + rng.normal(0.0, 2.0, size=(rows, vocab))
    return logits.astype(np.float32)


def _best_ms(fn, repeat: int = 5) -> float:
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def _numpy_logsumexp(x):
    m = x.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(x - m).sum(axis=-1, keepdims=True)))[..., 0]


def main() -> None:
    print("infonative", inf.__version__)
    inf.show_config()
    logits = builtin_logits()
    truth = _numpy_logsumexp(logits.astype(np.float64))

    print("\n1) float16 logits around 20-40: exp overflows float16 at 11.09")
    half = logits.astype(np.float16)
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.log(np.exp(half).sum(axis=-1))
    ours = inf.logsumexp(half, axis=-1)
    exact = _numpy_logsumexp(half.astype(np.float64))
    ulp = np.spacing(np.abs(exact).astype(np.float16)).astype(np.float64)
    print(f"   naive numpy float16 : {naive[:3]} ... ({np.isinf(naive).sum()} of {len(naive)} inf)")
    print(f"   infonative float16  : {ours[:3]} ... dtype {ours.dtype}")
    print(f"   max error vs float64 truth: {np.max(np.abs(ours - exact) / ulp):.3f} float16 ulp")

    print("\n2) the log-sum-exp family on (256, 32000) float32, compared with float64 numpy")
    probs = np.exp(logits.astype(np.float64) - truth[:, None])
    entropy_truth = -(probs * (logits - truth[:, None])).sum(-1)
    checks = [
        ("logsumexp", inf.logsumexp(logits, axis=-1), truth),
        ("entropy_from_logits", inf.entropy_from_logits(logits), entropy_truth),
    ]
    for name, got, want in checks:
        print(f"   {name:<22} max rel error {np.max(np.abs(got - want) / np.abs(want)):.2e}")
    other = logits + np.random.default_rng(1).normal(0, 0.5, logits.shape).astype(np.float32)
    kl = inf.kl_divergence_from_logits(logits, other)
    print(f"   kl_divergence_from_logits  mean {kl.mean():.4f} nats "
          f"(identical inputs give {float(inf.kl_divergence_from_logits(logits[0], logits[0]))})")
    targets = np.argmax(other, axis=-1)
    print(f"   cross_entropy_loss          {float(inf.cross_entropy_loss(logits, targets)):.4f} "
          f"(label_smoothing=0.1: "
          f"{float(inf.cross_entropy_loss(logits, targets, label_smoothing=0.1)):.4f})")

    print("\n3) speed, best of 5 (same machine, numpy single-threaded formulas)")
    rows = [
        ("logsumexp", lambda: inf.logsumexp(logits, axis=-1), lambda: _numpy_logsumexp(logits)),
        ("log_softmax", lambda: inf.log_softmax(logits, axis=-1),
         lambda: logits - _numpy_logsumexp(logits)[:, None]),
        ("entropy_from_logits", lambda: inf.entropy_from_logits(logits),
         lambda: _numpy_entropy(logits)),
    ]
    for name, fast, slow in rows:
        t_fast, t_slow = _best_ms(fast), _best_ms(slow)
        print(f"   {name:<22} infonative {t_fast:7.2f} ms   numpy {t_slow:7.2f} ms   "
              f"x{t_slow / t_fast:5.1f}")
    p = np.random.default_rng(2).random((1000, 4000))
    print(f"   entropy(p, axis=1)      H[0] = {float(inf.entropy(p, axis=1)[0]):.6f} nats "
          f"(uniform would be {np.log(4000):.6f})")
    _knn_tour()


def _knn_tour() -> None:
    """kNN estimates from samples of Gaussians, next to their closed forms."""
    print("\n4) kNN estimators on 100,000 samples of correlated Gaussians (closed forms known)")
    rng = np.random.default_rng(3)
    n, rho = 100_000, 0.6
    x = rng.standard_normal(n)
    y = rho * x + np.sqrt(1 - rho * rho) * rng.standard_normal(n)
    z = rng.standard_normal((n, 3))
    rows = [
        ("knn.entropy, 3-D N(0, I)", lambda: inf.knn.entropy(z, random_state=0),
         1.5 * np.log(2 * np.pi * np.e)),
        ("knn.mutual_info (KSG)", lambda: inf.knn.mutual_info(x, y, random_state=0),
         -0.5 * np.log(1 - rho * rho)),
        ("knn.conditional_mutual_info", lambda: inf.knn.conditional_mutual_info(
            x, y, z[:, 0], random_state=0), -0.5 * np.log(1 - rho * rho)),
    ]
    for name, fn, exact in rows:
        start = time.perf_counter()
        value = fn()
        ms = (time.perf_counter() - start) * 1e3
        print(f"   {name:<28} {value:.4f} nats (exact {exact:.4f})  {ms:7.1f} ms")
    test = inf.knn.permutation_test("mutual_info", x[:3000], y[:3000], n_resamples=199,
                                    random_state=0)
    print(f"   permutation test, N=3000, 199 surrogates: p = {test.pvalue:.3f}")


def _numpy_entropy(x):
    lse = _numpy_logsumexp(x)
    p = np.exp(x - lse[:, None])
    return lse - (p * x).sum(-1)


if __name__ == "__main__":
    main()
