"""Erasure of one person on request (PIPL art. 47): find, delete, deny, audit.

A request names identifiers (phone, openid, unionid, CRM member id). The person is
found in the identity graph (``intermediate.int_identity__persons`` of the
warehouse) and *every* identifier of that person is erased, not only the ones named.

Erased identifiers are kept only as keyed hashes (HMAC-SHA256 with the pseudonymisation
key, domain-separated so they cannot be joined to the pseudonyms in
``marts.customer_identities``) on a deny-list under ``$WAREHOUSE_DIR/privacy/``. One
rule, ``erase_frame``, decides which rows are the person's, both when bronze is
rewritten now and whenever a landing file is ingested later (old exports, a full
refresh): a row goes when any of its identifier columns (``identifier:`` in the
source contract; the normalised column for phones) holds a denied value; in JSON list
columns (WeCom group members, staff follow-ups) only the entries naming the person go.
Order identifiers are denied by their platform order id (the number in ``tmall:<id>``):
refunds and ERP lines of the person's orders go too.

The audit record (``privacy/erasure_audit.jsonl``) holds what was requested (identifier
types and keyed hashes), when, and how many rows each layer lost: never a plain
identifier.

The request itself reaches the Dagster job only by its id: the identifiers are in a
restricted file ``privacy/requests/<request id>.json`` (mode 0600, folder 0700) written by
``siyu erase`` or dropped there by an operator, so Dagster's run storage (run config, tags,
logs) never holds them. The file is deleted once the audit record is written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from dagster_project import settings
from dagster_project.bronze import layout
from dagster_project.bronze.ingest import REJECT_SCHEMA, write_atomically
from dagster_project.rules import parsing
from dagster_project.rules.pseudonymize import pseudonym_key, pseudonymize
from sources.contracts import Contract

PRIVACY_DIR = "privacy"
REQUESTS_DIR = "requests"
REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
DENY_LIST = "deny_list.parquet"
AUDIT_LOG = "erasure_audit.jsonl"
DENY_SCHEMA = {"identifier_hash": pl.String, "request_id": pl.String, "erased_at": pl.Datetime("us", "UTC")}
# What a request may name, and the identity-graph types each can be.
REQUEST_TYPES = {
    "phone": ("phone",),
    "openid": ("mp_openid", "oa_openid"),
    "unionid": ("wx_unionid",),
    "member_id": ("crm_member_id",),
}


def privacy_dir(warehouse_dir: Path) -> Path:
    return warehouse_dir / PRIVACY_DIR


def requests_dir(warehouse_dir: Path) -> Path:
    return privacy_dir(warehouse_dir) / REQUESTS_DIR


def new_request_id(now: dt.datetime | None = None) -> str:
    return f"E{(now or dt.datetime.now(dt.UTC)):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"


def request_path(warehouse_dir: Path, request_id: str) -> Path:
    if not REQUEST_ID.match(request_id) or ".." in request_id:
        raise ValueError(f"erasure request id {request_id!r} is not a file name (letters, digits, _ . -)")
    return requests_dir(warehouse_dir) / f"{request_id}.json"


def write_request(warehouse_dir: Path, request: ErasureRequest, request_id: str | None = None) -> str:
    """Store the request where only its owner can read it; returns its id (what the job is given)."""
    request.typed_values()  # an empty request or a non-phone fails here, before anything is written
    request_id = request_id or new_request_id()
    path = request_path(warehouse_dir, request_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(asdict(request), out, ensure_ascii=False)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    return request_id


def read_request(warehouse_dir: Path, request_id: str) -> ErasureRequest:
    """The request of a file ``privacy/requests/<request_id>.json``: ``{"phones": [...], "openids": [...],
    "unionids": [...], "member_ids": [...]}`` (any of them; a single string is one value)."""
    path = request_path(warehouse_dir, request_id)
    if not path.exists():
        raise FileNotFoundError(
            f"no erasure request {request_id!r} in {path.parent}: write it with `siyu erase --request-only ...` "
            "or put the file there (a completed request's file is deleted: see erasure_audit.jsonl)"
        )
    os.chmod(path, 0o600)  # a file dropped by hand: readable by its owner only from now on
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"erasure request {path.name} is not JSON: line {exc.lineno}") from None  # type: ignore[attr-defined]
    fields = ("phones", "openids", "unionids", "member_ids")
    unknown = sorted(set(data) - set(fields)) if isinstance(data, dict) else ["(not an object)"]
    if unknown:
        raise ValueError(f"erasure request {path.name}: unknown field(s) {unknown}; expected {list(fields)}")
    values = {f: [data[f]] if isinstance(data.get(f), str) else list(data.get(f) or []) for f in fields}
    if not all(isinstance(v, str) for vs in values.values() for v in vs):
        raise ValueError(f"erasure request {path.name}: every identifier must be a string")
    return ErasureRequest(**values)


def remove_request(warehouse_dir: Path, request_id: str) -> None:
    request_path(warehouse_dir, request_id).unlink(missing_ok=True)


def denied_hash(value: str, key: bytes) -> str:
    """The keyed hash on the deny-list (domain-separated from the serving pseudonyms)."""
    return pseudonymize(f"erasure:{value}", key)


@dataclass
class ErasureRequest:
    phones: list[str] = field(default_factory=list)
    openids: list[str] = field(default_factory=list)
    unionids: list[str] = field(default_factory=list)
    member_ids: list[str] = field(default_factory=list)

    def typed_values(self) -> list[tuple[str, str]]:
        """(request type, value) with phones normalised; raises on an empty request or an invalid phone."""
        values = []
        for kind, given in (
            ("phone", self.phones),
            ("openid", self.openids),
            ("unionid", self.unionids),
            ("member_id", self.member_ids),
        ):
            for raw in given:
                value = parsing.normalize_phone_value(raw) if kind == "phone" else raw.strip()
                if not value:
                    raise ValueError(f"{kind} {'is not a phone number' if kind == 'phone' else 'is empty'}")
                values.append((kind, value))
        if not values:
            raise ValueError(
                "an erasure request needs at least one identifier (phone, openid, unionid, member id)"
            )
        return values


@dataclass
class Person:
    person_ids: list[str]
    identifiers: list[tuple[str, str]]  # (identity-graph type, value), every one of the person

    def denied_values(self) -> set[str]:
        # an order identifier is '<platform>:<order id>': exports carry the bare order id
        return {value.split(":", 1)[1] if kind == "order" else value for kind, value in self.identifiers}


def find_person(warehouse_db: Path, request: ErasureRequest) -> Person:
    """Every identifier of every person holding one of the requested identifiers (plus the requested ones)."""
    requested = [
        (graph_type, value) for kind, value in request.typed_values() for graph_type in REQUEST_TYPES[kind]
    ]
    if not warehouse_db.exists():
        return Person([], requested)
    with duckdb.connect(str(warehouse_db), read_only=True) as con:
        con.execute("create temp table requested (identifier_type varchar, identifier_value varchar)")
        con.executemany("insert into requested values (?, ?)", requested)
        person_ids = [
            p
            for (p,) in con.execute(
                "select distinct person_id from intermediate.int_identity__persons join requested "
                "using (identifier_type, identifier_value) order by 1"
            ).fetchall()
        ]
        identifiers = con.execute(
            "select identifier_type, identifier_value from intermediate.int_identity__persons "
            "where list_contains(?, person_id) order by 1, 2",
            [person_ids],
        ).fetchall()
    found = {(t, v) for t, v in identifiers}
    # a requested openid is either an OA or an MP one: keep only the type that exists
    unmatched = [(t, v) for t, v in requested if (t, v) not in found and not any(v == fv for _, fv in found)]
    return Person(person_ids, sorted(found) + unmatched)


# ---------------------------------------------------------------------------------------
# The one rule: which rows (and JSON list entries) of a frame are an erased person's.


def _denied_among(values: pl.Series, denied: frozenset[str], key: bytes) -> list[str]:
    return [v for v in values.drop_nulls().unique().to_list() if denied_hash(v, key) in denied]


def _json_leaves(node) -> list[str]:
    if isinstance(node, dict):
        return [leaf for value in node.values() for leaf in _json_leaves(value)]
    if isinstance(node, list):
        return [leaf for value in node for leaf in _json_leaves(value)]
    return [str(node)] if isinstance(node, (str, int)) and not isinstance(node, bool) else []


_PHONE_LIKE = re.compile(r"^[\d\s+()'\-\uff10-\uff19]{7,}$")  # worth running the phone rule on


_NOT_JSON = object()


def _parse_json(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return _NOT_JSON


def _leaves_of(text: str, node) -> list[str]:
    """The leaves of a parsed JSON value (a text that is not JSON is its own leaf)."""
    return [text] if node is _NOT_JSON else _json_leaves(node)


def _denied_leaves(leaves: set[str], denied: frozenset[str], key: bytes) -> set[str]:
    """The leaves naming a denied value, as is or as a normalised phone: decided once per distinct
    leaf of a whole column, the phone rule in one vectorised call. (Deciding it entry by entry,
    a polars frame per entry, took ~20 minutes of a million customers' erasure.)"""
    phone_like = [leaf for leaf in leaves if _PHONE_LIKE.match(leaf)]
    phones = pl.DataFrame({"v": phone_like}, schema={"v": pl.String}).select(
        parsing.normalize_phone(pl.col("v"))
    )
    normalized = dict(zip(phone_like, phones.to_series().to_list(), strict=True))
    candidates = leaves | {phone for phone in normalized.values() if phone}
    named = {value for value in candidates if denied_hash(value, key) in denied}
    return {leaf for leaf in leaves if leaf in named or normalized.get(leaf) in named}


def _scrub_json(text: str | None, node, denied_leaves: set[str]) -> tuple[str | None, int, bool]:
    """(text without the entries naming a denied value, entries removed, whole value denied);
    ``node``: the text parsed (``_parse_json``)."""
    if text is None:
        return None, 0, False
    if not isinstance(node, list):
        return text, 0, any(leaf in denied_leaves for leaf in _leaves_of(text, node))
    kept = [entry for entry in node if not any(leaf in denied_leaves for leaf in _json_leaves(entry))]
    if len(kept) == len(node):
        return text, 0, False
    return json.dumps(kept, ensure_ascii=False), len(node) - len(kept), False


@dataclass
class ErasedFrame:
    frame: pl.DataFrame
    rows_erased: int
    entries_erased: int  # JSON list entries (group members, staff follow-ups) removed from kept rows


def erase_frame(frame: pl.DataFrame, contract: Contract, denied: frozenset[str], key: bytes) -> ErasedFrame:
    """Drop the rows of erased persons and their entries in JSON list columns (bronze schema in, same out)."""
    if not denied or frame.is_empty():
        return ErasedFrame(frame, 0, 0)
    hit = pl.repeat(False, frame.height, eager=True)
    scrubbed, removed = [], [0] * frame.height
    for col in contract.columns:
        if not col.identifier:
            continue
        if col.type == "json":
            texts = frame[col.name].to_list()
            nodes = [None if text is None else _parse_json(text) for text in texts]
            leaves = {
                leaf
                for text, node in zip(texts, nodes, strict=True)
                if text is not None
                for leaf in _leaves_of(text, node)
            }
            denied_leaves = _denied_leaves(leaves, denied, key)
            results = [
                _scrub_json(text, node, denied_leaves) for text, node in zip(texts, nodes, strict=True)
            ]
            scrubbed.append(pl.Series(col.name, [text for text, _, _ in results], dtype=pl.String))
            removed = [total + n for total, (_, n, _) in zip(removed, results, strict=True)]
            hit = hit | pl.Series([whole for _, _, whole in results], dtype=pl.Boolean)
            continue
        name = f"{col.name}_normalized" if col.type == "phone" else col.name
        hits = _denied_among(frame[name], denied, key)
        if hits:
            hit = hit | frame[name].is_in(hits).fill_null(False)
    kept = frame.with_columns(scrubbed).filter(~hit)
    entries = sum(n for n, erased in zip(removed, hit.to_list(), strict=True) if not erased)
    return ErasedFrame(kept, frame.height - kept.height, entries)


def erase_rejects(rejects: pl.DataFrame, denied: frozenset[str], key: bytes) -> pl.DataFrame:
    """Reject rows whose exported value is a denied identifier (as is or as a normalised phone)."""
    if not denied or rejects.is_empty():
        return rejects
    cleaned = rejects.with_columns(
        parsing.clean_id(pl.col("raw_value")).alias("__id"),
        parsing.normalize_phone(pl.col("raw_value")).alias("__phone"),
    )
    hits = set(_denied_among(cleaned["__id"], denied, key)) | set(
        _denied_among(cleaned["__phone"], denied, key)
    )
    if not hits:
        return rejects
    return cleaned.filter(
        ~(pl.col("__id").is_in(hits) | pl.col("__phone").is_in(hits)).fill_null(False)
    ).drop("__id", "__phone")


# ---------------------------------------------------------------------------------------
# Deny-list, bronze rewrite, warehouse state, audit.


@dataclass(frozen=True)
class DenyFilter:
    """The deny-list as the ingestion applies it (bronze.ingest.DenyFilter): a file's rows and
    rejects naming an erased person are dropped before its Parquet is written."""

    denied: frozenset[str]
    key: bytes

    def __call__(
        self, frame: pl.DataFrame, rejects: pl.DataFrame, contract: Contract
    ) -> tuple[pl.DataFrame, pl.DataFrame, int]:
        result = erase_frame(frame, contract, self.denied, self.key)
        return result.frame, erase_rejects(rejects, self.denied, self.key), result.rows_erased


def deny_filter(warehouse_dir: Path) -> DenyFilter | None:
    """The ingestion's filter for the deny-list of ``warehouse_dir``; None while nobody was erased."""
    denied = load_deny_list(warehouse_dir)
    return DenyFilter(denied, pseudonym_key()) if denied else None


def erase_overrides(path: Path, denied: frozenset[str], key: bytes) -> int:
    """Remove the analysts' identity-override rows that name an erased identifier: the file holds
    identifiers in plain text, and the rebuild would copy them into int_identity__overrides."""
    import csv
    import io

    from dagster_project.identity.overrides import decode_overrides, normalized_identifier

    if not path.exists():
        return 0
    text = decode_overrides(path.read_bytes(), path)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = list(reader)

    def names_denied(row: dict) -> bool:
        for side in ("left", "right"):
            kind, value = (row.get(f"{side}_type") or "").strip(), (row.get(f"{side}_value") or "").strip()
            candidates = {value, normalized_identifier(kind, value) or ""} - {""}
            if any(denied_hash(v, key) in denied for v in candidates):
                return True
        return False

    kept = [row for row in rows if not names_denied(row)]
    if len(kept) == len(rows):
        return 0
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [], lineterminator="\n")
    writer.writeheader()
    writer.writerows(kept)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(out.getvalue(), encoding="utf-8")
    tmp.replace(path)
    return len(rows) - len(kept)


def load_deny_list(warehouse_dir: Path) -> frozenset[str]:
    path = privacy_dir(warehouse_dir) / DENY_LIST
    if not path.exists():
        return frozenset()
    return frozenset(pl.read_parquet(path)["identifier_hash"].to_list())


def add_to_deny_list(warehouse_dir: Path, hashes: set[str], request_id: str, at: dt.datetime) -> int:
    """Add keyed hashes (idempotent); returns how many were new."""
    path = privacy_dir(warehouse_dir) / DENY_LIST
    current = pl.read_parquet(path) if path.exists() else pl.DataFrame(schema=DENY_SCHEMA)
    new = sorted(hashes - set(current["identifier_hash"].to_list()))
    added = pl.DataFrame(
        {"identifier_hash": new, "request_id": [request_id] * len(new), "erased_at": [at] * len(new)},
        schema=DENY_SCHEMA,
    )
    write_atomically(pl.concat([current, added]), path)
    return len(new)


FILE_COLUMN = "__bronze_file"


def _frame_of(
    paths: list[Path], columns: list[str] | None = None, file_column: str | None = None
) -> pl.DataFrame:
    """These bronze files (of one source) as one frame, in one scan: the first file's schema,
    a column a file lacks is null (PolarsError if the files' types differ); ``file_column``:
    each row's file path."""
    scan = pl.scan_parquet(
        paths, missing_columns="insert", extra_columns="ignore", include_file_paths=file_column
    )
    if columns is not None:
        scan = scan.select([*columns, *([file_column] if file_column else [])])
    return scan.collect()


def _files_naming_a_denied_person(
    paths: list[Path], contract: Contract, denied: frozenset[str], key: bytes
) -> list[Path]:
    """The files among these with a row or JSON list entry of a denied person: erase_frame
    once on all their identifier columns (per file, it costs ~5 ms a file of polars overhead,
    and at a million customers most of a source's files never name the person)."""
    if not paths or not denied:
        return []
    columns = [
        f"{c.name}_normalized" if c.type == "phone" else c.name for c in contract.columns if c.identifier
    ]
    try:
        frame = _frame_of(paths, columns, file_column=FILE_COLUMN)
    except pl.exceptions.PolarsError:
        return paths  # files that do not stack (an older layout): look at each
    erased = erase_frame(frame, contract, denied, key)
    if erased.entries_erased:
        return paths  # list entries scrubbed from kept rows: not told apart by counting rows
    if not erased.rows_erased:
        return []
    rows_before = frame.group_by(FILE_COLUMN).len()
    rows_after = erased.frame.group_by(FILE_COLUMN).len()
    lost_rows = rows_before.join(rows_after, on=FILE_COLUMN, how="left", suffix="_after").filter(
        pl.col("len_after").is_null() | (pl.col("len_after") < pl.col("len"))
    )
    named = set(lost_rows[FILE_COLUMN].to_list())
    return [path for path in paths if str(path) in named]


def erase_bronze(
    bronze_root: Path,
    contracts: dict[str, Contract],
    denied: frozenset[str],
    key: bytes,
    rewritten_at: dt.datetime,
) -> dict[str, dict[str, int]]:
    """Rewrite (atomically) every bronze file holding a denied person's rows.

    Lineage is kept except ``_loaded_at``, which becomes ``rewritten_at``: the rewrite is a
    new version of the file, so incremental models (stg_wechat_mp__events) re-decide its
    rows and drop those of the old version.

    Returns, for the sources that lost any, the rows, JSON list entries and rejects removed."""
    removed: dict[str, dict[str, int]] = {}
    for source, contract in contracts.items():
        counts = {"rows": 0, "list_entries": 0, "rejects": 0}
        paths = sorted(layout.rows_dir(bronze_root, source).glob(layout.DATA_FILES))
        for path in _files_naming_a_denied_person(paths, contract, denied, key):
            erased = erase_frame(pl.read_parquet(path), contract, denied, key)
            if erased.rows_erased or erased.entries_erased:
                loaded_at = pl.lit(rewritten_at).cast(erased.frame.schema["_loaded_at"])
                write_atomically(erased.frame.with_columns(loaded_at.alias("_loaded_at")), path)
                counts["rows"] += erased.rows_erased
                counts["list_entries"] += erased.entries_erased
        reject_paths = sorted(layout.rejects_dir(bronze_root, source).glob(layout.DATA_FILES))
        if reject_paths:
            every_reject = _frame_of(reject_paths)
            if erase_rejects(every_reject, denied, key).height == every_reject.height:
                reject_paths = []  # none names a denied person: no file to look at one by one
        for path in reject_paths:
            rejects = pl.read_parquet(path)
            kept = erase_rejects(rejects, denied, key)
            if kept.height != rejects.height:
                write_atomically(kept.select(list(REJECT_SCHEMA)).cast(REJECT_SCHEMA), path)
                counts["rejects"] += rejects.height - kept.height
        if any(counts.values()):
            removed[source] = counts
    return removed


# Tables that keep state between runs (everything else is rebuilt from bronze by dbt).
_STATEFUL = {
    "intermediate.int_identity__persons": "person_id",
    "intermediate.int_identity__persons_previous": "person_id",
    "marts.person_id_merges": "person_id",
}


def person_rows(database: Path, person_ids: list[str]) -> dict[str, int]:
    """Rows per marts table (with a person_id column) that belong to these persons."""
    if not person_ids or not database.exists():
        return {}
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.columns where table_schema = 'marts' "
            "and column_name = 'person_id' order by 1"
        ).fetchall()
        counts = {
            f"marts.{t}": con.execute(
                f'select count(*) from marts."{t}" where list_contains(?, person_id)', [person_ids]
            ).fetchone()[0]
            for (t,) in tables
        }
    return {table: n for table, n in counts.items() if n}


def forget_warehouse_state(warehouse_db: Path, person: Person) -> None:
    """Delete the person from the tables a dbt rebuild does not recreate from bronze alone.

    int_identity__persons is snapshotted into int_identity__persons_previous by the next
    build (person-id churn and merges): without this, the snapshot would keep the
    person's identifiers."""
    if not warehouse_db.exists() or not person.person_ids:
        return
    node_keys = [f"{kind}:{value}" for kind, value in person.identifiers]
    with duckdb.connect(str(warehouse_db)) as con:
        existing = {
            f"{s}.{t}"
            for s, t in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        for table in _STATEFUL:
            if table not in existing:
                continue
            con.execute(f"delete from {table} where list_contains(?, person_id)", [person.person_ids])
            if table.startswith("intermediate."):
                con.execute(f"delete from {table} where list_contains(?, node_key)", [node_keys])
            else:
                con.execute(
                    f"delete from {table} where list_contains(?, retired_person_id)", [person.person_ids]
                )


@dataclass
class ErasureRecord:
    """One line of privacy/erasure_audit.jsonl: no plain identifier in it."""

    request_id: str
    requested_at: str
    requested: dict[str, list[str]]  # request type -> keyed hashes
    persons_found: int
    identifiers_denied: dict[str, int]  # identity-graph type -> how many
    rows_deleted: dict[str, dict] = field(default_factory=dict)  # layer -> table/source -> rows

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


def start_erasure(
    warehouse_dir: Path,
    bronze_root: Path,
    contracts: dict[str, Contract],
    request: ErasureRequest,
    now: dt.datetime | None = None,
    request_id: str | None = None,
) -> tuple[ErasureRecord, Person]:
    """Find the person, deny their identifiers, rewrite bronze and forget the warehouse state.

    The caller then rebuilds the warehouse from bronze, republishes serving and calls
    ``finish_erasure``. Re-running a request is safe: every step is idempotent, and the
    bronze rewrite uses the whole deny-list."""
    key = pseudonym_key()
    now = now or dt.datetime.now(dt.UTC)
    request_id = request_id or new_request_id(now)
    warehouse_db = warehouse_dir / settings.WAREHOUSE_DB
    person = find_person(warehouse_db, request)
    hashes = {denied_hash(v, key) for v in person.denied_values()}
    add_to_deny_list(warehouse_dir, hashes, request_id, now)  # first: later ingestion already drops them
    record = ErasureRecord(
        request_id=request_id,
        requested_at=now.isoformat(timespec="seconds"),
        requested={
            kind: sorted(denied_hash(v, key) for k, v in request.typed_values() if k == kind)
            for kind in REQUEST_TYPES
            if any(k == kind for k, _ in request.typed_values())
        },
        persons_found=len(person.person_ids),
        identifiers_denied=_count_types(person.identifiers),
    )
    record.rows_deleted["warehouse"] = person_rows(warehouse_db, person.person_ids)
    record.rows_deleted["serving"] = person_rows(warehouse_dir / settings.SERVING_DB, person.person_ids)
    record.rows_deleted["bronze"] = erase_bronze(
        bronze_root, contracts, load_deny_list(warehouse_dir), key, now
    )
    record.rows_deleted["identity_overrides"] = {
        "rows": erase_overrides(settings.identity_overrides_file(), load_deny_list(warehouse_dir), key)
    }
    forget_warehouse_state(warehouse_db, person)
    return record, person


def _count_types(identifiers: list[tuple[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for kind, _ in identifiers:
        counts[kind] = counts.get(kind, 0) + 1
    return dict(sorted(counts.items()))


def finish_erasure(warehouse_dir: Path, record: ErasureRecord) -> Path:
    """Append the audit record (fsynced): the erasure is complete once it is written."""
    path = privacy_dir(warehouse_dir) / AUDIT_LOG
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        log.write(record.to_json() + "\n")
        log.flush()
        os.fsync(log.fileno())
    return path
