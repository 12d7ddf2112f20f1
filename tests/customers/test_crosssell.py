"""Cross-sell and the churn backtest share one learned model without an import cycle."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "first",
    ["lifecycle_metrics.scoring.backtest", "lifecycle_metrics.customers.crosssell"],
)
def test_either_side_imports_first_in_a_fresh_interpreter(first: str) -> None:
    # the cycle ran scoring.backtest → customers (package) → config → crosssell → backtest
    code = (
        f"import {first}\n"
        "from lifecycle_metrics.customers import crosssell\n"
        "from lifecycle_metrics.scoring import backtest\n"
        "assert crosssell.churn_pipeline is backtest.churn_pipeline\n"
        "assert crosssell.prepare_features is backtest.prepare_features\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
