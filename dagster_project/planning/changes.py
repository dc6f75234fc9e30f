"""What a night has to do: the landing files not yet in bronze, and the dbt models whose
inputs changed since the last successful build.

A night's run materialises only what changed (the schedule, the sensor and ``siyu run`` ask
``plan_night`` for the asset selection; dagster-dbt turns the selected dbt assets into
dbt's ``--select``):

  bronze assets   the sources with a landing file whose content is not in bronze yet, for
                  the export dates of those files (a partition range)
  dbt models      everything downstream (in dbt's own graph, manifest ``child_map``) of
                  * the bronze sources that will be ingested, or whose bronze files changed
                    since the last build (an erasure's rewrite, retention, a failed build);
                  * the models that read the as-of date (var ``as_of_date``, directly or
                    through a macro), when it differs from the last build's: "days since",
                    lifecycle segments, cohort spines and CLV depend on it;
                  * everything, when the dbt project (models, macros, seeds, vars, profile
                    target) changed or no build is recorded
  serving file    republished when a dbt model is built, or when it is missing or behind the last
                  build (a run killed between the build and the publication)
  morning report  always: the report of the run's as-of day is rendered from the serving file

The last build is ``$WAREHOUSE_DIR/state/dbt_build.json`` (bronze fingerprint per source,
as-of date, dbt project fingerprint), written by the dbt step after a successful build for
what that build covered. Fingerprints are file names, sizes and modification times (no
reading of contents); landing file hashes are remembered per (size, mtime) in
``state/landing_sha256/<source>.json`` (``bronze.hash_cache``), so a quiet night reads no landing file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from dagster_project import settings
from dagster_project.bronze import layout

DBT_DIR = settings.DBT_DIR
DBT_IGNORED = {"target", "logs", "dbt_packages"}
AS_OF_VAR = re.compile(r"""var\(\s*['"]as_of_date['"]""")
SOURCE_PREFIX = "source.siyu_warehouse.bronze."
ASSET_TYPES = ("model", "seed", "snapshot")


# -- fingerprints ----------------------------------------------------------------------------


def _stat_lines(paths) -> list[str]:
    lines = []
    for path in paths:
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed while listing
            continue
        lines.append(f"{path.name}\t{path.parent.name}\t{stat.st_size}\t{stat.st_mtime_ns}")
    return sorted(lines)


def bronze_fingerprints(bronze_root: Path, sources) -> dict[str, str]:
    """Per source: a digest of the names, sizes and mtimes of its bronze files and rejects."""
    out = {}
    for source in sources:
        files = [
            *layout.rows_dir(bronze_root, source).glob(layout.DATA_FILES),
            *layout.rejects_dir(bronze_root, source).glob(layout.DATA_FILES),
        ]
        out[source] = hashlib.sha256("\n".join(_stat_lines(files)).encode()).hexdigest()[:16]
    return out


def dbt_project_fingerprint(dbt_dir: Path = DBT_DIR) -> str:
    """A digest of every file of the dbt project (not its target/ or logs/) and the profile target."""
    digest = hashlib.sha256(settings.dbt_target().encode())
    for path in sorted(
        p
        for p in dbt_dir.rglob("*")
        if p.is_file() and not DBT_IGNORED.intersection(p.relative_to(dbt_dir).parts)
    ):
        digest.update(path.relative_to(dbt_dir).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


# -- the landing files still to ingest --------------------------------------------------------


def pending_landing(
    landing_root: Path, warehouse_dir: Path, contracts, accepted: tuple[dt.date, dt.date]
) -> dict[str, set[dt.date]]:
    """Per source, the export dates of landing files whose content is not in bronze yet
    (bronze Parquet are named <file>__<sha12>.parquet: a content already loaded under any
    name in that partition is not pending, as the ingestion does not load copies twice)."""
    from dagster_project.bronze.hash_cache import cached_sha256, load_hash_cache, save_hash_cache
    from dagster_project.bronze.ingest import landing_files

    bronze_root = warehouse_dir / "bronze"
    pending: dict[str, set[dt.date]] = {}
    for contract in contracts:
        files, _ = landing_files(landing_root, contract)
        files = [(p, d) for p, d in files if accepted[0] <= d <= accepted[1]]
        if not files:
            continue
        entries = load_hash_cache(warehouse_dir, contract.source)
        before = dict(entries)
        loaded: dict[dt.date, set[str]] = {}
        for path, day in files:
            if day not in loaded:
                partition = layout.partition_dir(layout.rows_dir(bronze_root, contract.source), day)
                loaded[day] = {p.stem.rsplit("__", 1)[-1] for p in partition.glob("*.parquet")}
            sha = cached_sha256(path, path.relative_to(landing_root).as_posix(), entries)
            if sha[:12] not in loaded[day]:
                pending.setdefault(contract.source, set()).add(day)
        if entries != before:
            save_hash_cache(warehouse_dir, contract.source, entries)
    return pending


# -- the dbt graph -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DbtGraph:
    """The parts of dbt's manifest a night plan needs (asset nodes: models, seeds, snapshots)."""

    children: dict[str, list[str]]
    names: dict[str, str]  # unique_id -> name, asset nodes only
    reads_as_of: frozenset[str]  # asset nodes reading var as_of_date (directly or via macros)

    @classmethod
    def from_manifest(cls, manifest: dict) -> DbtGraph:
        macros = manifest.get("macros", {})
        as_of_macros = {uid for uid, m in macros.items() if AS_OF_VAR.search(m.get("macro_sql", ""))}
        grew = True
        while grew:  # macros calling those macros, transitively
            more = {
                uid
                for uid, m in macros.items()
                if uid not in as_of_macros
                and as_of_macros.intersection(m.get("depends_on", {}).get("macros", []))
            }
            as_of_macros |= more
            grew = bool(more)
        names, reads = {}, set()
        for uid, node in manifest.get("nodes", {}).items():
            if node.get("resource_type") not in ASSET_TYPES:
                continue
            names[uid] = node["name"]
            if AS_OF_VAR.search(node.get("raw_code", "")) or as_of_macros.intersection(
                node.get("depends_on", {}).get("macros", [])
            ):
                reads.add(uid)
        return cls(manifest.get("child_map", {}), names, frozenset(reads))

    def downstream(self, roots) -> set[str]:
        """The asset nodes at or below these nodes (sources or models)."""
        seen, todo = set(), list(roots)
        while todo:
            uid = todo.pop()
            if uid in seen:
                continue
            seen.add(uid)
            todo.extend(self.children.get(uid, []))
        return {uid for uid in seen if uid in self.names}

    def of_sources(self, sources) -> set[str]:
        return self.downstream(SOURCE_PREFIX + s for s in sources)

    def of_as_of(self) -> set[str]:
        return self.downstream(self.reads_as_of)


@cache
def _graph_of(manifest_path: str, mtime_ns: int) -> DbtGraph:
    return DbtGraph.from_manifest(json.loads(Path(manifest_path).read_text(encoding="utf-8")))


def dbt_graph(manifest_path: Path) -> DbtGraph:
    return _graph_of(str(manifest_path), manifest_path.stat().st_mtime_ns)


# -- the last build ----------------------------------------------------------------------------


def _build_state_path(warehouse_dir: Path) -> Path:
    return settings.state_dir(warehouse_dir) / "dbt_build.json"


def load_build_state(warehouse_dir: Path) -> dict:
    try:
        return json.loads(_build_state_path(warehouse_dir).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


@dataclass
class DbtChanges:
    """The dbt asset nodes to build and why (reason -> unique ids)."""

    nodes: set[str] = field(default_factory=set)
    reasons: dict[str, list[str]] = field(default_factory=dict)


def dbt_changes(
    graph: DbtGraph,
    state: dict,
    bronze_now: dict[str, str],
    as_of: str,
    project: str,
    ingesting: set[str] = frozenset(),
) -> DbtChanges:
    """The nodes a build must cover for the warehouse to be current (see the module docstring)."""
    changes = DbtChanges()
    if not state or state.get("project") != project:
        changes.nodes = set(graph.names)
        changes.reasons["project changed" if state else "no build recorded"] = ["all"]
        return changes
    built = state.get("bronze", {})
    changed_sources = sorted(set(ingesting) | {s for s, fp in bronze_now.items() if built.get(s) != fp})
    if changed_sources:
        changes.nodes |= graph.of_sources(changed_sources)
        changes.reasons["bronze changed"] = changed_sources
    if state.get("as_of") != as_of:
        changes.nodes |= graph.of_as_of()
        changes.reasons["as-of date"] = [f"{state.get('as_of')} -> {as_of}"]
    return changes


def serving_is_behind(warehouse_dir: Path) -> bool:
    """The serving file is missing, older than the last successful dbt build (a run that built
    the warehouse was killed before it published), or a publication was cut off (its
    temporary file is still there)."""
    serving = warehouse_dir / settings.SERVING_DB
    if not serving.exists() or any(warehouse_dir.glob(f"{settings.SERVING_DB}.*.tmp*")):
        return True
    build = _build_state_path(warehouse_dir)
    return build.exists() and build.stat().st_mtime_ns > serving.stat().st_mtime_ns


def record_build(
    warehouse_dir: Path,
    graph: DbtGraph,
    built: set[str],
    bronze_at_start: dict[str, str],
    as_of: str,
    project: str,
) -> dict:
    """After a successful build of ``built``: the state it leaves (only what it fully covered)."""
    state = load_build_state(warehouse_dir)
    everything = built >= set(graph.names)
    if everything:
        state = {"project": project, "bronze": {}, "as_of": as_of}
    if state.get("project") != project:  # a partial build on a changed project proves nothing
        return state
    for source, fingerprint in bronze_at_start.items():
        if graph.of_sources([source]) <= built:
            state["bronze"][source] = fingerprint
    if graph.of_as_of() <= built:
        state["as_of"] = as_of
    state["built_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    path = _build_state_path(warehouse_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
    return state


# -- the night --------------------------------------------------------------------------------


@dataclass
class NightPlan:
    as_of: str
    ingest: dict[str, set[dt.date]]  # source -> export dates with pending files
    dbt: DbtChanges
    publish: bool

    @property
    def dates(self) -> tuple[dt.date, dt.date] | None:
        days = [d for ds in self.ingest.values() for d in ds]
        return (min(days), max(days)) if days else None

    def summary(self) -> str:
        ingest = ", ".join(f"{s} ({len(d)} date(s))" for s, d in sorted(self.ingest.items())) or "nothing"
        reasons = "; ".join(f"{k}: {', '.join(v)}" for k, v in self.dbt.reasons.items()) or "nothing changed"
        return (
            f"ingest: {ingest} | dbt: {len(self.dbt.nodes)} model(s) ({reasons}) | "
            f"serving: {'republish' if self.publish else 'unchanged'} | report: {self.as_of}"
        )


def plan_night(
    as_of: str,
    manifest_path: Path,
    accepted: tuple[dt.date, dt.date],
    landing_root: Path | None = None,
    warehouse_dir: Path | None = None,
) -> NightPlan:
    """``accepted``: the export dates that are partitions at all (FIRST_EXPORT_DATE .. the day after)."""
    from sources.contracts import load_contracts

    landing_root = landing_root or settings.landing_dir()
    warehouse_dir = warehouse_dir or settings.warehouse_dir()
    contracts = list(load_contracts().values())
    ingest = pending_landing(landing_root, warehouse_dir, contracts, accepted)
    graph = dbt_graph(manifest_path)
    bronze_now = bronze_fingerprints(warehouse_dir / "bronze", [c.source for c in contracts])
    changes = dbt_changes(
        graph, load_build_state(warehouse_dir), bronze_now, as_of, dbt_project_fingerprint(), set(ingest)
    )
    publish = bool(changes.nodes) or serving_is_behind(warehouse_dir)
    return NightPlan(as_of, ingest, changes, publish)
