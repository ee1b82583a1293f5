"""`insurance/services/claims.py` is the only writer of a claim's state and a declaration's
status: the pages, the API, the batch, the HTTP transmit and the demo call its named
transitions (`claim_file`, `declaration_mark_sent`, ...), so a rule about filing is written
once.

How the check finds a write, read from the source with `ast` (no import, no database):

- an assignment (plain, augmented, annotated) to an attribute `.state` whose object's name
  says it is a claim (`claim.state = ...`, `self.claim.state = ...`), or to `.status` whose
  object's name says it is a declaration (`declaration.status = ...`);
- any assignment to `.state` / `.status`, whatever the object's name, of a value that
  names `Claim.State` or `Declaration.Status` (`row.state = Claim.State.FILED`);
- a `.update(...)` call with a `state=` / `status=` keyword whose value names
  `Claim.State` or `Declaration.Status` (a queryset update bypasses the table too);
- `setattr(x, "state" | "status", value)` with such a value.

Creating a row in its first state (`Claim.objects.create(state=Claim.State.TO_FILE)`,
a declaration prepared "to send" or "late" by the batch) is not a transition and is
allowed. Migrations and tests are not read."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWNER = Path("insurance/services/claims.py")
SKIPPED = {".venv", "node_modules", "tests", "migrations", ".git", "static", "media"}

STATE_ENUMS = {("Claim", "State"), ("Declaration", "Status")}


def _names_state_enum(node):
    for sub in ast.walk(node):
        if (
            isinstance(sub, ast.Attribute)
            and isinstance(sub.value, ast.Name)
            and (sub.value.id, sub.attr) in STATE_ENUMS
        ):
            return True
    return False


def _object_name(node):
    """The last name of the object an attribute hangs on: `self.claim` -> "claim"."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_state_target(target, value):
    if not isinstance(target, ast.Attribute) or target.attr not in ("state", "status"):
        return False
    name = _object_name(target.value).lower()
    if target.attr == "state" and "claim" in name:
        return True
    if target.attr == "status" and "declaration" in name:
        return True
    return value is not None and _names_state_enum(value)


def state_writes(source, filename="<source>"):
    """(line, text) of each write of a claim's state or a declaration's status."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets, value = [node.target], node.value
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "update":
                if any(
                    kw.arg in ("state", "status") and _names_state_enum(kw.value)
                    for kw in node.keywords
                ):
                    found.append((node.lineno, ast.unparse(node)))
            elif (
                isinstance(func, ast.Name)
                and func.id == "setattr"
                and len(node.args) == 3
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value in ("state", "status")
                and _names_state_enum(node.args[2])
            ):
                found.append((node.lineno, ast.unparse(node)))
            continue
        else:
            continue
        for target in targets:
            for element in target.elts if isinstance(target, ast.Tuple) else [target]:
                if _is_state_target(element, value):
                    found.append((node.lineno, ast.unparse(node)))
    return found


def _project_files():
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if SKIPPED.intersection(relative.parts):
            continue
        yield relative


def test_only_the_claims_service_writes_a_claims_state_or_a_declarations_status():
    offenders = [
        f"{path}:{line}: {text}"
        for path in _project_files()
        if path != OWNER
        for line, text in state_writes((ROOT / path).read_text(), str(path))
    ]
    assert offenders == [], "\n".join(offenders)


def test_the_owner_is_read_and_holds_the_writes():
    """The check reads the owner and finds its transitions: a check that found nothing
    anywhere would pass for a wrong reason."""
    writes = state_writes((ROOT / OWNER).read_text())
    assert len(writes) >= 7  # filed, acknowledged, indemnified, rejected, closed, sent, failed


def test_the_check_sees_each_kind_of_write():
    source = (
        "claim.state = Claim.State.FILED\n"
        "self.claim.state = 'filed'\n"
        "row.state = Claim.State.CLOSED\n"
        "declaration.status = 'sent'\n"
        "item.status = Declaration.Status.FAILED\n"
        "Claim.objects.filter(pk=1).update(state=Claim.State.FILED)\n"
        "Declaration.objects.update(status=Declaration.Status.SENT)\n"
        "setattr(claim, 'state', Claim.State.FILED)\n"
    )
    assert [line for line, _text in state_writes(source)] == [1, 2, 3, 4, 5, 6, 7, 8]


def test_the_check_leaves_alone_creations_and_other_states():
    source = (
        "Claim.objects.create(state=Claim.State.TO_FILE)\n"
        "Declaration(status=Declaration.Status.LATE)\n"
        "limit.status = CreditLimit.Status.GRANTED\n"
        "case.state = Case.State.INSURER\n"
        "state = Claim.State.FILED\n"
        "Claim.objects.filter(state=Claim.State.TO_FILE)\n"
    )
    assert state_writes(source) == []
