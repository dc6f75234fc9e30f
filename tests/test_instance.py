"""What the Dagster instance sees: one warehouse writer at a time, and no personal data.

Real commands in subprocesses, as an operator runs them, on a small noisy landing (the last
four export days of every source) with planted bad cells holding personal values: an MP
user whose purePhoneNumber is typed with dashes and a CRM member whose e-mail has no domain
(failing Great Expectations warnings that sample those values), a Tmall order whose 订单状态
holds the receiver's name (a failing dbt accepted_values warning whose failing rows hold it).

1. ``siyu run`` starts; once it holds the warehouse writer lock, ``siyu erase`` (by the
   planted user's unionid and phone) starts too. The erasure must wait (and say so) and begin
   its first step only after the nightly run ended; the final bronze, deny-list and serving
   file must equal those of the two commands run one after the other in a second warehouse.
2. Then every file under both ``$DAGSTER_HOME`` folders (run and event storage SQLite with
   their WAL, compute logs) and the dbt target/log folder of the runs (``DBT_TARGET_PATH``) is
   read as bytes and searched for every phone (+86/86/spaces/dashes variants), name, address
   and e-mail of the landing, read from the landing files with the standard library
   (tests/test_privacy.py), and the erased person's unionid and openid: 0 found. The same
   scan finds them in an instance that was given them (so it can find them), and the
   check metadata shows the planted values masked (so they did go through it).
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.conftest import AS_OF
from tests.test_failure import BIN, _small_landing
from tests.test_privacy import CJK, EMAIL, PHONE, Matcher, landing_personal_data
from tests.warehouse import DBT_DIR, marts_differences

PLANTED_NAME = "欧阳明月"
PLANTED_ADDRESS = "云南省昆明市五华区翠湖南路88号"
UNIONID, OPENID = "o6_bmjPLANTEDunionid00000001", "o3xYtPLANTEDopenid0000000001"
MP_PHONE, CRM_PHONE, TMALL_PHONE = "139-1234-0001", "13912340002", "13912340003"
BAD_EMAIL = f"{PLANTED_NAME}@qq"


# ---- the landing ------------------------------------------------------------------------------


def _last_day(landing: Path, source: str) -> Path:
    return sorted((landing / source).iterdir())[-1]


def _decode(data: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("unknown encoding")


def _plant(landing: Path) -> None:
    """Bad cells holding personal values, each in a file of its own next to the real exports."""
    from tests.landing_builders import TMALL_HEADER, tmall_row, write_csv, write_jsonl

    day = _last_day(landing, "wechat_mp_users")
    real = json.loads(next(day.glob("*.jsonl")).read_text(encoding="utf-8").splitlines()[0])
    write_jsonl(
        day / "mp_users_planted.jsonl",
        [
            {
                **real,
                "openid": OPENID,
                "unionid": UNIONID,
                "nickname": PLANTED_NAME,
                "phone_info": {
                    "phoneNumber": f"+86 {MP_PHONE}",
                    "purePhoneNumber": MP_PHONE,
                    "countryCode": 86,
                },
            }
        ],
    )

    day = _last_day(landing, "crm_members")
    text, encoding = _decode(next(day.glob("*.csv")).read_bytes())
    reader = csv.DictReader(io.StringIO(text, newline=""))
    planted = {
        "会员编号": "M900000001",
        "手机号": CRM_PHONE,
        "unionid": UNIONID,
        "姓名": PLANTED_NAME,
        "邮箱": BAD_EMAIL,
    }
    row = next(reader)  # the export's headers as they are (padded with spaces in some exports)
    write_csv(
        day / "crm_members_planted.csv",
        list(reader.fieldnames),
        [[planted.get(h.strip(), row[h]) for h in reader.fieldnames]],
        encoding=encoding.removesuffix("-sig"),
    )

    day = _last_day(landing, "tmall_orders")
    at = f"{day.name} 10:00:00"
    write_csv(
        day / "ExportOrderList_planted.csv",
        TMALL_HEADER,
        [
            tmall_row(
                "3900000000000000001",
                订单状态=PLANTED_NAME,
                收货人姓名=PLANTED_NAME,
                收货地址=PLANTED_ADDRESS,
                联系手机=f"'{TMALL_PHONE}",
                买家会员名="tb_欧阳明月的店",
                订单创建时间=at,
                订单付款时间=at,
            )
        ],
    )


# ---- the scan -----------------------------------------------------------------------------------


_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_TOKEN = re.compile(r"[^\s\"'|,;:=()\[\]{}<>\\/`]+")
_FIELD = re.compile(r"[^\"\n\r\x00|\\{}\[\]<>`]+")


def _mobile(value: str) -> str | None:
    digits = re.sub(r"\D", "", value)
    digits = (
        digits[4:]
        if digits.startswith("0086")
        else digits[2:]
        if len(digits) == 13 and digits[:2] == "86"
        else digits
    )
    return digits if re.fullmatch(r"1[3-9]\d{9}", digits) else None


class Scanner:
    """Every personal value of the landing inside a text, however it was written."""

    def __init__(self, pii: dict[str, set[str]], extra: set[str] = frozenset()):
        self.mobiles = {m for v in pii["phone"] if (m := _mobile(v))}
        self.matcher = Matcher(pii)
        # values found as whole tokens: short names, nicks, e-mails, odd phone values, account ids
        self.exact = {
            v: kind
            for v, kind in self.matcher.exact.items()
            if kind != "phone" or (len(re.sub(r"\D", "", v)) >= 7 and not _mobile(v))
        }
        self.exact.update({v: "account" for v in extra})

    def __call__(self, text: str) -> list[tuple[str, str]]:
        text = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)  # JSON-escaped Chinese
        hits = [("phone", m.group()) for m in PHONE.finditer(text) if _mobile(m.group()) in self.mobiles]
        hits += [("email", m.group()) for m in EMAIL.finditer(text) if m.group() in self.exact]
        hits += [(self.exact[t], t) for t in _TOKEN.findall(text) if t in self.exact]
        for field in _FIELD.findall(text):
            if not CJK.search(field):
                continue
            field = field.strip()
            if field in self.exact:
                hits.append((self.exact[field], field))
            for length, values in self.matcher.inner.items():
                for start in range(len(field) - length + 1):
                    if kind := values.get(field[start : start + length]):
                        hits.append((kind, field[start : start + length]))
        return hits


def scan_files(roots: list[Path], scanner: Scanner) -> dict[str, list[tuple[str, str]]]:
    found = {}
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            hits = scanner(path.read_bytes().decode("utf-8", errors="replace"))
            if hits:
                found[str(path.relative_to(root.parent))] = sorted(set(hits))[:5]
    return found


def _blocklisted() -> set[str]:
    """The seed's junk numbers and placeholders ("well-known test number", 匿名买家): nobody's data."""
    with (DBT_DIR / "seeds" / "identity_blocklist.csv").open(encoding="utf-8") as seed:
        return {row["identifier_value"].removeprefix("+86") for row in csv.DictReader(seed)} | {"匿名买家"}


# ---- the runs -----------------------------------------------------------------------------------


class Commands:
    def __init__(self, root: Path, landing: Path, name: str):
        self.warehouse, self.home, self.dbt_target = (
            root / f"{name}_warehouse",
            root / f"{name}_home",
            root / f"{name}_dbt",
        )
        self.dbt_target.mkdir(parents=True)
        partial = DBT_DIR / "target" / "partial_parse.msgpack"
        if partial.exists():  # as dagster-dbt does for its own target folders
            shutil.copy(partial, self.dbt_target / partial.name)
        self.env = {
            **os.environ,
            "LANDING_DIR": str(landing),
            "WAREHOUSE_DIR": str(self.warehouse),
            "DAGSTER_HOME": str(self.home),
            "AS_OF_DATE": AS_OF,
            "DBT_TARGET_PATH": str(self.dbt_target),
            "SIYU_RETRY_WAIT_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
        }
        self.logs = root / f"{name}_logs"
        self.logs.mkdir()

    def start(self, name: str, *args: str) -> subprocess.Popen:
        out = (self.logs / f"{name}.log").open("w")
        return subprocess.Popen(
            [str(BIN / "siyu"), *args],
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def finish(self, proc: subprocess.Popen, name: str) -> None:
        assert proc.wait(timeout=900) == 0, self.log(name)[-4000:]


ERASE = ("erase", "--unionid", UNIONID, "--phone", MP_PHONE.replace("-", " "))


def _lock_held_by_the_nightly(warehouse: Path) -> bool:
    from dagster_project.defs.common.writer_lock import holder, lock_path

    if not lock_path(warehouse).exists() or holder(warehouse).get("job") != "nightly_warehouse":
        return False
    with lock_path(warehouse).open("rb") as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(probe, fcntl.LOCK_UN)
        return False


def _events(home: Path) -> dict[str, dict]:
    """Per job: run id, its first STEP_START and its end (RUN_SUCCESS/FAILURE) timestamps, from the instance."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home)
    runs = {}
    with dg.DagsterInstance.get() as instance:
        for record in instance.get_run_records():
            logs = [e for e in instance.all_logs(record.dagster_run.run_id) if e.dagster_event]
            kinds = dg.DagsterEventType
            steps = [e.timestamp for e in logs if e.dagster_event.event_type == kinds.STEP_START]
            ends = [
                e.timestamp
                for e in logs
                if e.dagster_event.event_type in (kinds.RUN_SUCCESS, kinds.RUN_FAILURE)
            ]
            checks = [
                e.dagster_event.event_specific_data
                for e in logs
                if e.dagster_event.event_type == kinds.ASSET_CHECK_EVALUATION
            ]
            runs[record.dagster_run.job_name] = {
                "run_id": record.dagster_run.run_id,
                "first_step": min(steps),
                "end": max(ends),
                "checks": checks,
                "run_config": record.dagster_run.run_config,
            }
    return runs


@pytest.fixture(scope="module")
def runs(noisy_landing, tmp_path_factory):
    root = tmp_path_factory.mktemp("instance")
    landing = _small_landing(noisy_landing[0], root / "landing")
    _plant(landing)
    together, apart = Commands(root, landing, "together"), Commands(root, landing, "apart")

    nightly = together.start("nightly", "run")
    deadline = time.time() + 300
    while not _lock_held_by_the_nightly(together.warehouse):
        assert nightly.poll() is None and time.time() < deadline, together.log("nightly")[-3000:]
        time.sleep(0.05)
    erase = together.start("erase", *ERASE)
    together.finish(nightly, "nightly")
    together.finish(erase, "erase")

    for name, args in (("nightly", ("run",)), ("erase", ERASE)):  # the same two, one after the other
        apart.finish(apart.start(name, *args), name)
    old_home = os.environ.get("DAGSTER_HOME")
    try:
        events = {name: _events(c.home) for name, c in (("together", together), ("apart", apart))}
    finally:
        if old_home is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = old_home
    return together, apart, events, landing


# ---- one writer -------------------------------------------------------------------------------------


def test_the_erasure_waited_for_the_running_nightly_and_said_so(runs):
    together, _, events, _ = runs
    runs_ = events["together"]
    assert set(runs_) == {"nightly_warehouse", "erase_person"}
    assert runs_["erase_person"]["first_step"] >= runs_["nightly_warehouse"]["end"]  # never interleaved
    assert "waiting for the warehouse writer lock" in together.log("erase")
    assert runs_["nightly_warehouse"]["run_id"] in together.log("erase")  # it names who holds the lock


def test_the_final_state_equals_running_them_one_after_the_other(runs):
    together, apart, _, _ = runs
    from sources.contracts import load_contracts

    for source in load_contracts():
        rows = [
            pl.read_parquet(str(c.warehouse / "bronze" / source / "export_date=*" / "*.parquet"))
            .drop("_loaded_at")
            .sort("_source_file", "_row_number")
            for c in (together, apart)
        ]
        assert rows[0].equals(rows[1]), source
    deny = [
        set(pl.read_parquet(c.warehouse / "privacy" / "deny_list.parquet")["identifier_hash"])
        for c in (together, apart)
    ]
    assert deny[0] == deny[1] and len(deny[0]) >= 3  # the unionid, both phones, the openid, orders
    assert not marts_differences(together.warehouse / "serving.duckdb", apart.warehouse / "serving.duckdb")
    with duckdb.connect(str(together.warehouse / "serving.duckdb"), read_only=True) as con:
        assert (
            con.execute(
                "select count(*) from marts.customer_identities where identifier_value = ?", [UNIONID]
            ).fetchone()[0]
            == 0
        )


def test_a_second_writer_is_refused_after_the_timeout_with_the_holder_named(tmp_path):
    """The lock itself, across processes: a holder, a waiter that gives up naming it."""
    from dagster_project.defs.common.writer_lock import warehouse_writer

    child = (
        "import sys; from pathlib import Path; from dagster_project.defs.common.writer_lock import warehouse_writer\n"
        "with warehouse_writer(Path(sys.argv[1]), {'run_id': 'second', 'job': 'erase_person'}, timeout=1.5):\n"
        "    print('TOOK THE LOCK')\n"
    )
    with warehouse_writer(tmp_path, {"run_id": "r-first", "job": "nightly_warehouse"}, log=lambda m: None):
        waiter = subprocess.run(
            [sys.executable, "-c", child, str(tmp_path)], capture_output=True, text=True, timeout=60
        )
    assert waiter.returncode != 0 and "TOOK THE LOCK" not in waiter.stdout
    assert "waiting for the warehouse writer lock" in waiter.stdout
    assert "refused" in waiter.stderr and "run r-first of job nightly_warehouse" in waiter.stderr
    free = subprocess.run(
        [sys.executable, "-c", child, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert free.returncode == 0 and "TOOK THE LOCK" in free.stdout  # released with the holder


# ---- nothing personal in the orchestrator -----------------------------------------------------------


@pytest.fixture(scope="module")
def scanner(runs):
    *_, landing = runs
    pii = landing_personal_data(landing)
    junk = _blocklisted()
    pii = {
        kind: {v for v in values if v.removeprefix("+86") not in junk and v not in junk}
        for kind, values in pii.items()
    }
    return Scanner(pii, extra={UNIONID, OPENID})


def test_the_landing_holds_the_planted_values_the_scan_looks_for(scanner):
    for value in (PLANTED_NAME, PLANTED_ADDRESS, BAD_EMAIL):
        assert scanner(value), value
    for phone in (MP_PHONE, CRM_PHONE, TMALL_PHONE, "+86 139 1234 0002", "86-139-1234-0003", "8613912340001"):
        assert scanner(f"x {phone} y"), phone
    assert scanner(json.dumps({"v": f"收货人{PLANTED_NAME}"}))  # JSON-escaped Chinese too
    assert not scanner("139****0001 欧**月 o******1 P0123456789abcdef")


def test_the_planted_values_reached_the_check_metadata_masked(runs):
    _, _, events, _ = runs
    checks = {
        (c.asset_key.to_user_string(), c.check_name): c
        for c in events["together"]["nightly_warehouse"]["checks"]
    }
    text = {
        key: json.dumps({k: str(getattr(v, "value", v)) for k, v in c.metadata.items()}, ensure_ascii=False)
        for key, c in checks.items()
    }
    mp, crm = text[("bronze/wechat_mp_users", "expectations")], text[("bronze/crm_members", "expectations")]
    assert "pure_phone_number" in mp and "139****0001" in mp, mp  # the failing expectation, its sample masked
    assert "email" in crm and "欧*****q" in crm, crm
    status = [t for (asset, check), t in text.items() if "accepted_values" in check and "tmall" in asset]
    assert len(status) == 1 and "failing_rows_sample" in status[0] and "欧**月" in status[0], status


def test_the_erasure_run_config_holds_only_the_request_id(runs):
    _, _, events, _ = runs
    config = events["together"]["erase_person"]["run_config"]["ops"]["find_and_erase"]["config"]
    assert set(config) == {"request_id", "as_of_date"} and re.fullmatch(
        r"E\d{14}-[0-9a-f]{8}", config["request_id"]
    )


def test_no_personal_value_anywhere_in_the_instances_or_the_dbt_folders(runs, scanner):
    together, apart, _, _ = runs
    roots = [together.home, apart.home, together.dbt_target, apart.dbt_target]
    files = [p for root in roots for p in root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files) and any("compute_logs" in p.parts for p in files)
    assert any(p.name == "dbt.log" for p in files) and any(p.name == "run_results.json" for p in files)
    found = scan_files(roots, scanner)
    assert found == {}, found


def test_the_scan_finds_personal_values_in_an_instance_given_them(tmp_path, scanner):
    """A control: plain values in run config, tags and logs of a real (SQLite) instance are found."""
    import dagster as dg

    @dg.op(config_schema={"phones": [str]})
    def leaky(context):
        context.log.info(f"erasing {PLANTED_NAME} at {PLANTED_ADDRESS}")
        print(BAD_EMAIL)

    @dg.job
    def leaky_job():
        leaky()

    (tmp_path / "home").mkdir()
    with dg.DagsterInstance.local_temp(str(tmp_path / "home")) as instance:
        leaky_job.execute_in_process(
            instance=instance,
            tags={"who": UNIONID},
            run_config={"ops": {"leaky": {"config": {"phones": [f"+86 {CRM_PHONE}"]}}}},
        )
    found = {kind for hits in scan_files([tmp_path / "home"], scanner).values() for kind, _ in hits}
    assert {"phone", "name", "address", "account"} <= found, found
