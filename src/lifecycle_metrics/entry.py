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


_signalled: list[int] = []


def _terminate(signum: int, _frame: FrameType | None) -> None:
    _signalled.append(signum)
    raise SystemExit(TERMINATED)


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    _signalled.append(signum)
    raise KeyboardInterrupt


def main() -> None:
    """Entry point of the `lifecycle` command."""
    try:
        signal.signal(signal.SIGTERM, _terminate)
        signal.signal(signal.SIGINT, _interrupt)
        from lifecycle_metrics.cli import main as run

        run()
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        raise SystemExit(INTERRUPTED) from None
    except SystemExit as stop:
        if stop.code == 1 and signal.SIGINT in _signalled:  # Click's "Aborted!" on Ctrl-C
            raise SystemExit(INTERRUPTED) from None
        raise
    except Exception:
        # DuckDB turns a signal's exception raised inside a running query into its own
        # "Query interrupted" error: the signal noted decides the exit
        if signal.SIGTERM in _signalled:
            raise SystemExit(TERMINATED) from None
        if signal.SIGINT in _signalled:
            print("Interrupted.", file=sys.stderr)
            raise SystemExit(INTERRUPTED) from None
        raise
