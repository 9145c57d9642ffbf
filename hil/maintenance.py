"""The HIL run's records store must show a fit table, as a clinic's must, before a treatment.

On the built-in simulator the simulated technician does the calibration verification and
the daily check through the simulator's control interface (the same procedures a clinic
runs). On a real table the run relies on the table's own maintenance log (the site's
records store): its latest calibration and daily check are copied into the run's store, so
a table that is not fit to treat is refused in HIL exactly as in the clinic.
"""

from __future__ import annotations

from pathlib import Path

from controller.app.composition import open_link
from controller.app.simulated_table import simulated_procedures
from controller.app.site_config import site_config
from controller.maintenance.readiness import readiness
from controller.maintenance.simulated_technician import SimulatedTechnician
from controller.records.maintenance import (
    adopt_latest,
    last_calibration,
    last_daily_check,
    local_today,
)
from controller.records.store import SessionStore
from hil.table import HilTable
from safety.limits import load_limits


def ready_store(table: HilTable, path: Path) -> None:
    store = SessionStore(path, recover=False)
    try:
        if not readiness(last_calibration(store), last_daily_check(store), local_today()):
            return
        if table.control is None:
            source = SessionStore(site_config().records, recover=False)
            try:
                adopt_latest(source, store)
            finally:
                source.close()
            return
        tech = SimulatedTechnician(lambda name, params: table.inject(name, **params))
        link = open_link(table.device).link  # not the test's: closed before its own opens
        try:
            simulated_procedures(
                store,
                link,
                tech,
                operator=table.acting,
                device_max_n=load_limits().device_max_force_n,
            )
        finally:
            link.close()
    finally:
        store.close()
