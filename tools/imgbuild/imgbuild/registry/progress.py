"""Transfer progress for a terminal: one line redrawn in place on
stderr, at most five times a second; nothing when stderr is not a
terminal (logs and tests get the summary lines only)."""

import sys
import time


def bar_factory(enabled):
    def make(label, total):
        return Bar(label, total) if enabled else _quiet
    return make


def _quiet(n, absolute=False, done=False):
    pass


class Bar:
    def __init__(self, label, total):
        self.label, self.total, self.done_bytes = label, max(total, 1), 0
        self.started = self.drawn = time.monotonic()

    def __call__(self, n, absolute=False, done=False):
        self.done_bytes = n if absolute else self.done_bytes + n
        now = time.monotonic()
        if done or now - self.drawn >= 0.2:
            self.drawn = now
            rate = self.done_bytes / max(now - self.started, 1e-3)
            pct = min(100, 100 * self.done_bytes // self.total)
            sys.stderr.write(f"\rimgbuild: {self.label}: {pct:3d}% "
                             f"{self.done_bytes / 1048576:.1f}/"
                             f"{self.total / 1048576:.1f} MiB "
                             f"{rate / 1048576:.1f} MiB/s\033[K")
            if done:
                sys.stderr.write("\n")
            sys.stderr.flush()
