"""``siyu explain``: why an identifier belongs to its person, read from warehouse.duckdb.

Prints the shortest path of kept links from the identifier to its person's anchor (the
earliest identifier, from which the person id is derived), each link with its evidence,
source, first/last seen and the export files it came from (``intermediate.int_identity__explain``),
then the person's other identifiers and the overrides that touched them. Plain identifiers:
for data engineers with access to the restricted schemas only (it never goes through Dagster).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

EXPLAIN = "intermediate.int_identity__explain"
IDENTIFIERS = "intermediate.int_identity__identifiers"
OVERRIDES = "audit.identity_overrides"
# what each command-line flag can name in the identity graph
FLAG_TYPES = {
    "phone": ("phone",),
    "openid": ("mp_openid", "oa_openid"),
    "unionid": ("wx_unionid",),
    "member_id": ("crm_member_id",),
    "external_userid": ("wecom_external_userid",),
    "tmall_buyer": ("tmall_buyer",),
    "order": ("order",),
}


class NotFound(LookupError):
    pass


@dataclass
class Hop:
    node_key: str
    parent_key: str | None
    links: list[dict]


def _node_keys(con: duckdb.DuckDBPyConnection, kind: str, raw: str) -> list[str]:
    """The node keys a flag value names (phones by the ingestion's rule; an order as
    ``<platform>:<id>`` or a bare platform order id)."""
    if kind == "phone":
        from dagster_project.rules.parsing import normalize_phone_value

        value = normalize_phone_value(raw)
        if value is None:
            raise NotFound(f"{raw!r} is not a phone number (masked numbers are never identifiers)")
        return [f"phone:{value}"]
    value = raw.strip()
    if kind == "order" and ":" not in value:
        return [
            k
            for (k,) in con.execute(
                f"select node_key from {IDENTIFIERS} where identifier_type = 'order' and identifier_value like ? "
                "order by 1",
                [f"%:{value}"],
            ).fetchall()
        ]
    return [f"{t}:{value}" for t in FLAG_TYPES[kind]]


def _fmt_time(value) -> str:
    return value.strftime("%Y-%m-%d") if value is not None else "?"


def _link_line(link: dict) -> str:
    if link["evidence"] == "override_always_link":
        return (
            f"override_always_link  {link['first_source_file']} line {link['override_row']}, "
            f"by {link['override_author']} on {_fmt_time(link['first_seen_at'])}: {link['override_reason']}"
        )
    files = (
        link["first_source_file"]
        if link["source_files"] == 1
        else (f"{link['first_source_file']} .. {link['last_source_file']} ({link['source_files']} files)")
    )
    return (
        f"{link['evidence']:<15} {link['source']:<17} seen {_fmt_time(link['first_seen_at'])} .. "
        f"{_fmt_time(link['last_seen_at'])} ({link['sightings']}x)  from {files}"
    )


def explain(warehouse_db: Path, kind: str, raw: str) -> str:
    if not warehouse_db.exists():
        raise NotFound(f"no warehouse at {warehouse_db}: run the nightly job first")
    with duckdb.connect(str(warehouse_db), read_only=True) as con:
        keys = _node_keys(con, kind, raw)
        known = con.execute(
            f"select node_key, blocked_reason, first_seen_at, last_seen_at from {IDENTIFIERS} "
            "where list_contains(?, node_key) order by node_key",
            [keys],
        ).fetchall()
        if not known:
            raise NotFound(f"{kind.replace('_', ' ')} {raw!r} is in no export of the warehouse")
        out = []
        for node_key, blocked, first, last in known:
            if blocked:
                out.append(
                    f"{node_key} joins nobody: {blocked} (seen {_fmt_time(first)} .. {_fmt_time(last)}; "
                    "see audit.identity_dropped_links)"
                )
                continue
            out += _explain_node(con, node_key)
        return "\n".join(out)


def _explain_node(con: duckdb.DuckDBPyConnection, node_key: str) -> list[str]:
    person_id = con.execute(
        f"select min(person_id) from {EXPLAIN} where node_key = ?", [node_key]
    ).fetchall()[0][0]
    rows = con.sql(
        f"select * from {EXPLAIN} where person_id = $person order by node_key, evidence, source",
        params={"person": person_id},
    ).pl()
    hops: dict[str, Hop] = {}
    for row in rows.iter_rows(named=True):
        hop = hops.setdefault(row["node_key"], Hop(row["node_key"], row["parent_key"], []))
        if row["evidence"] is not None:
            hop.links.append(row)
    anchor = next(k for k, h in hops.items() if h.parent_key is None)
    path = [hops[node_key]]
    while path[-1].parent_key is not None:
        path.append(hops[path[-1].parent_key])
    out = [
        f"{node_key} belongs to person {person_id} ({len(hops)} identifiers; anchor {anchor}, "
        "the earliest identifier, from which the person id is derived)",
        "",
    ]
    if len(path) == 1:
        out.append("it is the anchor itself")
    else:
        out.append(f"path to the anchor ({len(path) - 1} link{'s' if len(path) > 2 else ''}):")
        for hop in path[:-1]:
            out.append(f"  {hop.node_key}")
            for link in hop.links:
                out.append(f"      |  {_link_line(link)}")
        out.append(f"  {path[-1].node_key}  (anchor)")
    on_path = {h.node_key for h in path}
    others = [k for k in sorted(hops) if k not in on_path]
    out += ["", f"other identifiers of the person ({len(others)}):"]
    out += [f"  {k}" for k in others] or ["  none"]
    overrides = con.execute(
        f"select override_row, action, left_type || ':' || left_value, right_type || ':' || right_value, "
        f"author, reason, status from {OVERRIDES} where left_person_id = ? or right_person_id = ? "
        "group by all order by 1",
        [person_id, person_id],
    ).fetchall()
    if overrides:
        out += ["", "overrides touching the person (audit.identity_overrides):"]
        out += [
            f"  line {r}: {a} {left} / {right} by {who}: {why} -> {status}"
            for r, a, left, right, who, why, status in overrides
        ]
    return out + [""]
