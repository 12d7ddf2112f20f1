"""The `lifecycle` executable's first code: signals and interrupts before anything heavy loads.

Only the standard library is imported here, so Ctrl-C at any moment of start-up ends the run
with one line instead of a traceback, and SIGTERM ends it through the normal exit path (which
removes the private spill folder).
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

INTERRUPTED = 130  # 128 + SIGINT, as shells report it
TERMINATED = 143  # 128 + SIGTERM


_terminated: list[int] = []


def _terminate(signum: int, _frame: FrameType | None) -> None:
    _terminated.append(signum)
    raise SystemExit(TERMINATED)


def main() -> None:
    """Entry point of the `lifecycle` command."""
    try:
        signal.signal(signal.SIGTERM, _terminate)
        from lifecycle_metrics.cli import main as run

        run()
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        raise SystemExit(INTERRUPTED) from None
    except Exception:
        # DuckDB turns the exit raised inside a running query into "Query interrupted"
        if _terminated:
            raise SystemExit(TERMINATED) from None
        raise
