"""Generate the polynomial coefficients used by cpp/src/simd/vmath.inl.

Chebyshev interpolation in 60-digit arithmetic (mpmath), converted to monomial form and
rounded to the target precision; the script then measures the worst relative error of the
rounded polynomial on a dense grid. Near-minimax, reproducible, no hand-copied constants.

  exp(r) ~ 1 + r + r^2 * P(r),  |r| <= ln2/2        (P of degree n - 2)
  the AVX-512 table exp: the same form on |r| <= ln2/32 (2^(j/16) comes from a table)
  log(m) = 2 atanh(f), f = (m-1)/(m+1), |f| <= 0.1716:  log(m) ~ 2f + f^3 * Q(f^2)
"""
import mpmath as mp

mp.mp.dps = 60


def cheb_fit(func, lo, hi, degree):
    """Monomial coefficients (lowest first) of the Chebyshev interpolant of func on [lo, hi]."""
    nodes = [mp.cos(mp.pi * (2 * k + 1) / (2 * (degree + 1))) for k in range(degree + 1)]
    xs = [(hi - lo) / 2 * t + (hi + lo) / 2 for t in nodes]
    ys = [func(x) for x in xs]
    # Solve the Vandermonde system in high precision (small degree, fine).
    A = mp.matrix([[x**j for j in range(degree + 1)] for x in xs])
    return list(mp.lu_solve(A, mp.matrix(ys)))


def exp_tail(r):  # (exp(r) - 1 - r) / r^2, smooth at 0
    if abs(r) < mp.mpf(10) ** -15:  # series: the direct form cancels catastrophically
        return mp.mpf(1) / 2 + r / 6 + r * r / 24
    return (mp.exp(r) - 1 - r) / r**2


def log_tail(u):  # (atanh(sqrt(u)) - sqrt(u)) / u^{3/2} as a function of u = f^2
    if abs(u) < mp.mpf(10) ** -30:
        return mp.mpf(1) / 3 + u / 5
    f = mp.sqrt(u)
    return (mp.atanh(f) - f) / f**3


def rounded(coeffs, single):
    import numpy as np
    t = np.float32 if single else np.float64
    return [t(float(c)) for c in coeffs]


def horner(coeffs, x):
    acc = mp.mpf(0)
    for c in reversed(coeffs):
        acc = acc * x + mp.mpf(float(c))
    return acc


def report_exp(degree, single, half=mp.log(2) / 2):
    c = rounded(cheb_fit(exp_tail, -half, half, degree), single)
    worst = max(abs((1 + r + r * r * horner(c, r)) / mp.exp(r) - 1)
                for r in mp.linspace(-half, half, 2001))
    return c, worst


def report_log(degree, single):
    fmax = (mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)
    c = rounded(cheb_fit(log_tail, 0, fmax**2, degree), single)
    worst = max(abs((2 * f + 2 * f**3 * horner(c, f * f)) / (2 * mp.atanh(f)) - 1)
                for f in mp.linspace(-fmax, fmax, 2001) if f != 0)
    return c, worst


if __name__ == "__main__":
    table_half = mp.log(2) / 32
    for name, fn, deg, single in [("exp f32", report_exp, 4, True), ("exp f64", report_exp, 9, False),
                                  ("exp f32 table", lambda d, s: report_exp(d, s, table_half), 1, True),
                                  ("exp f64 table", lambda d, s: report_exp(d, s, table_half), 4, False),
                                  ("log f32", report_log, 3, True), ("log f64", report_log, 7, False)]:
        c, worst = fn(deg, single)
        print(f"{name}: degree {deg}, max rel error {float(worst):.3g}")
        print("   ", ", ".join(repr(float(x)) for x in c))
    # The table exp's 2^(j/16), j = 0..15, correctly rounded (C hex literals).
    import numpy as np
    exact = [mp.power(2, mp.mpf(j) / 16) for j in range(16)]
    print("exp table f64:", ", ".join(float(v).hex() for v in exact))
    print("exp table f32:", ", ".join(float(min((np.float32(float(v)), np.nextafter(np.float32(float(v)), np.float32(0)),
                                                   np.nextafter(np.float32(float(v)), np.float32(2))),
                                                  key=lambda f: abs(mp.mpf(float(f)) - v))).hex() + "f"
                                      for v in exact))
