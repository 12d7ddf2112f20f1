"""The v1 catalog of SPEC §4, stage by stage; `CATALOG` is the registry everything reads."""

from lifecycle_metrics.metrics.catalog import attract, capture, convert, expand, nurture
from lifecycle_metrics.metrics.spec import Registry

CATALOG = Registry()
for _module in (attract, capture, nurture, convert, expand):
    CATALOG.add(*_module.METRICS)

__all__ = ["CATALOG"]
