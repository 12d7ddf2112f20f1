"""Churn backtest: the rule-based loyalty score and a learned model, on demo and Telco data.

    python benchmarks/churn_backtest.py [--contacts 20000] [--telco PATH]

Demo: snapshots at the last 24 month ends whose 90-day horizon has passed; the learned model
(logistic regression) trains on the earlier snapshots and is judged on the later third, with a
90-day gap so no training label looks into the test period. Telco (a single snapshot):
stratified 5-fold cross-validation. Prints ROC AUC, riskiest-decile lift and calibration, and
the time to score every account of the demo dataset once.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "examples"))

TELCO = (
    HERE.parents[1] / "shared/data/ibm-telco-customer-churn/WA_Fn-UseC_-Telco-Customer-Churn.csv"
)


def show(judgement) -> None:  # type: ignore[no-untyped-def]
    print(
        f"  {judgement.name:24} AUC {judgement.auc:.3f}   lift of riskiest decile "
        f"{judgement.lift_top_decile:.2f}   ({judgement.accounts:,} accounts, "
        f"{judgement.churned:,} churned)"
    )
    cells = "  ".join(f"{c['predicted']:.3f}→{c['observed']:.3f}" for c in judgement.calibration)
    print(f"  {'':24} calibration, predicted→observed by fifth: {cells}")


def demo(contacts: int) -> None:
    from lifecycle_metrics.dataset import load
    from lifecycle_metrics.demo import DemoConfig, generate
    from lifecycle_metrics.scoring.backtest import labelled_snapshots, time_split_backtest

    folder = Path(tempfile.mkdtemp(prefix="churn-bench-")) / "demo"
    generate(folder, DemoConfig(contacts=contacts, seed=7))
    dataset = load(folder)
    started = time.perf_counter()
    snapshots = labelled_snapshots(dataset)
    elapsed = time.perf_counter() - started
    rule, learned, split = time_split_backtest(snapshots)
    print(
        f"demo, {contacts:,} contacts: {len(snapshots):,} account-months "
        f"({snapshots.as_of.nunique()} month ends, built in {elapsed:.1f} s)"
    )
    print(f"  train {split['train']}; test {split['test']}")
    show(rule)
    show(learned)


def telco(path: Path) -> None:
    import numpy as np
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from telco_snapshot import CATEGORICAL, NUMERIC, read_telco, to_snapshot

    from lifecycle_metrics.customers.scores import score_accounts
    from lifecycle_metrics.scoring.backtest import churn_pipeline, judge

    raw = read_telco(path)
    scored = score_accounts(to_snapshot(raw))
    print(f"IBM Telco: {len(raw):,} customers, churn {raw.churned.mean():.3%}")
    show(judge("loyalty score (rule)", scored.churned, scored.risk, scored.risk / 100))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    predicted = cross_val_predict(
        churn_pipeline(NUMERIC, CATEGORICAL), raw, raw.churned, cv=folds, method="predict_proba"
    )[:, 1]
    show(judge("logistic regression, 5-fold", raw.churned, np.asarray(predicted)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--telco", type=Path, default=TELCO)
    args = parser.parse_args()
    demo(args.contacts)
    telco(args.telco)


if __name__ == "__main__":
    main()
