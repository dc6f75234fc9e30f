"""dagster_project.clv.fitting: BG/NBD + Gamma-Gamma against the published CDNOW results and against
simulation.

Published figures (tests/data/cdnow/README.md): Fader, Hardie & Lee (2005) fit BG/NBD on the
2,357-customer CDNOW sample, calibration 1997-01-01 .. 1997-09-30 (39 weeks), time in weeks,
frequency = repeat purchase days: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426,
LL = -9582.4. Gamma-Gamma on the 946 customers with a repeat purchase in calibration, m = mean
spend of their repeat purchases: p = 6.25, q = 3.74, gamma = 15.44.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import optimize, special

from dagster_project.clv import fitting as clv

CDNOW = Path(__file__).parent / "data" / "cdnow" / "CDNOW_sample.txt"
CALIBRATION_END = dt.date(1997, 9, 30)  # 39 weeks after 1997-01-01, inclusive


def cdnow_transactions() -> pl.DataFrame:
    """Whitespace-separated: customer id, cohort id, date (YYYYMMDD), CDs, dollars."""
    rows = [line.split() for line in CDNOW.read_text().splitlines() if line.strip()]
    return pl.DataFrame(
        {
            "customer": [r[0] for r in rows],
            "date": [r[2] for r in rows],
            "amount": [float(r[4]) for r in rows],
        }
    ).with_columns(date=pl.col("date").str.strptime(pl.Date, "%Y%m%d"))


@pytest.fixture(scope="module")
def cdnow_calibration() -> pl.DataFrame:
    """Per customer over the calibration period, time in weeks: a purchase is a distinct
    purchase day (same-day transactions summed), the first purchase is not a repeat."""
    tx = cdnow_transactions()
    assert tx.height == 6919 and tx["customer"].n_unique() == 2357
    days = (
        tx.filter(pl.col("date") <= CALIBRATION_END)
        .group_by("customer", "date")
        .agg(value=pl.col("amount").sum())
        .with_columns(first=pl.col("date").min().over("customer"))
    )
    return (
        days.group_by("customer")
        .agg(
            frequency=pl.len() - 1,
            recency=(pl.col("date").max() - pl.col("first").first()).dt.total_days() / 7,
            T=(pl.lit(CALIBRATION_END) - pl.col("first").first()).dt.total_days() / 7,
            monetary_value=pl.col("value").filter(pl.col("date") > pl.col("first")).mean(),
        )
        .sort("customer")
    )


def test_bgnbd_reproduces_fader_hardie_lee_2005(cdnow_calibration):
    s = cdnow_calibration
    assert s.height == 2357
    fit = clv.fit_bgnbd(s["frequency"], s["recency"], s["T"])
    assert fit.r == pytest.approx(0.243, abs=0.01)
    assert fit.alpha == pytest.approx(4.414, abs=0.01)
    assert fit.a == pytest.approx(0.793, abs=0.01)
    assert fit.b == pytest.approx(2.426, abs=0.01)
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    assert fit.n_customers == 2357


def test_gamma_gamma_reproduces_fader_hardie(cdnow_calibration):
    s = cdnow_calibration
    assert int((s["frequency"] > 0).sum()) == 946
    fit = clv.fit_gamma_gamma(s["frequency"], s["monetary_value"].fill_null(0))
    assert fit.p == pytest.approx(6.25, abs=0.05)
    assert fit.q == pytest.approx(3.74, abs=0.05)
    assert fit.gamma == pytest.approx(15.44, abs=0.05)
    assert fit.n_customers == 946


def test_conditional_expectation_published_example():
    """FHL (2005) / BTYD: x = 2, t_x = 30.43, T = 38.86 weeks -> 1.226 purchases in the next 39 weeks."""
    params = clv.BgNbdParams(0.243, 4.414, 0.793, 2.426)
    expected = clv.bgnbd_conditional_expected_purchases(params, 39, [2], [30.43], [38.86])
    assert expected[0] == pytest.approx(1.226, abs=0.001)


def test_new_customer_expectation_is_the_unconditional_one():
    """x = 0, T = 0: E[Y(t) | ...] equals FHL eq. (9), E[X(t)], computed with the untransformed 2F1."""
    r, alpha, a, b, t = 0.243, 4.414, 0.793, 2.426, 52.0
    unconditional = (
        (a + b - 1)
        / (a - 1)
        * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    )
    got = clv.bgnbd_conditional_expected_purchases(clv.BgNbdParams(r, alpha, a, b), t, [0], [0], [0])
    assert got[0] == pytest.approx(unconditional, rel=1e-10)


@pytest.mark.parametrize("x,t_x,T", [(1, 5.0, 30.0), (5, 20.0, 38.0), (30, 37.0, 38.0), (60, 300.0, 400.0)])
def test_euler_transformed_expectation_matches_the_textbook_formula(x, t_x, T):
    p = clv.BgNbdParams(0.25, 28.0, 0.8, 2.5)
    t = 365.0
    direct = (
        (p.a + p.b + x - 1)
        / (p.a - 1)
        * (
            1
            - ((p.alpha + T) / (p.alpha + T + t)) ** (p.r + x)
            * special.hyp2f1(p.r + x, p.b + x, p.a + p.b + x - 1, t / (p.alpha + T + t))
        )
        / (1 + p.a / (p.b + x - 1) * ((p.alpha + T) / (p.alpha + t_x)) ** (p.r + x))
    )
    got = clv.bgnbd_conditional_expected_purchases(p, t, [x], [t_x], [T])[0]
    assert got == pytest.approx(direct, rel=1e-8)


def test_heavy_buyers_stay_finite():
    """x in the hundreds overflows the textbook formula's intermediate powers; not here."""
    p = clv.BgNbdParams(0.25, 28.0, 0.8, 2.5)
    x = np.array([400.0, 400.0, 300.0])
    t_x = np.array([540.0, 100.0, 544.0])
    T = np.array([545.0, 545.0, 545.0])
    expected = clv.bgnbd_conditional_expected_purchases(p, 365, x, t_x, T)
    alive = clv.bgnbd_p_alive(p, x, t_x, T)
    assert np.all(np.isfinite(expected)) and np.all(np.isfinite(alive))
    assert alive[1] < 1e-12 < alive[0] and expected[1] < 1e-9 < expected[0]


def test_p_alive_rules():
    p = clv.BgNbdParams(0.243, 4.414, 0.793, 2.426)
    # no repeat purchase: cannot have dropped out (BG/NBD drops out only after a purchase)
    assert clv.bgnbd_p_alive(p, [0, 0], [0, 0], [1, 100]).tolist() == [1.0, 1.0]
    # longer silence since the last purchase -> less likely alive
    alive = clv.bgnbd_p_alive(p, [3, 3, 3], [30, 20, 10], [38, 38, 38])
    assert alive[0] > alive[1] > alive[2] > 0


def _simulate_with_holdout(params: clv.BgNbdParams, T: np.ndarray, holdout: float, seed: int):
    """BG/NBD customers observed for T, and their purchases in (T, T + holdout]."""
    rng = np.random.default_rng(seed)
    n = len(T)
    lam = rng.gamma(params.r, 1 / params.alpha, n)
    drop = rng.beta(params.a, params.b, n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    future = np.zeros(n)
    for i in range(n):
        arrivals = np.sort(rng.uniform(0, T[i] + holdout, rng.poisson(lam[i] * (T[i] + holdout))))
        alive_for = rng.geometric(drop[i])  # dies right after this repeat purchase
        arrivals = arrivals[:alive_for]
        seen = arrivals[arrivals <= T[i]]
        x[i] = len(seen)
        t_x[i] = seen[-1] if len(seen) else 0.0
        future[i] = np.sum(arrivals > T[i])
    return x, t_x, future


def test_fit_and_forecast_on_simulated_customers():
    """Parameters are recovered, and the conditional expectation forecasts the purchases
    simulated customers make after calibration (on average)."""
    truth = clv.BgNbdParams(0.5, 10.0, 0.9, 3.0)
    rng = np.random.default_rng(7)
    T = rng.uniform(30, 200, 20_000)
    x, t_x, future = _simulate_with_holdout(truth, T, holdout=100.0, seed=8)
    fit = clv.fit_bgnbd(x, t_x, T)
    assert fit.r == pytest.approx(truth.r, rel=0.1)
    assert fit.alpha == pytest.approx(truth.alpha, rel=0.15)
    assert fit.a == pytest.approx(truth.a, rel=0.2)
    assert fit.b == pytest.approx(truth.b, rel=0.25)
    forecast = clv.bgnbd_conditional_expected_purchases(fit, 100.0, x, t_x, T)
    assert forecast.mean() == pytest.approx(future.mean(), rel=0.05)
    # and for the repeat buyers alone, where the conditioning matters most
    repeaters = x > 0
    assert forecast[repeaters].mean() == pytest.approx(future[repeaters].mean(), rel=0.07)


def test_simulator_draws_from_the_model():
    """simulate_bgnbd (the 1M-buyer benchmark's data) recovers its own parameters."""
    truth = clv.BgNbdParams(0.25, 4.0, 0.8, 2.5)
    T = np.random.default_rng(3).uniform(10, 300, 30_000)
    x, t_x = clv.simulate_bgnbd(truth, T, seed=4)
    fit = clv.fit_bgnbd(x, t_x, T)
    assert (fit.r, fit.alpha, fit.a, fit.b) == pytest.approx(
        (truth.r, truth.alpha, truth.a, truth.b), rel=0.2
    )


def test_analytic_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    T = rng.uniform(1, 50, 300)
    x, t_x = clv.simulate_bgnbd(clv.BgNbdParams(0.4, 5.0, 0.9, 2.0), T, seed=1)
    point = np.log([0.3, 4.0, 1.1, 2.5])

    def f(log_params):
        return clv._bgnbd_ll_terms(log_params, x, t_x, T, with_gradient=False)[0].sum()

    def g(log_params):
        return clv._bgnbd_ll_terms(log_params, x, t_x, T, with_gradient=True)[1].sum(axis=1)

    assert g(point) == pytest.approx(optimize.approx_fprime(point, f, 1e-7), rel=1e-4, abs=1e-3)

    m = rng.gamma(5, 4, 300)
    xg = rng.integers(1, 9, 300).astype(float)
    gg_point = np.log([5.0, 3.0, 12.0])

    def fg(log_params):
        return clv._gg_ll_terms(log_params, xg, m, with_gradient=False)[0].sum()

    def gg(log_params):
        return clv._gg_ll_terms(log_params, xg, m, with_gradient=True)[1].sum(axis=1)

    assert gg(gg_point) == pytest.approx(optimize.approx_fprime(gg_point, fg, 1e-7), rel=1e-4, abs=1e-3)


def test_gamma_gamma_expected_value_is_a_weighted_average():
    params = clv.GammaGammaParams(6.25, 3.74, 15.44)
    population_mean = params.gamma * params.p / (params.q - 1)
    values = clv.gamma_gamma_conditional_expected_value(params, [0, 1, 1000], [0, 40.0, 40.0])
    assert values[0] == pytest.approx(population_mean)
    assert population_mean < values[1] < 40.0
    assert values[2] == pytest.approx(40.0, rel=0.01)


def test_inputs_are_validated():
    with pytest.raises(ValueError):
        clv.fit_bgnbd([1], [5], [3])  # recency > T
    with pytest.raises(ValueError):
        clv.fit_bgnbd([0], [2], [3])  # recency without a repeat purchase
    with pytest.raises(ValueError):
        clv.fit_gamma_gamma([0, 0], [0, 0])


def test_warehouse_helpers_round_trip(cdnow_calibration):
    """The dbt Python models' bodies: fit -> clv_model_params rows -> predictions."""
    inputs = cdnow_calibration.rename({"customer": "person_id"})
    fitted_at = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
    params = clv.fit_params_frame(inputs, fitted_at=fitted_at)
    assert params.columns == ["model", "parameter", "value", "n_customers", "fitted_at"]
    assert params.filter(pl.col("model") == "bg_nbd")["parameter"].to_list() == [
        "r",
        "alpha",
        "a",
        "b",
        "log_likelihood",
    ]
    assert set(params["n_customers"]) == {2357, 946}
    predictions = clv.predict_frame(inputs, params, horizon=39)
    assert predictions.columns == [
        "person_id",
        "p_alive",
        "expected_purchases_39d",
        "expected_avg_order_value",
        "predicted_clv_39d",
    ]
    assert predictions.height == 2357 and predictions.null_count().sum_horizontal().item() == 0
    row = predictions.filter(pl.col("expected_purchases_39d") > 0).row(0, named=True)
    assert row["predicted_clv_39d"] == pytest.approx(
        row["expected_purchases_39d"] * row["expected_avg_order_value"]
    )


def test_nothing_to_fit_gives_no_parameters_and_null_predictions():
    inputs = pl.DataFrame(
        {
            "person_id": ["a", "b"],
            "frequency": [0, 0],
            "recency": [0, 0],
            "T": [3, 0],
            "monetary_value": [None, None],
        },
        schema_overrides={"monetary_value": pl.Float64},
    )
    params = clv.fit_params_frame(inputs)
    assert params.height == 0
    predictions = clv.predict_frame(inputs, params, horizon=365)
    assert predictions["person_id"].to_list() == ["a", "b"]
    assert predictions["p_alive"].null_count() == 2 and predictions["predicted_clv_365d"].null_count() == 2


def test_a_fit_that_fails_leaves_its_predictions_null(cdnow_calibration, monkeypatch, caplog):
    """A non-converging optimiser must not fail the nightly build: the model has no
    parameter rows and the columns that need it are null (the dbt test warns)."""

    def no_convergence(*args, **kwargs):
        raise RuntimeError("Gamma-Gamma fit did not converge: test")

    monkeypatch.setattr(clv, "fit_gamma_gamma", no_convergence)
    inputs = cdnow_calibration.rename({"customer": "person_id"})
    params = clv.fit_params_frame(inputs)
    assert set(params["model"]) == {"bg_nbd"}
    assert "did not converge" in caplog.text
    predictions = clv.predict_frame(inputs, params, horizon=39)
    assert predictions["p_alive"].null_count() == 0
    assert predictions["expected_avg_order_value"].null_count() == predictions.height
    assert predictions["predicted_clv_39d"].null_count() == predictions.height


def test_line_search_stop_at_the_optimum_is_accepted():
    """L-BFGS-B may end ABNORMAL_TERMINATION_IN_LNSRCH at the optimum (seen on a generated
    landing: 271 repeat buyers, MLE p = 0.89, q = 37, gamma = 20,428). This sample of the same
    shape made a plain L-BFGS-B (ftol 1e-13) stop that way with scipy 1.17; the polish and
    the gradient test accept the optimum."""
    rng = np.random.default_rng(16)
    x = rng.integers(1, 20, 271).astype(float)
    nu = rng.gamma(37.4, 1 / 20428, 271)
    m = rng.gamma(0.886 * x, 1 / (nu * x))
    fit = clv.fit_gamma_gamma(x, m)
    assert fit.q > 1 and np.isfinite(fit.log_likelihood)
    # it is the maximum: no nearby point is better
    best = clv.gamma_gamma_log_likelihood(fit, x, m)
    for step in ([0.01, 0, 0], [0, 0.01, 0], [0, 0, 0.01], [-0.01, -0.01, -0.01]):
        nearby = clv.GammaGammaParams(*(np.array([fit.p, fit.q, fit.gamma]) * np.exp(step)))
        assert clv.gamma_gamma_log_likelihood(nearby, x, m) <= best + 1e-9
