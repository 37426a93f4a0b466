"""A numpy reference of infonative's counter-indexed standard normals (the kNN noise), written
from their spec in cpp/include/infonative/counter_normal.hpp, independent of the C++ code.

Deviate i of a seed: the SplitMix64 outputs mix(seed + c * GAMMA) of counters c = 256 i + 1,
256 i + 2, ... feed Marsaglia and Tsang's ziggurat with 256 layers. A raw r splits as
layer = r & 0xff, sign = bit 8, abscissa = bits 9..60; x = abscissa * width[layer] is
returned when abscissa < accept[layer]; otherwise layer 0 samples the tail beyond R and the
other layers test their wedge with a uniform of the next raw, and a rejected point draws a new
raw. The whole fast path is vectorised; the rejected points (about 1%) go through the scalar
rest in Python integers (numpy's uint64 scalars warn on the wrapping they rely on).
"""

from __future__ import annotations

import math

import numpy as np

R = 3.6541528853610088
GAMMA = 0x9E3779B97F4A7C15
MASK64 = (1 << 64) - 1


def _f(x: float) -> float:
    return math.exp(-0.5 * x * x)


def ziggurat_tables():
    """(accept, width, height): x[255] = R, x[i - 1] = sqrt(-2 log(f(x[i]) + v / x[i])), v the
    layer area R f(R) + the integral of f beyond R, the base strip v / f(R) wide."""
    v = R * _f(R) + math.sqrt(math.pi / 2) * math.erfc(R / math.sqrt(2.0))
    x = [0.0] * 256
    x[255] = R
    for i in range(255, 1, -1):
        x[i - 1] = math.sqrt(-2 * math.log(_f(x[i]) + v / x[i]))
    base = v / _f(R)
    two52 = float(2**52)
    accept = [int(R / base * two52), 0] + [int(x[i - 1] / x[i] * two52) for i in range(2, 256)]
    width = [base / two52] + [x[i] / two52 for i in range(1, 256)]
    height = [1.0] + [_f(x[i]) for i in range(1, 256)]
    return (np.array(accept, dtype=np.uint64), np.array(width), np.array(height))


def _mix(z):
    """SplitMix64's output function on uint64 arrays (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _mix_int(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def _split(r, width):
    layer = r & 0xFF
    negative = (r >> 8) & 1
    abscissa = (r >> 9) & ((1 << 52) - 1)
    x = float(abscissa) * float(width[layer])
    return layer, negative, abscissa, -x if negative else x


def _rest(seed: int, index: int, first_raw: int, tables) -> float:
    """The deviate after its first raw fell outside its layer's inner rectangle."""
    accept, width, height = tables
    counter = 256 * index + 1

    def raw() -> int:
        nonlocal counter
        counter += 1
        return _mix_int((seed + counter * GAMMA) & MASK64)

    layer, negative, abscissa, x = _split(first_raw, width)
    while True:
        if layer == 0:
            while True:
                xx = -math.log(float((raw() >> 11) + 1) * 2.0**-53) / R
                yy = -math.log(float((raw() >> 11) + 1) * 2.0**-53)
                if yy + yy > xx * xx:
                    return -(R + xx) if negative else R + xx
        y = (float(height[layer - 1]) - float(height[layer])) * (float(raw() >> 11) * 2.0**-53) \
            + float(height[layer])
        if y < _f(x):
            return x
        layer, negative, abscissa, x = _split(raw(), width)
        if abscissa < int(accept[layer]):
            return x


def counter_normals(seed: int, first: int, count: int) -> np.ndarray:
    """Deviates first .. first + count - 1 of seed."""
    tables = ziggurat_tables()
    accept, width, _ = tables
    index = np.arange(first, first + count, dtype=np.uint64)
    r = _mix(np.uint64(seed) + (index * np.uint64(256) + np.uint64(1)) * np.uint64(GAMMA))
    layer = (r & np.uint64(0xFF)).astype(np.intp)
    negative = ((r >> np.uint64(8)) & np.uint64(1)).astype(bool)
    abscissa = (r >> np.uint64(9)) & np.uint64((1 << 52) - 1)
    x = abscissa.astype(np.int64).astype(np.float64) * width[layer]
    out = np.where(negative, -x, x)
    for j in np.nonzero(abscissa >= accept[layer])[0]:
        out[j] = _rest(seed, first + int(j), int(r[j]), tables)
    return out


def amplitudes(v: np.ndarray, noise: float) -> np.ndarray:
    """noise * max(1, mean |v_c|) per column, the mean summed in float64 in row order."""
    mean_abs = np.cumsum(np.abs(v.astype(np.float64)), axis=0)[-1] / v.shape[0]
    return noise * np.maximum(1.0, mean_abs)


def add_counter_noise(v: np.ndarray, noise: float, seed: int) -> np.ndarray:
    """v (N, d) float64 plus a_c * deviate(c * N + r) in entry (r, c), a = amplitudes(v, noise)."""
    n, d = v.shape
    z = counter_normals(seed, 0, n * d).reshape(d, n).T
    return v + amplitudes(v, noise)[None, :] * z
