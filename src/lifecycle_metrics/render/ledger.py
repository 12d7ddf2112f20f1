"""The import summary: each source table's ledger line, what is unavailable, where files went."""

from __future__ import annotations

from rich.table import Table

from lifecycle_metrics.sources.ledger import Ledger

SHOWN_UNAVAILABLE = 8


def _reasons(counts: dict[str, int]) -> str:
    return "; ".join(f"{n:,} {reason}" for reason, n in sorted(counts.items()))


def ledger_table(ledger: Ledger) -> Table:
    """One row per source table: read = imported + quarantined + skipped, with the reasons."""
    title = f"{ledger.kind} import: every source row accounted for"
    table = Table(title=title, title_justify="left")
    for name in ("source table", "read", "imported", "quarantined", "skipped", "why"):
        table.add_column(name, justify="right" if name in ("read", "imported") else "left")
    for name in sorted(ledger.tables):
        account = ledger.tables[name]
        quarantined = sum(account.quarantined.values())
        skipped = sum(account.skipped.values())
        why = "; ".join(
            part
            for part in (_reasons(dict(account.quarantined)), _reasons(dict(account.skipped)))
            if part
        )
        table.add_row(
            name,
            f"{account.read:,}",
            f"{account.imported:,}",
            f"{quarantined:,}",
            f"{skipped:,}",
            why,
        )
    return table


def unavailable_lines(ledger: Ledger) -> list[str]:
    """What the dataset cannot answer, and how to add it (the CRM does not hold these facts)."""
    if not ledger.unavailable:
        return []
    if ledger.kind == "mapping":
        how = (
            "Add entries for their tables to the mapping file (or map canonical files as they are)"
        )
    else:
        how = (
            "Put them beside the export as canonical files (costs.csv, subscriptions.csv, …, "
            "SPEC §2)"
        )
    lines = [
        f"{len(ledger.unavailable)} metrics stay unavailable: the dataset has no table they "
        f"read. {how} and import again:"
    ]
    lines += [f"  {line}" for line in ledger.unavailable[:SHOWN_UNAVAILABLE]]
    if len(ledger.unavailable) > SHOWN_UNAVAILABLE:
        lines.append(f"  … and {len(ledger.unavailable) - SHOWN_UNAVAILABLE} more (see the ledger)")
    return lines
