"""A dunning case's state has one owner: `dunning/services/cases.py` and its transition table."""

import ast
from datetime import date, timedelta
from pathlib import Path

import pytest

from dunning.models import Case
from dunning.services import cases as case_states
from dunning.services.ladder import run_ladder
from tests.factories import make_invoice

ROOT = Path(__file__).resolve().parents[2]
OWNER = Path("dunning/services/cases.py")
SKIPPED_DIRS = {"tests", "migrations", ".venv", "node_modules", ".git"}
STATE_WRITES = {"update", "create", "get_or_create", "update_or_create"}


def _root_name(node):
    """The name a chain like `Case.objects.filter(...).update` or `plan.case` starts from."""
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _is_case(node):
    """Whether an expression names a dunning case or cases: the model `Case`, or a variable
    or attribute whose own name says case (`case`, `cases`, `plan.case`, `live_cases[0]`).
    Claims, submissions, reports and files are never called so in this code."""
    while isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Attribute):
        return "case" in node.attr.lower()
    if isinstance(node, ast.Name):
        return node.id == "Case" or "case" in node.id.lower()
    return False


def case_state_writes(source):
    """The lines of `source` that write a case's state.

    Method: an AST walk finds
    - an assignment `X.state = ...` (plain, augmented, annotated, or `setattr(X, "state", ...)`)
      where X names a case by `_is_case`;
    - a call `.update(state=...)` / `.create(state=...)` (and get/update_or_create) whose chain
      starts from `Case` or from a variable named for cases (`Case.objects.filter(...)`,
      `cases.update(...)`);
    - a constructor `Case(state=...)` and a `bulk_update(..., ["state", ...])` on cases.
    Other models with a `state` (claims, submissions, reports, litigation files) are not
    named for cases, so they are left alone; the `test_detector_*` tests below show each form
    is caught and that a claim's state is not."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            for leaf in ast.walk(target):
                is_state = isinstance(leaf, ast.Attribute) and leaf.attr == "state"
                if is_state and _is_case(leaf.value):
                    lines.append(node.lineno)
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        keywords = {keyword.arg for keyword in node.keywords}
        if isinstance(func, ast.Name) and func.id == "setattr" and len(node.args) >= 2:
            name = node.args[1]
            if isinstance(name, ast.Constant) and name.value == "state" and _is_case(node.args[0]):
                lines.append(node.lineno)
        if isinstance(func, ast.Name) and func.id == "Case" and "state" in keywords:
            lines.append(node.lineno)
        if not isinstance(func, ast.Attribute):
            continue
        root = _root_name(func.value)
        on_cases = root == "Case" or "case" in root.lower()
        if func.attr in STATE_WRITES and "state" in keywords and on_cases:
            lines.append(node.lineno)
        if func.attr == "bulk_update" and on_cases:
            fields = node.args[1] if len(node.args) > 1 else ast.Constant(None)
            for keyword in node.keywords:
                if keyword.arg == "fields":
                    fields = keyword.value
            names = [leaf.value for leaf in ast.walk(fields) if isinstance(leaf, ast.Constant)]
            if "state" in names:
                lines.append(node.lineno)
    return sorted(set(lines))


def project_files():
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if not SKIPPED_DIRS.intersection(relative.parts):
            yield relative


def test_only_the_cases_module_writes_a_case_state():
    offenders = {
        str(relative): lines
        for relative in project_files()
        if relative != OWNER
        and (lines := case_state_writes((ROOT / relative).read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_cases_module_does_write_it():
    # The walk sees the owner's own writes: a detector that found nothing anywhere would pass.
    assert case_state_writes((ROOT / OWNER).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "source",
    [
        "case.state = Case.State.CLOSED",
        "plan.case.state = 'litigation'",
        "live_cases[0].state = 'active'",
        "setattr(case, 'state', 'paused')",
        "Case.objects.filter(pk=1).update(state='insurer')",
        "cases.update(state='litigation', next_step=None)",
        "Case(invoice=invoice, state='active')",
        "Case.objects.bulk_update(cases, ['state'])",
    ],
)
def test_detector_finds_a_case_state_write(source):
    assert case_state_writes(source) == [1]


@pytest.mark.parametrize(
    "source",
    [
        "claim.state = Claim.State.FILED",
        "submission.state = 'sent'",
        "Claim.objects.filter(pk=1).update(state='filed')",
        "file.state = state",
        "Case.objects.filter(state='active').count()",
    ],
)
def test_detector_leaves_other_states_alone(source):
    assert case_state_writes(source) == []


def test_the_table_allows_the_ladder_moves_and_keeps_closed_cases_closed():
    State = Case.State
    for live in case_states.LIVE:
        assert case_states.LIVE | {State.CLOSED, State.LITIGATION, State.INSURER} <= {
            *case_states.next_states(live),
            live,
        }
    assert case_states.next_states(State.CLOSED) == set()
    assert not case_states.may_move(State.CLOSED, State.ACTIVE)
    assert not case_states.may_move(State.INSURER, State.FAILED)
    case = Case(state=State.CLOSED)
    with pytest.raises(ValueError):
        case_states.case_decide(case, State.ACTIVE)
    assert case.state == State.CLOSED


def test_a_failed_message_leaves_a_case_with_the_insurer_off_the_ladder(tenant_a, in_tenant):
    # The mail queue used to set FAILED on every case of a failed message, whatever its
    # state: a case handed to the insurer meanwhile came back among the live cases, and the
    # ladder dunned a client the insurer was now pursuing.
    issued = date(2026, 3, 2)
    invoice = make_invoice(tenant_a, issued_on=issued)
    with in_tenant(tenant_a):
        run_ladder(tenant=tenant_a, today=issued + timedelta(days=31))
        cases = Case.objects.filter(invoice=invoice)
        assert case_states.cases_hand_to_insurer(cases) == 1
        assert case_states.cases_send_failed(cases) == 0
        assert Case.objects.get(invoice=invoice).state == Case.State.INSURER
