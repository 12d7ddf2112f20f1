"""Type and check raw tables: every problem reported with table, file, row, column and value."""

from lifecycle_metrics.validate.issues import Issue, Level, TableStats, ValidationReport

__all__ = ["Issue", "Level", "TableStats", "ValidationReport"]
