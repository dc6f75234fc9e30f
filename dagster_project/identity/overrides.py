"""Analyst corrections of the identity graph: the overrides file and the rule that applies it.

The file (``IDENTITY_OVERRIDES_FILE``, default ``$WAREHOUSE_DIR/identity_overrides.csv``) is
a CSV with one correction per row::

    left_type,left_value,right_type,right_value,action,reason,author,added_on
    wecom_external_userid,wmBo0001,phone,138 1234 5678,never_link,staff typed Ann's phone on Bo's contact (ticket CS-118),li.na,2026-11-20

- ``never_link``: the two identifiers are different people. Every path between them in the
  graph is cut by a *minimum weighted edge cut*: the set of links whose evidence weighs least
  in total (``EVIDENCE_WEIGHTS``; a receiver phone weighs little, a platform unionid binding a
  lot) and without which no path joins them. Of several cuts of equal weight, the one closest
  to the left identifier is taken. Rows are applied in file order.
- ``always_link``: the two identifiers are one person: a link is added (evidence
  ``override_always_link``). It is never cut by a ``never_link`` row: a row whose pair only
  ``always_link`` rows join is a contradiction in the file and fails the run.

The file lives beside bronze in the restricted warehouse area, not in the code repository:
it names customers (phones, openids). It is read on every dbt build by the model
``int_identity__overrides`` (the CSV is validated here, every problem named by file, line
and column) and applied before stitching by ``int_identity__override_edges``; the effect of
each row is listed in ``audit.identity_overrides``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np
import polars as pl

ENV = "IDENTITY_OVERRIDES_FILE"
COLUMNS = ("left_type", "left_value", "right_type", "right_value", "action", "reason", "author", "added_on")
ACTIONS = ("never_link", "always_link")
# the identifier types of the identity graph (int_identity__links)
IDENTIFIER_TYPES = (
    "wx_unionid",
    "oa_openid",
    "mp_openid",
    "mp_anonymous_id",
    "wecom_external_userid",
    "phone",
    "crm_member_id",
    "tmall_buyer",
    "order",
)
ALWAYS_LINK_EVIDENCE = "override_always_link"
# How much a link's evidence is believed, for the minimum cut of never_link: the cut removes
# the least believed links that separate the pair. A link carried by several kinds of
# evidence weighs their sum.
EVIDENCE_WEIGHTS = {
    "account": 100,  # the platform bound the ids (unionid): almost never wrong
    "phone_verified": 60,  # the user confirmed the phone in the Mini Program
    "phone_member": 40,  # typed at the CRM counter: typos happen
    "phone_buyer": 30,  # the Youzan buyer account's phone
    "order_buyer": 30,  # the order's buyer account
    "device": 10,  # one device, one openid so far (devices get shared)
    "order_device": 10,
    "phone_staff": 5,  # typed by staff into remark_mobiles, unverified
    "phone_receiver": 3,  # where an order was shipped: gifts
}
OVERRIDE_SCHEMA = {
    "override_row": pl.Int64,
    "left_type": pl.String,
    "left_value": pl.String,
    "right_type": pl.String,
    "right_value": pl.String,
    "left_key": pl.String,
    "right_key": pl.String,
    "action": pl.String,
    "reason": pl.String,
    "author": pl.String,
    "added_on": pl.Date,
    "overrides_file": pl.String,
}
EFFECT_SCHEMA = {
    "override_row": pl.Int64,
    "action": pl.String,
    "change": pl.String,
    "left_key": pl.String,
    "right_key": pl.String,
    "link_weight": pl.Int64,
    "status": pl.String,
}


class OverridesFileError(ValueError):
    """The overrides file cannot be applied; the message names file, line and column."""


def overrides_file() -> Path:
    from dagster_project.settings import identity_overrides_file

    return identity_overrides_file()


def decode_overrides(data: bytes, path: Path) -> str:
    # Excel saves "CSV UTF-8" with a BOM and plain "CSV" in the Windows code page (GBK)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise OverridesFileError(f"{path}: neither UTF-8 nor GBK text")


def normalized_identifier(kind: str, value: str) -> str | None:
    if kind == "phone":
        from dagster_project.rules.parsing import normalize_phone_value

        return normalize_phone_value(value)
    return value


def read_overrides(path: Path | None = None) -> pl.DataFrame:
    """The validated rows of the overrides file (none when it does not exist).

    Phones are normalised by the ingestion's rule, so ``138 1234 5678`` names ``+8613812345678``.
    Every problem of the file is reported at once, each as ``file:line column: problem``.
    """
    path = path or overrides_file()
    if not path.exists():
        return pl.DataFrame(schema=OVERRIDE_SCHEMA)
    reader = csv.DictReader(io.StringIO(decode_overrides(path.read_bytes(), path), newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    if missing or unknown:
        raise OverridesFileError(
            f"{path}:1 header: "
            + "; ".join(
                ([f"missing column(s) {', '.join(missing)}"] if missing else [])
                + ([f"unknown column(s) {', '.join(unknown)}"] if unknown else [])
            )
            + f" (expected {','.join(COLUMNS)})"
        )
    reader.fieldnames = header
    rows, problems, seen = [], [], {}
    for record in reader:
        line = reader.line_num
        cells = {c: (record.get(c) or "").strip() for c in COLUMNS}
        if not any(cells.values()):
            continue  # blank line
        if None in record:
            problems.append(f"{path}:{line}: more cells than columns (a comma inside an unquoted reason?)")
            continue
        row_problems = []
        for side in ("left", "right"):
            kind, value = cells[f"{side}_type"], cells[f"{side}_value"]
            if kind not in IDENTIFIER_TYPES:
                row_problems.append(
                    f"{path}:{line} {side}_type: unknown identifier type {kind!r} "
                    f"(one of {', '.join(IDENTIFIER_TYPES)})"
                )
            elif not value:
                row_problems.append(f"{path}:{line} {side}_value: empty")
            else:
                normalized = normalized_identifier(kind, value)
                if normalized is None:
                    row_problems.append(
                        f"{path}:{line} {side}_value: {value!r} is not a phone number "
                        "(masked numbers cannot be matched)"
                    )
                cells[f"{side}_value"] = normalized
        if cells["action"] not in ACTIONS:
            row_problems.append(
                f"{path}:{line} action: {cells['action']!r} is not one of {', '.join(ACTIONS)}"
            )
        for column in ("reason", "author"):
            if not cells[column]:
                row_problems.append(
                    f"{path}:{line} {column}: missing (every override needs who made it and why)"
                )
        try:
            cells["added_on"] = dt.date.fromisoformat(cells["added_on"])
        except ValueError:
            row_problems.append(f"{path}:{line} added_on: {cells['added_on']!r} is not a date YYYY-MM-DD")
        if not row_problems:
            left, right = (
                f"{cells['left_type']}:{cells['left_value']}",
                f"{cells['right_type']}:{cells['right_value']}",
            )
            pair = tuple(sorted((left, right)))
            if left == right:
                row_problems.append(f"{path}:{line}: both sides name {left}")
            elif pair in seen:
                other_line, other_action = seen[pair]
                what = "repeats" if other_action == cells["action"] else f"contradicts ({other_action})"
                row_problems.append(
                    f"{path}:{line}: {cells['action']} {what} line {other_line} for the same pair"
                )
            else:
                seen[pair] = (line, cells["action"])
                rows.append(
                    {
                        "override_row": line,
                        **cells,
                        "left_key": left,
                        "right_key": right,
                        "overrides_file": path.name,
                    }
                )
        problems += row_problems
    if problems:
        raise OverridesFileError("identity overrides file has errors:\n" + "\n".join(problems))
    return pl.DataFrame(rows, schema=OVERRIDE_SCHEMA)


def link_weights(links: pl.DataFrame) -> pl.DataFrame:
    """(left_key, right_key, evidence) rows -> one weight per undirected node pair (a, b), a < b."""
    weights = pl.DataFrame({"evidence": list(EVIDENCE_WEIGHTS), "weight": list(EVIDENCE_WEIGHTS.values())})
    return (
        links.select(
            pl.min_horizontal("left_key", "right_key").alias("a"),
            pl.max_horizontal("left_key", "right_key").alias("b"),
            "evidence",
        )
        .unique()
        .join(weights, on="evidence", how="left")
        .group_by("a", "b")
        .agg(pl.col("weight").fill_null(1).sum().cast(pl.Int64))
    )


def apply_overrides(
    overrides: pl.DataFrame, nodes: pl.Series, edges: pl.DataFrame, weights: pl.DataFrame
) -> pl.DataFrame:
    """The links each override row cuts or adds (EFFECT_SCHEMA).

    ``nodes``: every node key; ``edges``: the stitching edges (left_key, right_key);
    ``weights``: ``link_weights`` of the kept links (an edge without a weight counts 1).
    """
    from dagster_project.identity.graph import component_keys

    effects: list[dict] = []
    if overrides.is_empty():
        return pl.DataFrame(schema=EFFECT_SCHEMA)
    named = pl.concat([overrides["left_key"], overrides["right_key"]])
    node_set = set(nodes.filter(nodes.is_in(named.implode())).to_list())

    def absent(row) -> str | None:
        missing = [k for k in (row["left_key"], row["right_key"]) if k not in node_set]
        if missing:
            return (
                "not applied: "
                + ", ".join(missing)
                + " is no identifier of the graph (never exported, erased, or blocked by a guard)"
            )
        return None

    always = [r for r in overrides.iter_rows(named=True) if r["action"] == "always_link"]
    never = [r for r in overrides.iter_rows(named=True) if r["action"] == "never_link"]
    added = []
    for row in always:
        status = absent(row)
        if status is None:
            added.append((row["left_key"], row["right_key"]))
            effects.append(
                {
                    "override_row": row["override_row"],
                    "action": row["action"],
                    "change": "added",
                    "left_key": row["left_key"],
                    "right_key": row["right_key"],
                    "link_weight": None,
                    "status": "link added",
                }
            )
        else:
            effects.append(
                {
                    "override_row": row["override_row"],
                    "action": row["action"],
                    "change": None,
                    "left_key": None,
                    "right_key": None,
                    "link_weight": None,
                    "status": status,
                }
            )
    applicable = []
    for row in never:
        status = absent(row)
        if status:
            effects.append(
                {
                    "override_row": row["override_row"],
                    "action": row["action"],
                    "change": None,
                    "left_key": None,
                    "right_key": None,
                    "link_weight": None,
                    "status": status,
                }
            )
        else:
            applicable.append(row)
    if applicable:
        effects += _cut(applicable, nodes, edges, added, weights, component_keys)
    return pl.DataFrame(effects, schema=EFFECT_SCHEMA).sort(
        "override_row", "change", "left_key", "right_key", nulls_last=True
    )


def _cut(
    rows: list[dict],
    nodes: pl.Series,
    edges: pl.DataFrame,
    added: list[tuple[str, str]],
    weights: pl.DataFrame,
    component_keys,
) -> list[dict]:
    """Minimum weighted edge cuts, row after row, inside the components the rows touch."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order, maximum_flow

    extra = pl.DataFrame(added, schema={"left_key": pl.String, "right_key": pl.String}, orient="row")
    graph_edges = pl.concat([edges.select("left_key", "right_key"), extra])
    labels = component_keys(nodes, graph_edges["left_key"], graph_edges["right_key"])
    ends = {k for r in rows for k in (r["left_key"], r["right_key"])}
    touched = labels.filter(pl.col("node_key").is_in(pl.Series(sorted(ends), dtype=pl.String).implode()))[
        "component_key"
    ].unique()
    members = labels.filter(pl.col("component_key").is_in(touched.implode()))["node_key"].sort()
    index = {key: i for i, key in enumerate(members.to_list())}
    # undirected edges of the touched components, each once as (a, b) with a < b
    sub = (
        graph_edges.filter(
            pl.col("left_key").is_in(members.implode()) & pl.col("right_key").is_in(members.implode())
        )
        .select(
            pl.min_horizontal("left_key", "right_key").alias("a"),
            pl.max_horizontal("left_key", "right_key").alias("b"),
        )
        .filter(pl.col("a") != pl.col("b"))
        .unique()
        .join(weights, on=["a", "b"], how="left")
        .with_columns(pl.col("weight").fill_null(1))
        .sort("a", "b")
    )
    forced = {tuple(sorted(pair)) for pair in added}
    unbreakable = int(sub["weight"].sum()) + 1  # more than every believed link together
    if unbreakable >= 2**31 // 2:  # scipy's max flow counts in int32
        raise OverridesFileError("the components the never_link rows touch are too large to cut")
    capacity = {(a, b): (unbreakable if (a, b) in forced else int(w)) for a, b, w in sub.iter_rows()}
    effects = []
    for row in rows:
        source, target = index[row["left_key"]], index[row["right_key"]]
        pairs = sorted(capacity)
        a = np.array([index[p[0]] for p in pairs], dtype=np.int32)
        b = np.array([index[p[1]] for p in pairs], dtype=np.int32)
        c = np.array([capacity[p] for p in pairs], dtype=np.int32)
        n = len(index)
        both = csr_matrix(
            (np.concatenate([c, c]), (np.concatenate([a, b]), np.concatenate([b, a]))), shape=(n, n)
        )
        reach = breadth_first_order(both, source, directed=False, return_predecessors=False)
        if target not in set(reach.tolist()):
            effects.append(
                {
                    "override_row": row["override_row"],
                    "action": row["action"],
                    "change": None,
                    "left_key": None,
                    "right_key": None,
                    "link_weight": None,
                    "status": "already apart: no link to cut",
                }
            )
            continue
        flow = maximum_flow(both, source, target)
        if flow.flow_value >= unbreakable:
            raise OverridesFileError(
                f"{row['overrides_file']}:{row['override_row']}: never_link {row['left_key']} / {row['right_key']} "
                "cannot be applied: always_link rows of the file join them"
            )
        residual = both - flow.flow
        residual.data[residual.data < 0] = 0
        residual.eliminate_zeros()
        side = np.zeros(n, dtype=bool)
        side[breadth_first_order(residual, source, directed=True, return_predecessors=False)] = True
        cut = [(p, capacity[p]) for p, i, j in zip(pairs, a, b, strict=False) if side[i] != side[j]]
        total = sum(w for _, w in cut)
        for (left, right), weight in cut:
            del capacity[(left, right)]
            effects.append(
                {
                    "override_row": row["override_row"],
                    "action": row["action"],
                    "change": "cut",
                    "left_key": left,
                    "right_key": right,
                    "link_weight": weight,
                    "status": f"cut {len(cut)} link(s) of total weight {total}",
                }
            )
    return effects
