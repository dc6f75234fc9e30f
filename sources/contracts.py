"""Load the declarative landing contracts in ``sources/contracts/*.yml``.

A contract says how one landing source looks (formats, encodings, headers and
their aliases, types, required fields, personal data, identifiers). Everything
the ingestion does per source is derived from it, so adding an export type
means adding a YAML file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from functools import cache
from pathlib import Path

import yaml

# libyaml's loader when present: ten times faster, and contracts load on every code-location start
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

CONTRACTS_DIR = Path(__file__).parent / "contracts"

COLUMN_TYPES = {"text", "id", "int", "decimal", "timestamp", "unix_s", "unix_ms", "phone", "json"}
TIMESTAMP_TYPES = {"timestamp", "unix_s", "unix_ms"}
# Types a field of a JSON list's objects may have (``items:``): the ones whose bad values are rejects.
ITEM_TYPES = {"int", "decimal"} | TIMESTAMP_TYPES
FORMATS = {"csv", "xlsx", "jsonl"}
IDENTIFIER_TYPES = {
    "wx_unionid", "oa_openid", "mp_openid", "mp_anonymous_id", "wecom_external_userid",
    "phone", "crm_member_id", "tmall_buyer", "order",
}
# Lineage columns every bronze table carries, in this order.
LINEAGE_COLUMNS = ("_source_file", "_row_number", "_export_date", "_loaded_at", "_file_sha256")


@dataclass(frozen=True)
class Limits:
    """Bounds beyond which a value is absurd and its row a reject (sources/README.md, "Limits").

    The defaults hold for every source; a contract overrides one under ``limits:``.
    """

    max_id_chars: int = 40  # the longest real id is a 36-character device UUID
    max_cell_chars: int = 2000  # any other non-JSON cell: a runaway quote swallows rows into one cell
    max_amount: Decimal = Decimal(10_000_000)  # yuan per row
    earliest_time: dt.date = dt.date(2000, 1, 1)  # before every platform we read
    days_after_export: int = 1  # a time may lie this many days after its export date (Beijing), no more

    @classmethod
    def from_yaml(cls, raw: dict | None) -> Limits:
        raw = dict(raw or {})
        unknown = set(raw) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown limits {sorted(unknown)}")
        if "max_amount" in raw:
            raw["max_amount"] = Decimal(str(raw["max_amount"]))
        return replace(cls(), **raw)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    header: str | None = None  # CSV/XLSX header
    path: str | None = None  # JSON path, dotted
    aliases: tuple[str, ...] = ()
    required: bool = False
    pii: bool = False
    identifier: str | None = None
    strength: str | None = None  # phones: strong / member / buyer / receiver / weak
    allow_negative: bool = False  # decimals: a negative amount is a reject unless this is set
    # json lists of objects: (field, type) of the typed fields of every object, checked like cells
    items: tuple[tuple[str, str], ...] = ()

    @property
    def source_names(self) -> tuple[str, ...]:
        """Every header name that maps to this column, the canonical one first."""
        return ((self.header,) if self.header else ()) + self.aliases


@dataclass(frozen=True)
class Contract:
    source: str
    description: str
    system: str
    formats: tuple[str, ...]
    file_patterns: tuple[str, ...]
    encodings: tuple[str, ...]
    record_key: tuple[str, ...]
    columns: tuple[Column, ...]
    record_key_fallback: tuple[str, ...] = field(default=())
    limits: Limits = field(default_factory=Limits)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.source} has no column {name!r}")

    @property
    def is_json(self) -> bool:
        return self.formats == ("jsonl",)

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    @property
    def pii_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.pii)


def _parse(raw: dict, path: Path) -> Contract:
    columns = tuple(
        Column(
            name=c["name"], type=c["type"], header=c.get("header"), path=c.get("path"),
            aliases=tuple(c.get("aliases", ())), required=bool(c.get("required", False)),
            pii=bool(c.get("pii", False)), identifier=c.get("identifier"),
            strength=c.get("strength"), allow_negative=bool(c.get("allow_negative", False)),
            items=tuple((str(k), v) for k, v in (c.get("items") or {}).items()),
        )
        for c in raw["columns"]
    )
    contract = Contract(
        source=raw["source"], description=raw["description"], system=raw["system"],
        formats=tuple(raw["format"]), file_patterns=tuple(raw["file_patterns"]),
        encodings=tuple(raw.get("encodings", ())), record_key=tuple(raw["record_key"]),
        record_key_fallback=tuple(raw.get("record_key_fallback", ())), columns=columns,
        limits=Limits.from_yaml(raw.get("limits")),
    )
    _validate(contract, path)
    return contract


def _validate(contract: Contract, path: Path) -> None:
    problems = []
    if contract.source != path.stem:
        problems.append(f"source {contract.source!r} differs from the file name")
    if not set(contract.formats) <= FORMATS:
        problems.append(f"unknown format in {contract.formats}")
    names = [c.name for c in contract.columns]
    if len(set(names)) != len(names):
        problems.append("duplicate column names")
    headers = [h for c in contract.columns for h in c.source_names]
    if len(set(headers)) != len(headers):
        problems.append("a header or alias maps to two columns")
    for col in contract.columns:
        if col.type not in COLUMN_TYPES:
            problems.append(f"{col.name}: unknown type {col.type!r}")
        if contract.is_json and not col.path:
            problems.append(f"{col.name}: JSON sources need a path")
        if not contract.is_json and not col.header:
            problems.append(f"{col.name}: tabular sources need a header")
        if col.items and col.type != "json":
            problems.append(f"{col.name}: items are for json columns")
        for item, item_type in col.items:
            if item_type not in ITEM_TYPES:
                problems.append(f"{col.name}: item {item!r} has type {item_type!r}, not one of {sorted(ITEM_TYPES)}")
        if col.identifier and col.identifier not in IDENTIFIER_TYPES:
            problems.append(f"{col.name}: unknown identifier type {col.identifier!r}")
    for key in contract.record_key + contract.record_key_fallback:
        if key not in names:
            problems.append(f"record key {key!r} is not a column")
    if problems:
        raise ValueError(f"invalid contract {path}: " + "; ".join(problems))


@cache
def load_contracts() -> dict[str, Contract]:
    """All contracts by source name, sorted by name."""
    contracts = {}
    for path in sorted(CONTRACTS_DIR.glob("*.yml")):
        contract = _parse(yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER), path)
        contracts[contract.source] = contract
    return contracts


def get_contract(source: str) -> Contract:
    return load_contracts()[source]
