"""What every metric shares: the run's window, contacts with their dimensions, reach times."""

from lifecycle_metrics.model.model import Model, RunWindow

__all__ = ["Model", "RunWindow"]
