"""Demo landing-data generator: a realistic, deterministic landing tree of any size.

    python -m sources.generator --seed 7 --persons 20000 --out data/landing --as-of 2026-11-22

Simulates persons reaching the private domain (population), their Mini Program
behaviour and referrals (mp), orders and refunds (orders), renders every source
as its real export (wechat, commerce, quirks, writers) and writes the ground
truth next to it (truth). The same seed, size and as-of give identical bytes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from . import backoffice, commerce, mp, population, truth, wechat
from . import orders as orders_mod
from .ids import rng_for
from .timeline import Timeline
from .writers import Writer

TRUTH_TABLES = ("identifiers", "orders", "persons", "bad_rows", "files")


@dataclass(frozen=True)
class Config:
    seed: int
    persons: int
    out: Path
    as_of: dt.date
    truth: Path | None = None
    clean: bool = False
    part_rows: int = 250_000
    xlsx_rows: int = 50_000

    @property
    def truth_dir(self) -> Path:
        return self.truth if self.truth is not None else self.out.parent / "ground_truth"


def generate(cfg: Config, log=lambda msg: None) -> dict[str, pl.DataFrame]:
    tl = Timeline.build(cfg.as_of)
    seed, clean = cfg.seed, cfg.clean
    P = population.simulate(cfg.persons, tl, seed)
    base = P.filter((pl.col("c0") != "referral") & (pl.col("mp_first") >= 0))
    ev = mp.browse(base, tl, rng_for(seed, "browse"))
    P = mp.assign_referrals(P, ev, tl, seed)
    ref = P.filter(pl.col("c0") == "referral")
    ev_ref = mp.browse(ref, tl, rng_for(seed, "browse_referred"), landing_from=ref["inviter"].to_numpy())
    P = population.identities(P, seed, clean)
    orders, lines = orders_mod.simulate(P, tl, seed, clean)
    # The ERP is the only record of a mini-program order whose purchase event was lost,
    # so such an order must have shipped by as-of.
    orders = orders.with_columns(lost_event=pl.col("lost_event") & (pl.col("t_ship") >= 0))
    E = mp.finish(
        pl.concat([ev, ev_ref, mp.purchases(orders, P, rng_for(seed, "purchases"))]), P, seed, clean
    )
    del ev, ev_ref
    orders = commerce.enrich(orders, P, seed, clean)
    log(f"simulated {P.height} persons, {E.height} events, {orders.height} orders")

    w = Writer(cfg.out, tl, seed, clean, cfg.part_rows, cfg.xlsx_rows)
    nodes, edges = [], []

    def emit(source, built):
        holder, n, e = [built[0]], built[1], built[2]
        del built  # the writer empties `holder`: no reference to the big frame stays here
        w.write(source, holder)
        nodes.extend(n if isinstance(n, list) else [n])
        edges.extend(e if isinstance(e, list) else [e])
        log(f"wrote {source}")

    facts: list[pl.DataFrame] = []
    for source, frame in commerce.build(orders, lines, P, tl, seed, facts, nodes, edges):
        holder = [frame]
        del frame
        w.write(source, holder)
        log(f"wrote {source}")
    emit("wechat_mp_events", wechat.mp_events(E, P, orders, tl))
    emit("wechat_oa_users", wechat.oa_users(P, tl, rng_for(seed, "oa")))
    emit("wechat_mp_users", wechat.mp_users(P, tl, rng_for(seed, "mp_users")))
    emit("wecom_contacts", wechat.wecom_contacts(P, tl, rng_for(seed, "wecom"), clean))
    emit("wecom_groups", wechat.wecom_groups(P, tl, rng_for(seed, "groups")))
    emit("crm_members", backoffice.crm(P, tl, seed))
    ref_frame, erp_refunds = backoffice.refunds(orders, tl, seed)
    w.write("erp_refunds", ref_frame)
    log("wrote erp_refunds")
    w.close()
    log("XLSX workers done")

    T = truth.orders(orders, pl.concat(facts, how="vertical_relaxed"), erp_refunds, tl)
    log("truth: orders")
    tables = {
        "identifiers": truth.identifiers(
            nodes,
            edges,
            P.filter(pl.col("phone_trap").is_not_null()).select(
                type=pl.lit("phone"), value=pl.lit("+86") + pl.col("phone"), trap="phone_trap"
            ),
        ),
        "orders": T,
        "persons": truth.persons(P, E, T, tl),
        "bad_rows": pl.DataFrame(
            w.bad,
            schema={
                "source": pl.String,
                "source_file": pl.String,
                "row_number": pl.Int64,
                "column_name": pl.String,
                "reason": pl.String,
            },
        ).sort(["source_file", "row_number"]),
        "files": pl.DataFrame(
            w.files,
            schema={
                "source": pl.String,
                "source_file": pl.String,
                "export_date": pl.String,
                "format": pl.String,
                "encoding": pl.String,
                "data_rows": pl.Int64,
            },
        )
        .with_columns(pl.col("export_date").str.to_date())
        .sort("source_file"),
    }
    truth.write(cfg.truth_dir, tables)
    log("wrote ground truth to " + str(cfg.truth_dir))
    return tables
