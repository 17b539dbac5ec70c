"""A progress bar on stderr for long runs (no dependency, quiet when stderr is not a terminal)."""
from __future__ import annotations

import sys
import time


class ProgressBar:
    """Call with a fraction in [0, 1]; draws ``label [#####     ]  40%  1.2 s``.

    On a terminal the bar redraws in place; otherwise a line is printed every 25%.
    """

    def __init__(self, label: str, stream=None, width: int = 30):
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.t0 = time.perf_counter()
        self._last_quarter = -1
        self._done = False

    def __call__(self, fraction: float) -> None:
        if self._done:
            return
        fraction = min(max(fraction, 0.0), 1.0)
        elapsed = time.perf_counter() - self.t0
        filled = int(round(fraction * self.width))
        line = (f"{self.label} [{'#' * filled}{' ' * (self.width - filled)}] "
                f"{fraction * 100:3.0f}%  {elapsed:5.1f} s")
        if self.tty:
            self.stream.write("\r" + line)
            if fraction >= 1.0:
                self.stream.write("\n")
        else:
            quarter = int(fraction * 4)
            if quarter != self._last_quarter:
                self._last_quarter = quarter
                self.stream.write(line + "\n")
        self.stream.flush()
        if fraction >= 1.0:
            self._done = True
