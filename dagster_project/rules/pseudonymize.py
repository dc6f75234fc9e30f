"""Keyed pseudonymisation (HMAC-SHA256) of phones and buyer names.

The key comes from ``SIYU_PSEUDONYM_KEY``. Without it a clearly marked
development key is used, which production refuses: ``SIYU_ENV=production`` (the
``siyu`` commands, the Dagster dbt step) and the dbt profile's ``prod`` target
(plugin config ``refuse_development_key: true``). The same function is
registered in DuckDB as ``pseudonymize(varchar) -> varchar`` for every dbt
connection (dagster_project/dbt_runtime/duckdb_plugin.py), so the rule exists once.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import pyarrow as pa

KEY_ENV = "SIYU_PSEUDONYM_KEY"
DEVELOPMENT_KEY = "DEVELOPMENT-ONLY-pseudonym-key-do-not-use-in-production"


class DevelopmentKeyRefused(RuntimeError):
    pass


def pseudonym_key(production: bool | None = None) -> bytes:
    """The key; ``production`` (default: ``SIYU_ENV=production``) refuses the development key."""
    if production is None:
        from dagster_project.settings import is_production

        production = is_production()
    key = os.environ.get(KEY_ENV) or DEVELOPMENT_KEY
    if production and key == DEVELOPMENT_KEY:
        raise DevelopmentKeyRefused(
            f"the production profile refuses the development pseudonymisation key: set {KEY_ENV} "
            "to a secret of at least 32 characters"
        )
    if production and len(key) < 32:
        raise DevelopmentKeyRefused(f"{KEY_ENV} is too short for production (at least 32 characters)")
    return key.encode("utf-8")


def pseudonymize(value: str | None, key: bytes) -> str | None:
    if value is None:
        return None
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def pseudonymize_arrow(values: pa.Array, key: bytes) -> pa.Array:
    # DuckDB hands over chunks of up to 2048 values; hmac per value is ~1 µs.
    return pa.array([pseudonymize(v, key) for v in values.to_pylist()], type=pa.string())
