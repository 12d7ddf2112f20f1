"""Loyalty score, its reasons and advocacy segments on hand-made account snapshots."""

from __future__ import annotations

import pandas as pd
import pytest

from lifecycle_metrics.customers.scores import (
    AdvocacyRules,
    LoyaltyWeights,
    advocacy_shares,
    score_accounts,
)


def snapshot(**overrides: list) -> pd.DataFrame:  # type: ignore[type-arg]
    base = {
        "account_id": ["quiet", "fan", "champion"],
        "segment": ["SMB", "SMB", "Enterprise"],
        "breadth": [0.2, 1.0, 0.5],
        "uses_30d": [6.0, 40.0, 10.0],
        "usage_trend": [-0.4, 0.0, None],
        "customer_clicks_90d": [0, 2, 0],
        "events_90d": [0, 1, 0],
        "latest_nps": [None, 10, 6],
        "tenure_days": [365.0, 730.0, 1460.0],
        "expansions_won": [0, 1, 0],
        "features_used_30d": [1, 5, 2],
        "features_owned": [5, 5, 4],
        "advocacy_acts_365d": [0, 0, 2],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def test_loyalty_components_and_score_by_hand() -> None:
    scored = score_accounts(snapshot())
    quiet, fan, champion = scored.itertuples()
    # quiet: adoption .2, trend (−.4+1)/2=.3, engagement 0, nps .5 (none), tenure .5, expansion 0
    assert quiet.loyalty == pytest.approx(
        100 * (0.3 * 0.2 + 0.15 * 0.3 + 0 + 0.2 * 0.5 + 0.1 * 0.5)
    )
    # fan: 1, .5, min(1,(2+2)/3)=1, 1, 1, 1
    assert fan.loyalty == pytest.approx(100 * (0.3 + 0.15 * 0.5 + 0.15 + 0.2 + 0.1 + 0.1))
    # champion: .5, no trend but in use → .5, 0, .6, 1, 0
    assert champion.loyalty == pytest.approx(100 * (0.15 + 0.075 + 0 + 0.12 + 0.1 + 0))
    assert quiet.risk == pytest.approx(100 - quiet.loyalty)
    # strongest pulls from neutral: quiet's engagement (−.5×.15) and adoption (−.3×.3)
    assert quiet.reasons == (
        "uses 1 of 5 features of its products; no customer-program engagement in 90 days"
    )
    assert "feature use" not in champion.reasons or "no feature use" in champion.reasons


def test_the_usage_trend_reads_in_words() -> None:
    scored = score_accounts(
        snapshot(usage_trend=[-0.4, 0.0, None]),
        weights=LoyaltyWeights(
            adoption=0, usage_trend=1, engagement=0, nps=0, tenure=0, expansion=0
        ),
    )
    assert scored.loc[0, "reasons"].startswith("feature use fell 40% in 30 days")


def test_weights_are_normalised() -> None:
    doubled = LoyaltyWeights(
        adoption=0.6, usage_trend=0.3, engagement=0.3, nps=0.4, tenure=0.2, expansion=0.2
    )
    assert score_accounts(snapshot(), doubled)["loyalty"].tolist() == pytest.approx(
        score_accounts(snapshot())["loyalty"].tolist()
    )


def test_advocacy_segments_follow_behaviour_not_quantiles() -> None:
    scored = score_accounts(snapshot())
    # champion advocates although it is a detractor: loyalty is not advocacy
    assert scored["advocacy"].tolist() == ["lurker", "liker", "lover"]
    stricter = score_accounts(snapshot(), rules=AdvocacyRules(lover_min_acts=3))
    assert stricter["advocacy"].tolist() == ["lurker", "liker", "lurker"]
    shares = advocacy_shares(scored)
    assert shares["lover"] == {"accounts": 1, "share": pytest.approx(1 / 3), "rule_of_thumb": 0.01}
    assert shares["lurker"]["rule_of_thumb"] == 0.9


def test_scoring_config_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lifecycle_metrics.customers.config import load_scoring_config
    from lifecycle_metrics.errors import UsageError

    path = tmp_path / "scoring.yaml"
    path.write_text("loyalty: {nps: 1.0}\nreadiness: {max_risk: 30}\n", encoding="utf-8")
    config = load_scoring_config(path)
    assert config.loyalty.nps == 1.0 and config.loyalty.adoption == 0.30  # the rest default
    assert config.readiness.max_risk == 30 and config.advocacy.liker_min_nps == 9
    for text, message in (
        ("loyalty: {nps: -1}\n", "loyalty.nps"),
        ("advocacy: {lovers: 2}\n", "advocacy.lovers"),
        (
            "loyalty: {adoption: 0, usage_trend: 0, engagement: 0, nps: 0, tenure: 0, "
            "expansion: 0}\n",
            "must not all be zero",
        ),
    ):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(UsageError, match=r"scoring\.yaml") as caught:
            load_scoring_config(path)
        assert message in str(caught.value)
    assert load_scoring_config(None).loyalty == LoyaltyWeights()
