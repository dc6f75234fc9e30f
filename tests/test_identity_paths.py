"""Tracing persons in parts (bounded memory at any scale) gives the paths tracing them all
at once gives: a person's tree depends on its own identifiers and edges alone."""

import random

import duckdb
import polars as pl
import pytest

from dagster_project.dbt_runtime.models import path_relations


@pytest.fixture(scope="module")
def graph():
    """300 persons of 1 to 12 identifiers: trees, cycles and a few duplicate edges."""
    rng = random.Random(7)
    persons, edges = [], []
    for p in range(300):
        size = rng.randint(1, 12)
        keys = [f"phone:+86139{p:04d}{i:02d}" for i in range(size)]
        anchor = rng.randrange(size)
        persons += [(key, f"p_{p:05d}", i == anchor) for i, key in enumerate(keys)]
        for i in range(1, size):  # a spanning tree, then extra edges closing cycles
            edges.append((keys[rng.randrange(i)], keys[i]))
        edges += [(rng.choice(keys), rng.choice(keys)) for _ in range(rng.randint(0, 3))]
    con = duckdb.connect()
    con.register(
        "persons", pl.DataFrame(persons, schema=["node_key", "person_id", "is_anchor"], orient="row")
    )
    con.register("edges", pl.DataFrame(edges, schema=["left_key", "right_key"], orient="row"))
    yield con
    con.close()


def _rows(frame: pl.DataFrame) -> list[tuple]:
    return sorted(frame.select("node_key", "parent_key", "hops", "person_id").rows(), key=str)


def test_parts_give_the_paths_of_one_pass(graph):
    whole = path_relations(graph.table("persons"), graph.table("edges"))
    in_parts = path_relations(graph.table("persons"), graph.table("edges"), per_part=200)
    assert whole.height == graph.table("persons").aggregate("count(*)").fetchall()[0][0]
    assert _rows(in_parts) == _rows(whole)


def test_a_retrace_list_traces_its_persons_alone_in_parts_too(graph):
    whole = path_relations(graph.table("persons"), graph.table("edges"))
    listed = graph.sql(
        "select distinct person_id, false as traces_every_person from persons where hash(person_id) % 3 = 0"
    )
    wanted = set(listed.pl()["person_id"])
    expected = [row for row in _rows(whole) if row[3] in wanted]
    for per_part in (10**6, 150):
        traced = path_relations(graph.table("persons"), graph.table("edges"), listed, per_part=per_part)
        assert _rows(traced) == expected
