"""Content hashes of landing files, remembered per (size, mtime) in
``$WAREHOUSE_DIR/state/landing_sha256/<source>.json``: a file whose size and modification
time did not change is not read again to learn that its content is already in bronze."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from dagster_project import settings


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _hash_cache_path(warehouse_dir: Path, source: str) -> Path:
    return settings.state_dir(warehouse_dir) / "landing_sha256" / f"{source}.json"


def load_hash_cache(warehouse_dir: Path, source: str) -> dict[str, list]:
    path = _hash_cache_path(warehouse_dir, source)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def save_hash_cache(warehouse_dir: Path, source: str, entries: dict[str, list]) -> None:
    path = _hash_cache_path(warehouse_dir, source)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(entries, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def cached_sha256(path: Path, relative: str, cache_entries: dict[str, list]) -> str:
    """The file's SHA-256, from the cache when its size and mtime are those it was hashed at."""
    stat = path.stat()
    known = cache_entries.get(relative)
    if known and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
        return known[2]
    sha = sha256_of(path)
    cache_entries[relative] = [stat.st_size, stat.st_mtime_ns, sha]
    return sha
