"""The set-up that decides which segment is loaded, and the checks before a session.

The angle of pull, the patient's position, the harness and the split table change which
spinal level the force reaches; a repeat visit is the same treatment only if they are the
same, so they are recorded with every session and carried by "repeat last". The
contraindication checklist follows the commercial tables' manuals; the technician confirms
for every session that none is present, and the pain score (NRS 0-10) before it is kept
beside the one after.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Position = Literal["supine", "supine, knees flexed", "prone", "seated"]
Harness = Literal["lumbar pelvic", "lumbar thoracic + pelvic", "cervical halter", "cervical wedge"]
SplitTable = Literal["locked", "released", "none"]

CONTRAINDICATIONS: tuple[str, ...] = (
    "tumour or malignancy of the spine",
    "spinal infection or acute inflammation",
    "fracture, or acute injury of the region",
    "osteoporosis",
    "spinal cord compression, or new neurological deficit",
    "spinal surgery or implant in the region",
    "pregnancy (lumbar)",
    "aortic aneurysm, or uncontrolled hypertension",
    "hiatal hernia or abdominal hernia (lumbar harness)",
    "rheumatoid arthritis or instability of the upper cervical spine (cervical)",
    "cardiac or respiratory insufficiency (harness pressure)",
    "the patient cannot operate the hand switch",
)


class Setup(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    angle_deg: float = Field(ge=0, le=45, description="angle of pull above the table")
    position: Position
    harness: Harness
    split_table: SplitTable


class Checks(BaseModel):
    """Before the session: the checklist confirmed (none present) and the pain score."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    contraindications_none: bool  # the technician confirmed none of the list is present
    checklist: tuple[str, ...] = CONTRAINDICATIONS
    pain_before: int | None = Field(default=None, ge=0, le=10)


class NotConfirmed(ValueError):
    """The checklist was not confirmed: no session for this patient."""


def confirmed(checks: Checks) -> Checks:
    if not checks.contraindications_none:
        raise NotConfirmed(
            "checks: the contraindication checklist is not confirmed: if any applies, do not "
            "treat; ask the prescribing clinician"
        )
    return checks
