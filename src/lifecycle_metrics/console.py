"""Terminal output: Rich when a person is watching, plain lines when output goes to a file."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console

# Results go to standard output; progress, warnings and errors to standard error.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


@contextmanager
def progress(title: str, *, quiet: bool = False) -> Iterator[Callable[[str], None]]:
    """Yield `say(step)`: a live spinner on a terminal, one plain timestamped line otherwise."""
    if quiet:
        yield lambda _step: None
        return
    started = time.perf_counter()
    if err.is_terminal:
        with err.status(f"{title}…") as status:
            yield lambda step: status.update(f"{title}: {step}…")
        err.print(f"[dim]{title}: done in {time.perf_counter() - started:.1f} s[/dim]")
        return

    def say(step: str) -> None:
        print(
            f"[{time.perf_counter() - started:6.1f}s] {title}: {step}", file=sys.stderr, flush=True
        )

    yield say
