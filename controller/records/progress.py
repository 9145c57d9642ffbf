"""A patient's progress over their sessions: one page, PNG and PDF.

Per session: the prescribed peak against the delivered peak and time at force, the pain
before and after (NRS), the stiffness the record shows during the ramps, and the relaxation
figures (the electrode-free index; the muscles' envelope in holds when EMG was connected) --
what a clinician reviews before adjusting the next visit's prescription.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from controller.clinic.dose import Prescription
from controller.records.delivered import delivered, stiffness_n_mm
from controller.records.patients import Patient, notes_of, sessions_of
from controller.records.store import SessionStore

FIGSIZE_IN = (11.0, 8.0)
DPI = 110


@dataclass(frozen=True, slots=True)
class Visit:
    session_id: int
    day: str
    prescribed_n: float | None
    delivered_peak_n: float
    time_at_force_min: float
    pain_before: int | None
    pain_after: int | None
    stiffness_n_mm: float | None
    relaxation_index_pct: float | None = None  # from force and position (every session)
    emg_hold_uv: float | None = None  # the muscles' mean envelope in holds (EMG connected)


def visits(store: SessionStore, patient: Patient) -> list[Visit]:
    out = []
    for row in sessions_of(store, patient.id):
        samples = store.samples(row["id"])
        if not samples:
            continue
        dose = delivered(samples)
        rx = row["prescription_json"]
        checks = json.loads(row["checks_json"]) if row["checks_json"] else {}
        after = [n["pain"] for n in notes_of(store, row["id"]) if n["kind"] == "pain_after"]
        relaxed = json.loads(row["relaxation_json"]) if row["relaxation_json"] else {}
        emg = json.loads(row["emg_json"]) if row["emg_json"] else {}
        out.append(
            Visit(
                int(row["id"]),
                str(row["started_at"])[:10],
                Prescription.model_validate_json(rx).peak_n if rx else None,
                dose.peak_n,
                dose.time_at_force_s / 60,
                checks.get("pain_before"),
                after[-1] if after else None,
                stiffness_n_mm(samples),
                relaxed.get("mean_index_pct"),
                emg.get("mean_hold_uv"),
            )
        )
    return out


def draw_progress(store: SessionStore, patient: Patient, out: Path) -> list[Visit]:
    seen = visits(store, patient)
    labels = [f"#{v.session_id}\n{v.day}" for v in seen]
    x = list(range(len(seen)))
    fig, (ax_f, ax_p, ax_s, ax_r) = plt.subplots(
        4, 1, figsize=FIGSIZE_IN, sharex=True, layout="constrained"
    )
    ax_f.plot(x, [v.prescribed_n for v in seen], "k--o", label="prescribed peak")
    ax_f.plot(x, [v.delivered_peak_n for v in seen], "g-o", label="delivered peak")
    ax_f.set_ylabel("force (N)")
    ax_f.legend(fontsize=8)
    ax_f.set_title(
        f"patient {patient.ref} ({patient.name}), {patient.weight_kg:g} kg: {len(seen)} sessions",
        fontsize=10,
    )
    ax_p.plot(x, [v.pain_before for v in seen], "r-o", label="pain before")
    ax_p.plot(x, [v.pain_after for v in seen], "b-o", label="pain after")
    ax_p.set_ylim(-0.5, 10.5)
    ax_p.set_ylabel("pain (NRS 0-10)")
    ax_p.legend(fontsize=8)
    ax_s.plot(x, [v.stiffness_n_mm for v in seen], "m-o")
    ax_s.set_ylabel("stiffness (N/mm)")
    ax_r.plot(x, [v.relaxation_index_pct for v in seen], "c-o", label="relaxation index (%)")
    ax_r.plot(x, [v.emg_hold_uv for v in seen], "y-s", label="EMG in holds (uV)")
    ax_r.set_ylabel("relaxation")
    ax_r.legend(fontsize=8)
    ax_r.set_xticks(x, labels, fontsize=7)
    ax_f.set_ylim(bottom=0)
    ax_s.set_ylim(bottom=0)
    for a in (ax_f, ax_p, ax_s, ax_r):
        a.grid(alpha=0.3)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=DPI)
    fig.savefig(out.with_suffix(".pdf"))
    plt.close(fig)
    return seen
