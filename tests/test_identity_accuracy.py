"""Identity accuracy against the generator's ground truth on a clean landing: exact."""

from dagster_project.identity_accuracy import evaluate


def test_clean_landing_links_every_person_exactly(clean_warehouse, clean_landing):
    _, truth = clean_landing
    accuracy = evaluate(truth, clean_warehouse / "warehouse.duckdb")
    assert accuracy.precision == 1.0, accuracy
    assert accuracy.recall == 1.0, accuracy
    assert accuracy.order_precision == 1.0 and accuracy.order_recall == 1.0, accuracy
