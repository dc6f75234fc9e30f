"""Identity-health figures and the thresholds that block publication.

A degenerate graph (one component swallowing thousands of people through a junk value a
guard missed) silently corrupts every metric, so the nightly run stops before publishing
when these figures cross their limits. Limits come from the environment so an operator
can loosen them for one run without a code change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import polars as pl

from dagster_project import settings
from dagster_project.lib.markdown import markdown_table

PERSONS = "intermediate.int_identity__persons"
PREVIOUS = "intermediate.int_identity__persons_previous"
IDENTIFIERS = "intermediate.int_identity__identifiers"


@dataclass(frozen=True)
class HealthLimits:
    """When the identity graph is degenerate (not the contracts' value Limits)."""

    # person-level identifiers (everything but orders) in the largest person
    max_person_identifiers: int = 50
    # share of orders that belong to no person
    max_orders_without_person: float = 0.01
    # share of last run's identifiers whose person id changed
    max_churn: float = 0.05

    @classmethod
    def from_environment(cls) -> HealthLimits:
        """IDENTITY_MAX_PERSON_IDENTIFIERS / _ORDERS_WITHOUT_PERSON / _CHURN, read when the check runs."""
        return cls(**settings.identity_health_limits())


@dataclass
class Health:
    persons: int
    identifiers: int
    largest_person_identifiers: int
    largest_person_id: str | None
    orders: int
    orders_without_person: int
    churn: float | None  # None on the first run
    per_type: list[tuple[str, int, float, int]]  # (type, identifiers, per person avg, max per person)
    problems: list[str] = field(default_factory=list)

    @property
    def orders_without_person_share(self) -> float:
        return self.orders_without_person / self.orders if self.orders else 0.0


def measure(con: duckdb.DuckDBPyConnection, limits: HealthLimits | None = None) -> Health:
    limits = limits or HealthLimits.from_environment()
    persons, identifiers = con.execute(
        f"select count(distinct person_id), count(*) from {PERSONS}"
    ).fetchone()
    largest = con.execute(
        f"select person_id, count(*) from {PERSONS} where identifier_type <> 'order' "
        "group by person_id order by 2 desc, 1 limit 1"
    ).fetchone() or (None, 0)
    orders, orphans = con.execute(
        f"select count(*), count(*) filter (where p.node_key is null) from {IDENTIFIERS} i "
        f"left join {PERSONS} p using (node_key) where i.identifier_type = 'order'"
    ).fetchone()
    per_type = con.execute(
        f"""select identifier_type, sum(n), round(avg(n), 3), max(n) from (
                select person_id, identifier_type, count(*) as n from {PERSONS} group by all
            ) group by identifier_type order by identifier_type"""
    ).fetchall()
    previous = con.execute(f"select count(*) from {PREVIOUS}").fetchone()[0]
    churn = None
    if previous:
        changed = con.execute(
            f"select count(*) from {PREVIOUS} p left join {PERSONS} c using (node_key) "
            "where c.person_id is distinct from p.person_id"
        ).fetchone()[0]
        churn = changed / previous
    health = Health(
        persons,
        identifiers,
        largest[1],
        largest[0],
        orders,
        orphans,
        churn,
        [(t, int(n), float(a), int(m)) for t, n, a, m in per_type],
    )
    if health.largest_person_identifiers > limits.max_person_identifiers:
        health.problems.append(
            f"largest person {health.largest_person_id} holds {health.largest_person_identifiers} "
            f"person-level identifiers (limit {limits.max_person_identifiers}): a junk value is joining people"
        )
    if health.orders_without_person_share > limits.max_orders_without_person:
        health.problems.append(
            f"{health.orders_without_person_share:.2%} of orders belong to no person "
            f"(limit {limits.max_orders_without_person:.2%})"
        )
    if churn is not None and churn > limits.max_churn:
        health.problems.append(
            f"{churn:.2%} of identifiers changed person since the last run (limit {limits.max_churn:.2%})"
        )
    return health


def per_type_markdown(health: Health) -> str:
    columns = ["identifier type", "identifiers", "per person (avg)", "per person (max)"]
    return markdown_table(pl.DataFrame(health.per_type, schema=columns, orient="row"))


EXPLAIN = "intermediate.int_identity__explain"


def masked(node_key: str | None, key: bytes) -> str | None:
    """type:<10 hex of the keyed pseudonym>: no phone, openid or order id in the check metadata
    (read by everyone with UI access), yet the same identifier always shows the same mask."""
    from dagster_project.rules.pseudonymize import pseudonymize

    if node_key is None:
        return None
    kind, value = node_key.split(":", 1)
    return f"{kind}:{pseudonymize(value, key)[:10]}"


def largest_persons_markdown(
    con: duckdb.DuckDBPyConnection, persons: int = 3, rows_per_person: int = 25
) -> str:
    """The largest persons (by person-level identifiers) with every identifier's link towards
    the person's anchor (int_identity__explain), identifiers masked."""
    from dagster_project.rules.pseudonymize import pseudonym_key

    key = pseudonym_key()
    try:
        frame = con.sql(
            f"""with largest as (
                    select person_id, count(*) as identifiers from {PERSONS} where identifier_type <> 'order'
                    group by person_id order by identifiers desc, person_id limit $persons
                )
                select largest.person_id, largest.identifiers, e.node_key, e.hops, e.parent_key,
                    string_agg(e.evidence || ' (' || e.source || ')', ', ' order by e.evidence, e.source) as evidence,
                    min(e.first_seen_at)::date as first_seen, max(e.last_seen_at)::date as last_seen
                from largest join {EXPLAIN} as e using (person_id)
                group by largest.person_id, largest.identifiers, e.node_key, e.hops, e.parent_key
                qualify row_number() over (partition by largest.person_id order by e.hops, e.node_key) <= $rows
                order by largest.identifiers desc, largest.person_id, e.hops, e.node_key""",
            params={"persons": persons, "rows": rows_per_person},
        ).pl()
    except duckdb.CatalogException:
        return f"{EXPLAIN} is not built"
    if frame.is_empty():
        return "no persons"
    frame = frame.with_columns(
        pl.col("node_key").map_elements(lambda k: masked(k, key), return_dtype=pl.String).alias("identifier"),
        pl.col("parent_key")
        .map_elements(lambda k: masked(k, key), return_dtype=pl.String)
        .fill_null("(anchor)")
        .alias("joined to"),
    )
    table = frame.select(
        pl.col("person_id").alias("person"),
        pl.col("identifiers").alias("person-level identifiers"),
        "identifier",
        "hops",
        "joined to",
        pl.col("evidence").fill_null(""),
        pl.col("first_seen").cast(pl.String).fill_null(""),
        pl.col("last_seen").cast(pl.String).fill_null(""),
    )
    return markdown_table(table)
