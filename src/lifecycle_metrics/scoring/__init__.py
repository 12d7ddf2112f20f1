"""Churn-risk scoring: the learned model, its backtest and the pipeline they share."""
