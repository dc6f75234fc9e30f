"""Privacy: erasure of a person on request and the retention of landing and bronze files."""

import dagster as dg

from dagster_project.defs.privacy.erasure import erase_person
from dagster_project.defs.privacy.retention import expired_exports, retention_job, retention_schedule


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[expired_exports], jobs=[erase_person, retention_job],
                          schedules=[retention_schedule])
