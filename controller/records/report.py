"""The treatment report: one PNG a clinician or a reviewer can read without the software.

Measured force (the larger load-cell channel, as the safety layer reads it) against the
target over time, the session force limit and the board's trip level as lines, the
protocol's phases as coloured bands, every recorded event as a marker. Below it, the
carriage position. Drawn with matplotlib's Agg backend: no screen needed.
"""

from __future__ import annotations

import json
import sqlite3
import textwrap
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before pyplot: files only, never a window
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from controller.clinic.dose import Prescription
from controller.clinic.local_time import local
from controller.clinic.units import Units
from controller.muscles.summary import emg_lines, relaxation_lines
from controller.records.chain import ChainedEvent
from controller.records.delivered import Delivered, delivered
from controller.records.patients import notes_of
from controller.records.recorder import SELF_TEST_EVENT
from controller.records.signatures import people_lines
from controller.records.store import SessionStore
from controller.words.catalogue import DEFAULT as DEFAULT_LANGUAGE
from controller.words.catalogue import Speaker, said, speaker

WRAP_CHARS = 72  # the left column's width, so it never runs into the right one
FIGSIZE_IN = (13.0, 9.5)
TEXT_SIZE = 8
CHANGES_SHOWN = 8  # operator changes listed on the page (the record holds them all)
DPI = 110
EVENT_COLOURS = {"fault": "red", "alarm": "darkorange", "operator": "royalblue"}
EVENT_STYLE_DEFAULT = "grey"
SEVERITY_ORDER = ("fault", "alarm", "operator", "state", "info", "session")
MARK_MERGE = 0.01  # share of the session's length within which events share a marker
LABEL_CHARS = 48
BAND_ALPHA = 0.12


@dataclass(frozen=True, slots=True)
class Band:
    phase: str
    start_s: float
    end_s: float


@dataclass(slots=True)
class Report:
    path: Path
    session_id: int
    bands: list[Band] = field(default_factory=list)
    events: int = 0
    samples: int = 0


def phase_bands(times: list[float], phases: list[str]) -> list[Band]:
    """Runs of one phase as bands; a band ends where the next begins (no gaps)."""
    bands: list[Band] = []
    i = 0
    for phase, run in groupby(phases):
        n = len(list(run))
        start = times[i]
        end = times[i + n] if i + n < len(times) else times[-1]
        bands.append(Band(phase, start, end))
        i += n
    return bands


def draw_report(
    store: SessionStore, session_id: int, out: Path, units: Units | None = None
) -> Report:
    """The session's report (PNG and PDF beside it), forces in the site's `units` and times
    in the clinic's zone, in the language the session was run in; the record itself stays
    in N and UTC."""
    u = units or Units()
    per = u.force_value(1.0)
    row = store.session(session_id)
    language = row["language"] or DEFAULT_LANGUAGE
    say = speaker(language)
    samples = store.samples(session_id)
    events = store.events(session_id)
    t = [s["t_s"] for s in samples]
    measured = [_larger(s["force_a_n"], s["force_b_n"]) * per for s in samples]
    target = [None if s["target_n"] is None else s["target_n"] * per for s in samples]
    phases = [s["phase"] for s in samples]
    bands = phase_bands(t, phases) if t else []

    emg = [s["emg_uv"] for s in samples]
    with_emg = any(v is not None for v in emg)
    fig = plt.figure(figsize=FIGSIZE_IN, layout="constrained")
    if with_emg:
        ax, ax_emg, ax_pos, ax_text = fig.subplots(4, 1, height_ratios=(3, 1, 1, 1.5))
        ax_emg.sharex(ax)
        _emg_axis(ax_emg, t, emg, row["emg_json"], say)
    else:
        ax, ax_pos, ax_text = fig.subplots(3, 1, height_ratios=(3, 1, 1.3))
    ax_pos.sharex(ax)
    colours = plt.get_cmap("tab10")
    names = list(dict.fromkeys(b.phase for b in bands))
    for b in bands:
        ax.axvspan(
            b.start_s, b.end_s, color=colours(names.index(b.phase) % 10), alpha=BAND_ALPHA, lw=0
        )
    for n, name in enumerate(names):  # one legend entry per phase
        ax.fill_between(
            [],
            [],
            color=colours(n % 10),
            alpha=BAND_ALPHA * 3,
            label=say("phase: {name}", name=say(name)),
        )
    ax.plot(
        t,
        [v if v is not None else float("nan") for v in target],
        color="black",
        lw=1.2,
        ls="--",
        label=say("target"),
    )
    ax.plot(t, measured, color="tab:green", lw=1.0, label=say("measured (larger channel)"))
    if row["force_limit_n"] is not None:
        ax.axhline(
            row["force_limit_n"] * per, color="red", lw=1.0, label=say("session force limit")
        )
    trip = _board_trip(events)
    if trip is not None:
        ax.axhline(trip * per, color="red", lw=1.0, ls=":", label=say("board force trip"))
    marks = event_marks(events, span_s=(t[-1] - t[0]) if len(t) > 1 else 1.0)
    for m in marks:
        ax.axvline(m.t_s, color=m.colour, lw=0.8, alpha=0.8)
        ax.annotate(
            m.label,
            (m.t_s, 0.98),
            xycoords=("data", "axes fraction"),
            rotation=90,
            fontsize=6,
            va="top",
            ha="right",
            color=m.colour,
        )
    shown = sum(m.count for m in marks)
    ax.set_ylabel(say("force ({unit})", unit=say(u.force)))
    ax.set_title(
        say(
            "session {id}: {protocol} ({region}), patient {patient}, {weight}, operator "
            "{operator} -- {outcome}",
            id=session_id,
            protocol=said(language, row["protocol_name"]),
            region=say(row["region"]),
            patient=row["patient_ref"] or "-",
            weight=said(language, u.show_weight(row["weight_kg"])),
            operator=row["operator"],
            outcome=said(language, row["outcome"]),
        )
        + "\n"
        + say(
            "started {started}, limits {limits}, {software}",
            started=local(row["started_at"], seconds=True, language=language),
            limits=row["limits_sha256"][:12],
            software=row["software_version"],
        ),
        fontsize=9,
    )
    ax.legend(loc="upper right", fontsize=7, ncols=2)
    ax.grid(alpha=0.3)
    ax_pos.plot(t, [_mm(s["position_m"]) for s in samples], color="tab:purple", lw=1.0)
    ax_pos.set_ylabel(say("carriage (mm)"))
    ax_pos.set_xlabel(say("session time (s)"))
    ax_pos.grid(alpha=0.3)
    columns = clinical_lines(
        row, events, delivered(samples), notes_of(store, session_id), units=u, language=language
    )
    _clinical_text(ax_text, columns)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=DPI)
    fig.savefig(out.with_suffix(".pdf"))  # the same page, for the patient's file
    plt.close(fig)
    return Report(out, session_id, bands, shown, len(samples))


def _clinical_text(ax: Axes, columns: tuple[list[str], list[str]]) -> None:
    ax.axis("off")
    for x, lines in zip((0.0, 0.52), columns, strict=True):
        ax.text(
            x,
            1.0,
            "\n".join(lines),
            va="top",
            ha="left",
            fontsize=TEXT_SIZE,
            family="monospace",
            transform=ax.transAxes,
        )


def clinical_lines(
    row: sqlite3.Row,
    events: list[ChainedEvent],
    dose: Delivered,
    notes: list[dict[str, Any]],
    *,
    units: Units,
    language: str = DEFAULT_LANGUAGE,
) -> tuple[list[str], list[str]]:
    """Prescription, set-up, checks and pain (left); delivered dose, the technician's
    changes and the people (right); in the session's language."""
    say = speaker(language)
    left = [say("PRESCRIBED")]
    if row["prescription_json"]:
        rx = Prescription.model_validate_json(row["prescription_json"]).describe()
        left.append(say("force: {prescription}", prescription=said(language, rx)))
    else:
        left.append(say("force: as the protocol (recorded before prescriptions)"))
    if row["setup_json"]:
        st = json.loads(row["setup_json"])
        left.append(
            say(
                "set-up: pull at {angle} deg, {position}, {harness} harness, split table {split}",
                angle=f"{st['angle_deg']:g}",
                position=say(st["position"]),
                harness=say(st["harness"]),
                split=say(st["split_table"]),
            )
        )
    if row["checks_json"]:
        ck = json.loads(row["checks_json"])
        left.append(
            say(
                "contraindications: none present, confirmed by {who}"
                if ck["contraindications_none"]
                else "contraindications: NOT confirmed by {who}",
                who=row["operator"],
            )
        )
        if ck.get("pain_before") is not None:
            left.append(say("pain before: {pain}/10 (NRS)", pain=ck["pain_before"]))
    for n in notes:
        if n["kind"] == "pain_after":
            left.append(say("pain after: {pain}/10 (NRS), {by}", pain=n["pain"], by=n["by"]))
        elif n["kind"].startswith("myotonometry_"):
            when = n["kind"].removeprefix("myotonometry_")
            left.append(
                say(
                    f"myotonometry {when}: {{hz}} Hz, {{stiffness}} N/m",
                    hz=f"{n['frequency_hz']:g}",
                    stiffness=f"{n['stiffness_n_m']:g}",
                )
            )
        elif n["kind"] == "comment":
            left.append(say('patient: "{text}"', text=str(n["text"])[: LABEL_CHARS * 2]))
    relaxed = json.loads(row["relaxation_json"]) if row["relaxation_json"] else None
    emg = json.loads(row["emg_json"]) if row["emg_json"] else None
    told = [said(language, line) for line in [*relaxation_lines(relaxed), *emg_lines(emg)]]
    left += [
        "",
        say("RELAXATION"),
        *(w for line in told for w in textwrap.wrap(line, WRAP_CHARS)),
    ]
    right = [say("DELIVERED"), *dose.lines(units, language), "", say("TECHNICIAN'S CHANGES")]
    changes = [e for e in events if e.kind == "operator"]
    right += [
        f"t {e.t_s or 0.0:.0f} s: {e.message} ({json.loads(e.data).get('by', '')})"
        for e in changes[:CHANGES_SHOWN]
    ] or [say("none")]
    if len(changes) > CHANGES_SHOWN:
        right.append(say("... and {n} more in the record", n=len(changes) - CHANGES_SHOWN))
    right += ["", say("PEOPLE"), *people_lines(str(row["operator"]), events, language)]
    return left, right


def _emg_axis(
    ax: Axes, t: list[float], emg: list[float | None], figures: str | None, say: Speaker
) -> None:
    """The muscles' envelope on the force's time axis; gaps where it was not reliable."""
    ax.plot(t, [v if v is not None else float("nan") for v in emg], color="tab:olive", lw=0.8)
    known = json.loads(figures) if figures else {}
    if known.get("baseline_uv"):
        ax.axhline(
            known["baseline_uv"], color="grey", lw=0.8, ls="--", label=say("resting baseline")
        )
    if known.get("threshold_uv"):
        ax.axhline(known["threshold_uv"], color="orange", lw=0.8, ls="--", label=say("guarding"))
    ax.set_ylabel(say("EMG ({unit})", unit=say("uV")))
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper right", fontsize=6)
    ax.grid(alpha=0.3)


@dataclass(frozen=True, slots=True)
class EventMark:
    t_s: float
    label: str
    colour: str
    count: int


def event_marks(events: list[ChainedEvent], span_s: float) -> list[EventMark]:
    """Events close together (within 1 % of the session) share one marker, so labels stay
    legible; the marker takes the colour of its most serious event."""
    timed = sorted((e for e in events if e.t_s is not None), key=lambda e: e.t_s or 0.0)
    marks: list[EventMark] = []
    group: list[ChainedEvent] = []
    for e in [*timed, None]:
        if group and (e is None or (e.t_s or 0.0) - (group[0].t_s or 0.0) > MARK_MERGE * span_s):
            worst = min(
                group,
                key=lambda g: (
                    SEVERITY_ORDER.index(g.kind)
                    if g.kind in SEVERITY_ORDER
                    else len(SEVERITY_ORDER)
                ),
            )
            label = worst.message[:LABEL_CHARS]
            if len(group) > 1:
                label += f" (+{len(group) - 1})"
            marks.append(
                EventMark(
                    group[0].t_s or 0.0,
                    label,
                    EVENT_COLOURS.get(worst.kind, EVENT_STYLE_DEFAULT),
                    len(group),
                )
            )
            group = []
        if e is not None:
            group.append(e)
    return marks


def _larger(a: float | None, b: float | None) -> float:
    values = [v for v in (a, b) if v is not None]
    return max(values) if values else float("nan")


def _mm(m: float | None) -> float:
    return float("nan") if m is None else m * 1e3


def _board_trip(events: list[ChainedEvent]) -> float | None:
    for e in events:
        if e.message == SELF_TEST_EVENT:
            value = json.loads(e.data).get("interlocks", {}).get("force_trip_n")
            return float(value) if value is not None else None
    return None
