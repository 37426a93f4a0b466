"""Build and runtime configuration: instruction-set level, OpenMP threads."""

from __future__ import annotations

import os
import warnings

from . import _core

_LEVELS = ("baseline", "avx2", "avx512")


def _check_isa_override() -> None:
    value = os.environ.get("INFONATIVE_ISA")
    if value and value not in _LEVELS:
        warnings.warn(f"INFONATIVE_ISA={value!r} is not one of {_LEVELS}; ignored",
                      RuntimeWarning, stacklevel=3)


def get_config() -> dict:
    """The configuration in effect, as a dict.

    Keys: ``version``, ``isa`` (level in use), ``isa_best`` (best the CPU and build allow),
    ``isa_compiled`` (levels built), ``isa_override`` (``INFONATIVE_ISA`` or None),
    ``compiler``, ``openmp``, ``num_threads``.
    """
    return {
        "version": _core.__version__,
        "isa": _core.active_isa(),
        "isa_best": _core.best_supported_isa(),
        "isa_compiled": list(_core.compiled_isas()),
        "isa_override": os.environ.get("INFONATIVE_ISA") or None,
        "compiler": _core.compiler(),
        "openmp": bool(_core.openmp_enabled()),
        "num_threads": _core.get_num_threads(),
    }


def show_config() -> None:
    """Print :func:`get_config` in a readable form."""
    for key, value in get_config().items():
        print(f"{key:>13}: {value}")


def get_num_threads() -> int:
    """Threads the kernels use (the OpenMP pool of the calling thread)."""
    return _core.get_num_threads()


def set_num_threads(n: int) -> None:
    """Set the kernels' thread count (``omp_set_num_threads``; same knob as threadpoolctl).
    Results do not depend on it."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive integer, got {n!r}")
    _core.set_num_threads(n)
