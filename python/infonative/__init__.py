"""infonative: fast, accurate information-theory kernels for numpy.

A C++ core (SIMD kernels for baseline x86-64, AVX2 and AVX-512 chosen at run time, OpenMP
threads, a parallel kd-tree) behind scipy/torch/sklearn-compatible functions. The kNN
estimators live in ``infonative.knn``, sklearn's mutual_info_* in
``infonative.feature_selection``.
"""

from . import _core, feature_selection, knn
from ._config import (_check_isa_override, get_config, get_num_threads, set_num_threads,
                      set_output_cache_limit, show_config)
from ._distribution import entropy
from ._logits import cross_entropy_loss, entropy_from_logits, kl_divergence_from_logits
from ._logsumexp import log_softmax, logsumexp, softmax

__version__ = _core.__version__
_check_isa_override()

__all__ = [
    "cross_entropy_loss",
    "entropy",
    "entropy_from_logits",
    "feature_selection",
    "get_config",
    "get_num_threads",
    "kl_divergence_from_logits",
    "knn",
    "log_softmax",
    "logsumexp",
    "set_num_threads",
    "set_output_cache_limit",
    "show_config",
    "softmax",
]
