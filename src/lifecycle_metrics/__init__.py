r"""Lifecycle Metrics: the monthly B2B marketing lifecycle report from the data you have.

A folder of canonical tables in, every metric of every month out (SPEC §5's long form):

>>> import pathlib, tempfile
>>> import lifecycle_metrics
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "contacts.csv").write_text(
...     "contact_id,created_at,channel\n"
...     "c1,2024-01-05,email\nc2,2024-01-20,paid\nc3,2024-02-02,email\n"
... )
>>> frame = lifecycle_metrics.compute(folder, metrics=["new_leads"], by=["channel"])
>>> frame[frame.dimension.isna()][["month", "value"]].values.tolist()  # the totals
[['2024-01', 2], ['2024-02', 1]]
>>> frame[frame.dimension == "channel"][["month", "member", "value"]].values.tolist()
[['2024-01', 'email', 1], ['2024-01', 'paid', 1], ['2024-02', 'email', 1]]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "compute", "load"]

if TYPE_CHECKING:
    from lifecycle_metrics.dataset import load
    from lifecycle_metrics.metrics.engine import compute


def __getattr__(name: str) -> Any:
    # Imported lazily so that `lifecycle --help` does not pay for Ibis.
    if name == "compute":
        from lifecycle_metrics.metrics.engine import compute

        return compute
    if name == "load":
        from lifecycle_metrics.dataset import load

        return load
    raise AttributeError(name)
