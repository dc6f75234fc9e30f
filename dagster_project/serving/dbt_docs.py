"""dbt docs of the warehouse, generated right after each successful ``dbt build``.

``dbt docs generate --no-compile`` in the build's own target folder reuses the build's
manifest (compiled SQL included) and partial parse, so it costs only the catalog query
(seconds), inside the same run that holds the warehouse. The site's files are then copied
to ``$WAREHOUSE_DIR/docs`` (``make docs`` serves them; ``static_index.html`` opens
from disk without a server).

The site is what the dbt project and the as-of date make it (descriptions, compiled SQL,
column types): a build that changes neither (an erasure's rebuild, a second run of the same
day) keeps the site it has, recorded in ``docs/.generated_for``, and skips the ~5 s.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

SITE_FILES = ("index.html", "manifest.json", "catalog.json", "static_index.html")
RECORD = ".generated_for"


def docs_are_current(docs_dir: Path, generated_for: dict) -> bool:
    """Whether docs_dir holds the whole site generated for this project fingerprint and as-of date."""
    record = docs_dir / RECORD
    if not record.exists() or not all((docs_dir / name).exists() for name in SITE_FILES):
        return False
    return json.loads(record.read_text(encoding="utf-8")) == generated_for


def generate_docs(
    dbt, build_target: Path, build_options: list[str], docs_dir: Path, generated_for: dict
) -> Path:
    """Run docs generate with `dbt` (a DbtCliResource) in build_target, with the build's
    options (--target); publish to docs_dir, recorded as generated for ``generated_for``."""
    (docs_dir / RECORD).unlink(missing_ok=True)  # a failure half-way leaves no stale record
    dbt.cli(
        ["docs", "generate", "--no-compile", "--static", *build_options], target_path=build_target
    ).wait()  # raises with dbt's error on failure
    docs_dir.mkdir(parents=True, exist_ok=True)
    for name in SITE_FILES:
        tmp = docs_dir / f".{name}.tmp"
        shutil.copyfile(build_target / name, tmp)
        os.replace(tmp, docs_dir / name)  # `make docs` may be serving the previous night's files
    (docs_dir / RECORD).write_text(json.dumps(generated_for), encoding="utf-8")
    return docs_dir
