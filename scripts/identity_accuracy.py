"""Pairwise precision and recall of the identity graph against the generator's ground truth.

    python -m scripts.identity_accuracy --truth data/ground_truth [--warehouse DIR]

A pair is two identifiers placed in the same person. Precision: of the pairs the graph
makes, the share that are truly one person. Recall: of the true pairs between
identifiers the data makes discoverable (ground truth ``discoverable``), the share the
graph makes. Identifiers whose value the truth gives to several persons (junk numbers,
staff phones) are left out: they belong to nobody. Orders are identifiers of type
``order``, so "over identifiers and orders" is the same computation, also reported for
orders alone (order -> person assignment).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import polars as pl

from dagster_project import settings

KEY = ["identifier_type", "identifier_value"]


@dataclass
class Accuracy:
    identifiers_evaluated: int
    predicted_pairs: int
    true_pairs: int
    correct_pairs: int
    precision: float
    discoverable_true_pairs: int
    discoverable_correct_pairs: int
    recall: float
    orders_evaluated: int
    order_precision: float
    order_recall: float


def _pairs(frame: pl.DataFrame, by: list[str]) -> int:
    sizes = frame.group_by(by).len()["len"]
    return int((sizes * (sizes - 1) // 2).sum())


def pairwise(predicted: pl.DataFrame, truth: pl.DataFrame) -> dict[str, float | int]:
    """predicted(identifier_type, identifier_value, person_id) vs truth(+ true_person, discoverable)."""
    joined = truth.join(predicted, on=KEY, how="inner")
    predicted_pairs = _pairs(joined, ["person_id"])
    true_pairs = _pairs(joined, ["true_person"])
    correct = _pairs(joined, ["person_id", "true_person"])
    discoverable = truth.filter(pl.col("discoverable")).join(predicted, on=KEY, how="left")
    disc_true = _pairs(discoverable, ["true_person"])
    disc_correct = _pairs(
        discoverable.filter(pl.col("person_id").is_not_null()), ["person_id", "true_person"]
    )
    return {
        "evaluated": joined.height,
        "predicted_pairs": predicted_pairs,
        "true_pairs": true_pairs,
        "correct_pairs": correct,
        "precision": correct / predicted_pairs if predicted_pairs else 1.0,
        "discoverable_true_pairs": disc_true,
        "discoverable_correct_pairs": disc_correct,
        "recall": disc_correct / disc_true if disc_true else 1.0,
    }


def load_truth(truth_dir: Path) -> pl.DataFrame:
    truth = pl.read_parquet(truth_dir / "identifiers.parquet").rename({"person_id": "true_person"})
    owners = truth.group_by(KEY).agg(pl.col("true_person").n_unique().alias("owners"))
    unambiguous = owners.filter(pl.col("owners") == 1).select(KEY)
    return truth.join(unambiguous, on=KEY).unique(KEY).select(*KEY, "true_person", "discoverable")


def load_predicted(warehouse_db: Path) -> pl.DataFrame:
    with duckdb.connect(str(warehouse_db), read_only=True) as con:
        return con.sql(
            "select identifier_type, identifier_value, person_id from intermediate.int_identity__persons"
        ).pl()


def evaluate(truth_dir: Path, warehouse_db: Path) -> Accuracy:
    truth, predicted = load_truth(truth_dir), load_predicted(warehouse_db)
    everything = pairwise(predicted, truth)
    # Orders: is each order given to the right person? Pairs between an order and the
    # person's other identifiers, so join orders with every identifier of their person.
    orders = truth.filter(pl.col("identifier_type") == "order")
    order_scores = _order_assignment(predicted, truth, orders)
    return Accuracy(
        identifiers_evaluated=everything["evaluated"],
        predicted_pairs=everything["predicted_pairs"],
        true_pairs=everything["true_pairs"],
        correct_pairs=everything["correct_pairs"],
        precision=round(everything["precision"], 6),
        discoverable_true_pairs=everything["discoverable_true_pairs"],
        discoverable_correct_pairs=everything["discoverable_correct_pairs"],
        recall=round(everything["recall"], 6),
        orders_evaluated=orders.height,
        order_precision=round(order_scores["precision"], 6),
        order_recall=round(order_scores["recall"], 6),
    )


def _order_assignment(predicted: pl.DataFrame, truth: pl.DataFrame, orders: pl.DataFrame) -> dict:
    """Pairs (order, other identifier) only: what attributing orders to persons gets right."""
    pred = predicted.join(truth.select(*KEY, "true_person", "discoverable"), on=KEY)
    order_side = pred.filter(pl.col("identifier_type") == "order")
    other_side = pred.filter(pl.col("identifier_type") != "order")
    predicted_pairs = order_side.join(other_side, on="person_id").height
    correct = order_side.join(other_side, on=["person_id", "true_person"]).height
    t_orders = orders.filter(pl.col("discoverable"))
    t_other = truth.filter((pl.col("identifier_type") != "order") & pl.col("discoverable"))
    true_pairs = t_orders.join(t_other, on="true_person").height
    found = (
        t_orders.join(predicted, on=KEY)
        .join(t_other.join(predicted, on=KEY), on=["true_person", "person_id"])
        .height
    )
    return {
        "precision": correct / predicted_pairs if predicted_pairs else 1.0,
        "recall": found / true_pairs if true_pairs else 1.0,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--truth", type=Path, default=settings.landing_dir().parent / "ground_truth")
    parser.add_argument("--warehouse", type=Path, default=settings.warehouse_dir())
    args = parser.parse_args(argv)
    result = evaluate(args.truth, args.warehouse / "warehouse.duckdb")
    print(json.dumps(asdict(result), indent=2))


if __name__ == "__main__":
    main()
