"""The import rule of docs/architecture.md, checked on the real import graph (every import
statement, also those inside functions):

- domain packages never import Dagster nor ``dagster_project.defs``;
- only ``definitions.py`` and the CLI import ``defs``;
- dbt's Python files import nothing of this project but ``dagster_project.dbt_runtime``,
  and profiles.yml's plugin lives there too;
- no import cycle between the packages of ``dagster_project``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "dagster_project"
DOMAIN = (
    "rules",
    "bronze",
    "quality",
    "identity",
    "clv",
    "privacy",
    "serving",
    "dbt_runtime",
    "lib",
    "settings",
)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def unit_of(module: str) -> str | None:
    """The package of dagster_project a module belongs to (``bronze``, ``defs``, ``cli`` ...)."""
    parts = module.split(".")
    if parts[0] != "dagster_project" or len(parts) < 2:
        return None
    return parts[1]


def modules() -> dict[str, Path]:
    return {".".join(p.relative_to(REPO).with_suffix("").parts): p for p in PACKAGE.rglob("*.py")}


def test_domain_packages_import_neither_dagster_nor_defs():
    for name, path in modules().items():
        if unit_of(name) not in DOMAIN:
            continue
        bad = {
            m
            for m in imported_modules(path)
            if m.split(".")[0] in ("dagster", "dagster_dbt") or unit_of(m) in ("defs", "definitions", "cli")
        }
        assert not bad, f"{name} imports {sorted(bad)}"


def test_only_the_code_location_and_the_cli_import_defs():
    for name, path in modules().items():
        if unit_of(name) in ("defs", "definitions", "cli"):
            continue
        assert not {m for m in imported_modules(path) if unit_of(m) == "defs"}, name


def test_dbt_imports_only_the_dbt_runtime():
    for path in (REPO / "dbt").rglob("*.py"):
        if "target" in path.parts or "dbt_packages" in path.parts:
            continue
        ours = {
            m for m in imported_modules(path) if m.split(".")[0] in ("dagster_project", "sources", "scripts")
        }
        assert all(m.startswith("dagster_project.dbt_runtime") for m in ours), f"{path}: {sorted(ours)}"
    profiles = yaml.safe_load((REPO / "dbt" / "profiles.yml").read_text(encoding="utf-8"))
    plugins = [
        p["module"]
        for target in profiles["siyu_warehouse"]["outputs"].values()
        for p in target.get("plugins", [])
    ]
    assert plugins and all(p.startswith("dagster_project.dbt_runtime.") for p in plugins)


def test_no_import_cycle_between_packages():
    edges: dict[str, set[str]] = {}
    for name, path in modules().items():
        unit = unit_of(name)
        for module in imported_modules(path):
            target = unit_of(module)
            if target and target != unit:
                edges.setdefault(unit, set()).add(target)

    def visit(node: str, trail: list[str]) -> None:
        for nxt in edges.get(node, ()):
            assert nxt not in trail, "import cycle: " + " -> ".join([*trail, nxt])
            visit(nxt, [*trail, nxt])

    for start in edges:
        visit(start, [start])
