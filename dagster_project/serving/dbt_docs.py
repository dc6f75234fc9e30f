"""dbt docs of the warehouse, generated right after each successful ``dbt build``.

``dbt docs generate --no-compile`` in the build's own target folder reuses the build's
manifest (compiled SQL included) and partial parse, so it costs only the catalog query
(seconds), inside the same run that holds the warehouse. The site's files are then copied
to ``$WAREHOUSE_DIR/docs`` (``make docs`` serves them; ``static_index.html`` opens
from disk without a server).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

SITE_FILES = ("index.html", "manifest.json", "catalog.json", "static_index.html")


def generate_docs(dbt, build_target: Path, build_options: list[str], docs_dir: Path) -> Path:
    """Run docs generate with `dbt` (a DbtCliResource) in build_target, with the build's
    options (--vars, --target); publish to docs_dir."""
    dbt.cli(
        ["docs", "generate", "--no-compile", "--static", *build_options], target_path=build_target
    ).wait()  # raises with dbt's error on failure
    docs_dir.mkdir(parents=True, exist_ok=True)
    for name in SITE_FILES:
        tmp = docs_dir / f".{name}.tmp"
        shutil.copyfile(build_target / name, tmp)
        os.replace(tmp, docs_dir / name)  # `make docs` may be serving the previous night's files
    return docs_dir
