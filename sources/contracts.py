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
VOCABULARIES = Path(__file__).parent / "vocabularies.yml"

COLUMN_TYPES = {"text", "id", "int", "decimal", "timestamp", "unix_s", "unix_ms", "phone", "json"}
TIMESTAMP_TYPES = {"timestamp", "unix_s", "unix_ms"}
# Types a field of a JSON list's objects may have (``items:``): the ones whose bad values are rejects.
ITEM_TYPES = {"int", "decimal"} | TIMESTAMP_TYPES
FORMATS = {"csv", "xlsx", "jsonl"}
IDENTIFIER_TYPES = {
    "wx_unionid",
    "oa_openid",
    "mp_openid",
    "mp_anonymous_id",
    "wecom_external_userid",
    "phone",
    "crm_member_id",
    "tmall_buyer",
    "order",
}
# Lineage columns every bronze table carries, in this order, with their logical type and
# description (the dbt sources yml is generated from these: sources/derive.py).
LINEAGE = {
    "_source_file": ("text", "Landing file path relative to the landing root (来源文件)"),
    "_row_number": ("int", "1-based data row in the file (JSON Lines: line number) (行号)"),
    "_export_date": ("date", "Export date from the landing folder (导出日期)"),
    "_loaded_at": ("timestamp", "When the ingestion wrote this row (加载时间)"),
    "_file_sha256": ("text", "SHA-256 of the landing file (文件哈希)"),
}
LINEAGE_COLUMNS = tuple(LINEAGE)
EXTRA_COLUMN = "_extra"
EXTRA_DESCRIPTION = "JSON object of the export's columns the contract does not list (未映射列)"
# Storage type of a bronze column per contract column type (timestamps are UTC instants).
BRONZE_TYPES = {
    "text": "text",
    "id": "text",
    "json": "text",
    "phone": "text",
    "int": "int",
    "decimal": "decimal",
    "timestamp": "timestamp",
    "unix_s": "timestamp",
    "unix_ms": "timestamp",
}


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
    description: str = ""  # what the column holds, English with the export's own name (dbt docs)

    @property
    def label(self) -> str:
        """The export's own name of the column (header, else JSON path)."""
        return self.header or self.path or self.name

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
    # Great Expectations rules beyond what the columns imply; read by expectations/build_suites.py
    quality: dict = field(default_factory=dict, hash=False, compare=False)

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

    @property
    def bronze_columns(self) -> tuple[BronzeColumn, ...]:
        """Every column of the source's bronze table, in table order: each contract column with
        its companions (``<ts>_raw``; ``<phone>_normalized`` / ``<phone>_is_masked``), then
        lineage, then ``_extra``. The one derivation that the ingestion, the GX suites and the
        dbt sources yml share (sources/README.md)."""
        out: list[BronzeColumn] = []
        for col in self.columns:
            described = col.description
            if col.items:
                fields = [name for name, _ in col.items]
                described += (
                    (f"; {', '.join(fields[:-1])} and {fields[-1]}" if len(fields) > 1 else f"; {fields[0]}")
                    + (" are" if len(fields) > 1 else " is")
                    + " checked on ingestion (a bad one makes the line a reject)"
                )
            described += " [PII]" if col.pii else ""
            if col.type in TIMESTAMP_TYPES:
                out += [
                    BronzeColumn(col.name, "timestamp", f"{described}, UTC"),
                    BronzeColumn(f"{col.name}_raw", "text", f"Original text of {col.label}"),
                ]
            elif col.type == "phone":
                out += [
                    BronzeColumn(col.name, "text", f"{described}, trimmed original"),
                    BronzeColumn(
                        f"{col.name}_normalized",
                        "text",
                        f"{col.label} normalised: +86 + 11 digits (mainland) or +<cc>...; "
                        "null when masked or not a phone",
                    ),
                    BronzeColumn(
                        f"{col.name}_is_masked", "bool", f"{col.label} contains * (masked): never a join key"
                    ),
                ]
            else:
                out.append(BronzeColumn(col.name, BRONZE_TYPES[col.type], described))
        out += [BronzeColumn(name, kind, text) for name, (kind, text) in LINEAGE.items()]
        return (*out, BronzeColumn(EXTRA_COLUMN, "text", EXTRA_DESCRIPTION))


@dataclass(frozen=True)
class BronzeColumn:
    name: str
    type: str  # text / int / decimal / timestamp / date / bool
    description: str


def _parse(raw: dict, path: Path) -> Contract:
    columns = tuple(
        Column(
            name=c["name"],
            type=c["type"],
            header=c.get("header"),
            path=c.get("path"),
            aliases=tuple(c.get("aliases", ())),
            required=bool(c.get("required", False)),
            pii=bool(c.get("pii", False)),
            identifier=c.get("identifier"),
            strength=c.get("strength"),
            allow_negative=bool(c.get("allow_negative", False)),
            description=c.get("description", ""),
            items=tuple((str(k), v) for k, v in (c.get("items") or {}).items()),
        )
        for c in raw["columns"]
    )
    contract = Contract(
        source=raw["source"],
        description=raw["description"],
        system=raw["system"],
        formats=tuple(raw["format"]),
        file_patterns=tuple(raw["file_patterns"]),
        encodings=tuple(raw.get("encodings", ())),
        record_key=tuple(raw["record_key"]),
        record_key_fallback=tuple(raw.get("record_key_fallback", ())),
        columns=columns,
        limits=Limits.from_yaml(raw.get("limits")),
        quality=raw.get("quality") or {},
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
        if not col.description:
            problems.append(f"{col.name}: no description (it documents the bronze table in dbt docs)")
        if col.items and col.type != "json":
            problems.append(f"{col.name}: items are for json columns")
        for item, item_type in col.items:
            if item_type not in ITEM_TYPES:
                problems.append(
                    f"{col.name}: item {item!r} has type {item_type!r}, not one of {sorted(ITEM_TYPES)}"
                )
        if col.identifier and col.identifier not in IDENTIFIER_TYPES:
            problems.append(f"{col.name}: unknown identifier type {col.identifier!r}")
    for key in contract.record_key + contract.record_key_fallback:
        if key not in names:
            problems.append(f"record key {key!r} is not a column")
    if problems:
        raise ValueError(f"invalid contract {path}: " + "; ".join(problems))


@cache
def load_contracts(directory: Path = CONTRACTS_DIR) -> dict[str, Contract]:
    """All contracts by source name, sorted by name (``directory``: another contracts folder, for tests)."""
    contracts = {}
    for path in sorted(Path(directory).glob("*.yml")):
        contract = _parse(yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER), path)
        contracts[contract.source] = contract
    return contracts


@cache
def load_vocabularies(path: Path = VOCABULARIES) -> dict[str, dict]:
    """Shared value lists (sources/vocabularies.yml): name -> {value: meaning}."""
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_YAML_LOADER)


def get_contract(source: str) -> Contract:
    return load_contracts()[source]
