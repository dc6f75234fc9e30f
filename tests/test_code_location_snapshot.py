"""A snapshot of the code location: every asset key with its group, every check, job, schedule and
sensor. A move or rename that changes what the UI shows fails here until the snapshot is
updated on purpose (`pytest tests/test_code_location_snapshot.py --snapshot-update`), so the
diff of `tests/__snapshots__/` shows its effect in review."""


def _shape() -> dict:
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    assets = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    checks = sorted(f"{check.asset_key.to_user_string()}:{check.name}" for check in graph.asset_check_keys)
    jobs = sorted(job.name for job in defs.resolve_all_job_defs() if not job.name.startswith("__"))
    schedules = sorted(f"{s.name} {s.cron_schedule} -> {s.job_name}" for s in defs.schedules)
    sensors = sorted(f"{s.name} -> {', '.join(sorted(t.job_name for t in s.targets))}" for s in defs.sensors)
    return {
        "assets": dict(sorted(assets.items())),
        "checks": checks,
        "jobs": jobs,
        "schedules": schedules,
        "sensors": sensors,
        "resources": sorted(defs.resources or {}),
    }


def test_code_location_matches_its_snapshot(snapshot):
    assert _shape() == snapshot
