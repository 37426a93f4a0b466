"""Delay embedding for transfer entropy: the (future, source past, target past) rows."""

from __future__ import annotations

from typing import Tuple

import numpy as np


def first_time(history: int, lag: int) -> int:
    """The first time step t whose whole past exists: t - history >= 0 for the target and
    t - lag - history + 1 >= 0 for the source."""
    return max(history, lag + history - 1)


def delay_embedding(source: np.ndarray, target: np.ndarray, history: int,
                    lag: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For t = t0 .. T-1 (t0 = first_time(history, lag)), the rows

    - future      Y_t                                        (T - t0, d_y)
    - source past (x_{t-lag}, x_{t-lag-1}, ..., x_{t-lag-history+1})   (T - t0, history d_x)
    - target past (y_{t-1}, y_{t-2}, ..., y_{t-history})        (T - t0, history d_y)

    Each lag contributes a block of all columns of its series, most recent first. The
    arrays are new and C-contiguous, of the inputs' dtype."""
    t_len = target.shape[0]
    t0 = first_time(history, lag)
    rows = t_len - t0
    future = np.ascontiguousarray(target[t0:])
    source_past = np.concatenate(
        [source[t0 - lag - h: t_len - lag - h] for h in range(history)], axis=1)
    target_past = np.concatenate(
        [target[t0 - 1 - h: t_len - 1 - h] for h in range(history)], axis=1)
    assert source_past.shape[0] == rows and target_past.shape[0] == rows
    return future, np.ascontiguousarray(source_past), np.ascontiguousarray(target_past)
