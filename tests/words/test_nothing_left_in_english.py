"""No word shown to a person is missing from the catalogue (issue 26): every refusal the console
and the accounts can give, the relaxation and muscle sentences, and the quantities in them,
said in Russian leave no English word behind (tests/words/latin.py), and a dose may be written
with the units' symbols as the console shows them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from controller.clinic.dose import parse_dose
from controller.muscles.summary import emg_lines, relaxation_lines
from controller.words.catalogue import messages, said
from tests.words.latin import english_words, untranslated

ROOT = Path(__file__).resolve().parents[2]
# where the words of a refusal shown to a person are written
REFUSING = [
    *sorted((ROOT / "controller" / "console").glob("*.py")),
    *(ROOT / "controller" / f for f in ("protocols/checks.py", "protocols/models.py")),
    *(ROOT / "controller" / f for f in ("clinic/dose.py", "clinic/setup.py")),
    ROOT / "controller" / "records" / "accounts.py",
    ROOT / "controller" / "maintenance" / "procedures.py",
    ROOT / "controller" / "records" / "patients.py",
    ROOT / "controller" / "cli" / "patients_cmd.py",
    ROOT / "controller" / "cli" / "sessions_cmd.py",
    ROOT / "controller" / "records" / "signatures.py",
]
RAISERS = {
    "Refused",
    "FormError",
    "ProtocolError",
    "ValueError",
    "AccountError",
    "ProcedureError",
    "PatientError",
    "RecordsError",
}
PART = "7"  # what a refusal's {part} becomes here: a number, said as it is in any language
pytestmark = pytest.mark.requirement("SR-068")


def _words(node: ast.expr) -> str | None:
    """The English of a string, an f-string ({parts} as PART) or a sum of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else PART for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _words(node.left), _words(node.right)
        return None if left is None or right is None else left + right
    return None


def _said_of(node: ast.AST) -> list[ast.expr]:
    """The words a refusal is raised with, each rule a protocol check appends and what a
    daily check's step found."""
    if not isinstance(node, ast.Call) or not node.args:
        return []
    name = getattr(node.func, "id", getattr(node.func, "attr", None))
    first = node.args[0]
    if name in RAISERS:
        return (
            [v for v in first.values if v is not None] if isinstance(first, ast.Dict) else [first]
        )
    if name == "append" and isinstance(first, ast.Tuple) and len(first.elts) == 2:
        return [first.elts[1]]  # (field, rule)
    if name == "StepResult":
        return list(node.args[::2])  # a daily check step's key and what it found
    return []


def refusals() -> list[tuple[str, str]]:
    found = []
    for path in REFUSING:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for expr in _said_of(node):
                words = _words(expr)
                if words and re.search("[A-Za-z]", words):
                    found.append((f"{path.relative_to(ROOT)}:{expr.lineno}", words))
    return found


def test_the_scan_finds_the_refusals_it_is_for() -> None:
    found = {words for _, words in refusals()}
    assert "enter the operator's name: every action is recorded with it" in found
    assert any("above the session force limit" in w for w in found)
    assert len(found) > 45


@pytest.mark.parametrize(("where", "english"), refusals())
def test_every_refusal_is_said_in_russian(where: str, english: str) -> None:
    shown = said("ru", english)
    assert not english_words(shown), f"{where}: {english!r} -> {shown!r}"
    assert said("de", english) != english, f"{where}: not in the German catalogue"


RELAXED = {
    "holds": [{}, {}],
    "mean_index_pct": 12.34,
    "total_creep_mm": 1.2,
    "stiffness_first_n_mm": 30.0,
    "stiffness_last_n_mm": 25.0,
    "stiffness_change_pct": -16.6,
}
EMG = {
    "holds": [{"return_s": 2.0}, {"return_s": None}],
    "baseline_uv": 5.0,
    "threshold_uv": 20.0,
    "mean_hold_uv": 8.2,
    "reduction_pct": 12.0,
    "guarding_episodes": 2,
    "guarding_mean_s": 1.5,
    "guarding_onset_n": [120.0],
    "reliable_share": 0.98,
}


def test_the_relaxation_and_muscle_sentences_are_said_with_their_figures() -> None:
    sentences = [
        *relaxation_lines(RELAXED),
        *relaxation_lines({**RELAXED, "stiffness_change_pct": None, "stiffness_last_n_mm": None}),
        *relaxation_lines({"holds": []}),
        *relaxation_lines(None),
        *emg_lines(EMG),
        *emg_lines({**EMG, "guarding_onset_n": [], "reduction_pct": None}),
        *emg_lines(None),
    ]
    for language in ("ru", "de"):
        shown = [said(language, s) for s in sentences]
        assert all(a != b for a, b in zip(sentences, shown, strict=True)), shown
    russian = [said("ru", s) for s in sentences]
    assert not untranslated(russian), untranslated(russian)
    assert "индекс 12,3 %, ползучесть 1,2 мм, жёсткость 30,0 Н/мм → 25,0 Н/мм (-17 %)" in russian[0]
    assert "впервые при 120 Н" in russian[5] and "Mittel 1,5 s" in said("de", sentences[5])


def test_a_quantity_and_the_parts_of_a_template_are_said() -> None:
    assert said("ru", "5.4 s") == "5,4 с" and said("de", "12.5 mm") == "12,5 mm"
    assert (
        said("ru", "paused by operator Ann: holding the force")
        == "пауза (оператор Ann): сила удерживается"
    )
    assert (
        said("en", "5.4 s") == "5.4 s" and said("ru", "1.0") == "1.0"
    )  # a bare number alone: as is


@pytest.mark.parametrize(
    ("written", "newtons"),
    [
        ("25кгс", 245.17),
        ("25,5 кгс", 250.07),
        ("55фунт-с", 244.65),
        ("240Н", 240.0),
        ("40%МТ", 274.59),
        ("40 % KG", 274.59),
        ("12 фунт", 53.38),
        ("25 кг", 245.17),
    ],
)
def test_a_dose_is_written_with_the_symbols_the_console_shows(written: str, newtons: float) -> None:
    assert parse_dose(written).newtons(70.0) == pytest.approx(newtons, abs=0.01)


def test_german_has_every_word_russian_has() -> None:
    """The Russian test reads for English left; German holds the same ids, so a word found
    missing in Russian and added is added to both."""
    assert set(messages("de")) == set(messages("ru"))
