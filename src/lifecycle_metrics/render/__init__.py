"""Output for people and tools, one concern a module, so each importer takes only what it needs.

`values`: one value as text · `rows`: rows as CSV or JSON · `tables`: rows as a Rich table ·
`catalog`: the metric catalog as a listing · `validation`: a validation report for a terminal.
"""
