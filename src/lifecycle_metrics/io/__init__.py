"""Reading and writing canonical tables: readers, the CSV reader, exports, where commands write.

Nothing is imported here, so that light modules (`io.cells`, `io.outputs`) load without Ibis.
"""
