"""Keyed pseudonyms: the production profile refuses the development key."""

import hashlib
import hmac

import duckdb
import pytest

from dagster_project.dbt_runtime.duckdb_plugin import register_functions
from dagster_project.rules.pseudonymize import (
    DEVELOPMENT_KEY,
    KEY_ENV,
    DevelopmentKeyRefused,
    pseudonym_key,
    pseudonymize,
)


def test_production_refuses_the_development_key(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    assert pseudonym_key(production=False) == DEVELOPMENT_KEY.encode()
    with pytest.raises(DevelopmentKeyRefused, match="refuses the development"):
        pseudonym_key(production=True)
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(DevelopmentKeyRefused, match="too short"):
        pseudonym_key(production=True)
    monkeypatch.setenv(KEY_ENV, "k" * 40)
    assert pseudonym_key(production=True) == b"k" * 40


def test_pseudonym_is_hmac_sha256_and_depends_on_the_key():
    phone = "+8613812345678"
    assert pseudonymize(phone, b"a") == hmac.new(b"a", phone.encode(), hashlib.sha256).hexdigest()
    assert pseudonymize(phone, b"a") != pseudonymize(phone, b"b")
    assert pseudonymize(None, b"a") is None


def test_duckdb_functions_apply_the_python_rules():
    with duckdb.connect() as con:
        register_functions(con, b"a")
        row = con.execute(
            "select pseudonymize('+8613812345678'), pseudonymize(null), normalize_phone('86-138 1234 5678'), "
            "normalize_phone('138****5678')"
        ).fetchall()[0]
    assert row == (pseudonymize("+8613812345678", b"a"), None, "+8613812345678", None)
