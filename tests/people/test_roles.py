"""Who may do what: the one table the console, the commands and the records ask."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controller.people.roles import MAY, ORDER, Role, Task, refusal, role_of

pytestmark = pytest.mark.requirement("SR-058")


@given(st.sampled_from(list(Role)), st.sampled_from(list(Task)))
def test_a_refusal_names_a_role_that_may_and_the_one_that_may_not(role: Role, task: Task) -> None:
    why = refusal("Pat", role, task)
    if role in MAY[task]:
        assert why is None
    else:
        assert why is not None and str(task) in why and f"signed in as {role.value}" in why
        assert any(r.value in why.split(" role;")[0] for r in MAY[task])


def test_the_clinic_s_division_of_work() -> None:
    t, p, s, a = Role.TECHNICIAN, Role.PHYSIOTHERAPIST, Role.SERVICE, Role.ADMINISTRATOR
    assert MAY[Task.TREAT] == {t, p}
    assert MAY[Task.CALIBRATE] == {s}
    assert MAY[Task.PRESCRIBE] == MAY[Task.SIGN] == MAY[Task.REGISTER] == {p}
    assert MAY[Task.ACCOUNTS] == MAY[Task.RESTORE] == {a}
    assert set(MAY) == set(Task)  # every task has its roles; none is open to nobody
    assert all(MAY[task] for task in Task)


def test_a_role_is_named_in_words_and_a_wrong_one_lists_the_four() -> None:
    assert role_of(" Physiotherapist ") is Role.PHYSIOTHERAPIST
    with pytest.raises(ValueError, match=", ".join(r.value for r in ORDER)):
        role_of("doctor")
