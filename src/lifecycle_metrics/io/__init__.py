"""Readers: turn a dataset folder, a DuckDB file or a connection URL into raw tables."""

from lifecycle_metrics.io.readers import RawTable, read_raw_tables

__all__ = ["RawTable", "read_raw_tables"]
