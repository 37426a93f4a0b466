"""Build and runtime configuration: instruction-set level, OpenMP threads, output cache."""

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
    ``compiler``, ``openmp``, ``num_threads``, ``output_cache_limit`` and
    ``output_cache_held`` (bytes; see :func:`set_output_cache_limit`).
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
        "output_cache_limit": _core.output_cache_limit(),
        "output_cache_held": _core.output_cache_held(),
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


def set_output_cache_limit(nbytes: int) -> None:
    """Most bytes of freed output and work buffers kept for reuse (default 512 MiB; 0 turns
    it off).

    Outputs of 1 MiB and more (softmax, log_softmax) and the kNN estimators' work buffers of
    64 KiB and more (trees, sorted copies) are allocated from a cache of buffers that earlier
    calls released: the first write to fresh memory costs a page fault and the kernel's
    zeroing of every page (for a softmax about as long as the softmax itself, for a 1e5-point
    kNN entropy ~5 ms), while a reused buffer is already mapped. An output's buffer returns to
    the cache only when numpy frees the array that owns it (and every view of it), so results
    never share memory. Lowering the limit frees kept buffers at once.
    """
    if isinstance(nbytes, bool) or not isinstance(nbytes, int) or nbytes < 0:
        raise ValueError(f"set_output_cache_limit: nbytes must be an int >= 0, got {nbytes!r}")
    _core.set_output_cache_limit(nbytes)
