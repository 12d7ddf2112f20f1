"""Customers after the sale: adoption, loyalty, churn risk, advocacy and cross-sell per account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from lifecycle_metrics.customers.config import ScoringConfig
from lifecycle_metrics.customers.scores import score_accounts
from lifecycle_metrics.customers.snapshot import NEEDED, owned_products, snapshot_at
from lifecycle_metrics.dataset import Dataset
from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.model.model import Model


@dataclass
class CustomerView:
    """Every customer account at one instant, scored, and the products each owns."""

    model: Model
    scored: pd.DataFrame
    owned: pd.DataFrame
    config: ScoringConfig


def customer_view(
    dataset: Dataset, as_of: datetime | None = None, config: ScoringConfig | None = None
) -> CustomerView:
    """Snapshot and score every customer account at `as_of` (default: the data's as_of)."""
    config = config or ScoringConfig()
    if any(name not in dataset.tables for name in NEEDED):
        raise UsageError("account scoring needs the subscriptions table (who is a customer)")
    model = Model(dataset, as_of=as_of)
    return CustomerView(
        model=model,
        scored=score_accounts(snapshot_at(model, model.as_of), config.loyalty, config.advocacy),
        owned=owned_products(model, model.as_of),
        config=config,
    )


__all__ = ["CustomerView", "customer_view"]
