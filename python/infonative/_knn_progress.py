"""A progress bar for the significance helpers: tqdm when it is installed, otherwise a one-line
text bar on stderr (no new dependency)."""

from __future__ import annotations

import sys

try:  # optional
    from tqdm import tqdm as _tqdm
except ImportError:  # pragma: no cover - depends on the environment
    _tqdm = None


class TextBar:
    """``desc: [#######.............]  35% 350/1000`` redrawn in place on ``stream`` (stderr)
    whenever the whole percentage changes."""

    width = 30

    def __init__(self, total: int, desc: str, stream=None):
        self.total = max(int(total), 1)
        self.desc = desc
        self.stream = sys.stderr if stream is None else stream
        self.done = 0
        self._shown = -1
        self._draw()

    def _draw(self) -> None:
        percent = 100 * self.done // self.total
        if percent == self._shown:
            return
        self._shown = percent
        filled = self.width * self.done // self.total
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r{self.desc}: [{bar}] {percent:3d}% {self.done}/{self.total}")
        self.stream.flush()

    def update(self, n: int = 1) -> None:
        self.done = min(self.done + n, self.total)
        self._draw()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


class progress_bar:
    """Context manager yielding an object with ``update(n)``: tqdm, TextBar, or nothing when
    ``enabled`` is False."""

    def __init__(self, total: int, desc: str, enabled: bool):
        if not enabled:
            self.bar = _Silent()
        elif _tqdm is not None:
            self.bar = _tqdm(total=total, desc=desc)
        else:
            self.bar = TextBar(total, desc)

    def __enter__(self):
        return self.bar

    def __exit__(self, *exc) -> None:
        self.bar.close()
