"""The daily ladder: which invoice gets which step today, performed once.

`run_ladder(tenant=, today=)` is the whole of the daily job for one tenant. It
1. opens a `Case` for every issued invoice that comes within reach of its policy's first
   step, and closes those whose invoice is paid or credited;
2. claims the cases it will decide for (SELECT ... FOR UPDATE SKIP LOCKED): a second
   worker running the same day for the same tenant skips them, and finds their actions
   already written once the first one commits;
3. for each case: ends the pauses whose time is over, sets the case aside if it is
   paused, disputed, not issued on the e-invoicing platform (not deposited yet, or
   rejected by it), time-barred or under the minimum balance, and otherwise works out the
   steps due today, in order, each after its minimum gap from the previous one; a bank
   credit proposed for the invoice and not yet confirmed holds them all
   (`dunning.selectors.bank_holds`);
4. performs them grouped by client and step (one message or letter per group), writing an
   `Action` per (invoice, step): a unique constraint the database enforces;
5. sends the messages once the transaction has committed (see `dunning.services.mail`).

Everything is a function of `today`, so a day can be replayed, and replaying it changes
nothing that was already done.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from dunning.models import (
    Acknowledgement,
    Action,
    Case,
    ClientSettings,
    Pause,
    Policy,
    Step,
    StepKind,
)
from dunning.selectors import bank_holds, missing_rate_label
from dunning.services import cases as case_states
from einvoicing import selectors as einvoicing
from invoices import amounts
from invoices.models import Invoice
from portage.batch import chunked
from portage.money import ZERO

LIMITATION_YEARS = 5


def add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def earliest_lead(policy_steps):
    """How many days before the due date the first step of any policy may happen."""
    return max([0] + [-step.days_from_due for step in policy_steps])


@dataclass
class Planned:
    """A step to perform for one case today."""

    case: Case
    step: Step
    balance: Decimal
    skipped: list = field(default_factory=list)  # (step, reason) recorded as skipped first


@dataclass
class RunResult:
    cases_opened: int = 0
    cases_closed: int = 0
    steps: int = 0
    skipped: int = 0
    messages: int = 0
    letters: int = 0
    litigation_files: int = 0
    lines: list = field(default_factory=list)
    message_ids: list = field(default_factory=list)
    letters_waiting: int = 0
    rates_missing: set = field(default_factory=set)

    def letter_waits(self, client, invoices, missing):
        """A formal notice not written today: the rates it needs are not in the table."""
        self.letters_waiting += 1
        self.rates_missing.update(missing)
        numbers = ", ".join(invoice.number for invoice in invoices)
        self.lines.append(
            _("%(client)s: formal notice waiting for %(rates)s — %(invoices)s")
            % {
                "client": client,
                "rates": ", ".join(missing_rate_label(rate) for rate in missing),
                "invoices": numbers,
            }
        )

    def summary(self):
        return {
            "cases_opened": self.cases_opened,
            "cases_closed": self.cases_closed,
            "steps": self.steps,
            "skipped": self.skipped,
            "messages": self.messages,
            "letters": self.letters,
            "letters_waiting": self.letters_waiting,
            "rates_missing": [missing_rate_label(rate) for rate in sorted(self.rates_missing)],
            "litigation_files": self.litigation_files,
            "lines": self.lines[:200],
        }


def run_ladder(*, tenant, today, actor=None, client_ids=None):
    """The daily job for one tenant (inside its tenant context and transaction).

    With `client_ids`, only those clients' cases, and the day is taken as prepared: that is
    one chunk of a day fanned out over several workers (see `dunning.jobs`).
    """
    result = RunResult()
    if client_ids is None:
        prepare_day(tenant=tenant, today=today, result=result)
        client_ids = clients_to_follow()
    policies, steps_by_policy = load_ladder()
    # Clients decided together in one pass (their cases locked and their actions written).
    for chunk in chunked(client_ids):
        run_chunk(tenant, today, chunk, policies, steps_by_policy, result, actor)
    return result


def prepare_day(*, tenant, today, result):
    """Opens the cases of the invoices coming within reach and closes the settled ones."""
    from dunning.services.defaults import tenant_defaults_ensure

    tenant_defaults_ensure(tenant)
    _policies, steps_by_policy = load_ladder()
    result.cases_opened = _open_cases(tenant, today, steps_by_policy)
    result.cases_closed = _close_settled_cases()


def load_ladder():
    policies = {policy.pk: policy for policy in Policy.objects.all()}
    steps_by_policy = defaultdict(list)
    for step in Step.objects.order_by("policy_id", "position"):
        steps_by_policy[step.policy_id].append(step)
    return policies, steps_by_policy


def clients_to_follow():
    """The clients with an invoice still on (or paused off) the ladder, in a stable order:
    chunks are whole clients, so that a client's invoices at a step share one message."""
    return list(
        Case.objects.filter(state__in=LIVE_STATES)
        .order_by("client_id")
        .values_list("client_id", flat=True)
        .distinct()
    )


def run_chunk(tenant, today, client_ids, policies, steps_by_policy, result, actor=None):
    """Claims these clients' live cases (skipping those another run holds) and performs the
    steps due today."""
    cases = list(
        Case.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(client_id__in=client_ids, state__in=LIVE_STATES)
        .select_related("invoice", "client", "invoice__consultant__user")
        .order_by("client_id", "id")
    )
    remember_loaded(cases)
    plans = decide(cases, today, policies, steps_by_policy)
    from dunning.services.perform import perform_groups

    perform_groups(tenant, plans, today, result, actor=actor)
    refresh_cases(cases, today, steps_by_policy)


LIVE_STATES = [
    Case.State.ACTIVE,
    Case.State.PAUSED,
    Case.State.DISPUTED,
    Case.State.TIME_BARRED,
    Case.State.BELOW_MINIMUM,
    Case.State.FAILED,
    Case.State.NOT_ISSUED,
]
assert set(LIVE_STATES) == case_states.LIVE


def policy_by_client():
    return dict(
        ClientSettings.objects.filter(policy__isnull=False).values_list("client_id", "policy_id")
    )


def _open_cases(tenant, today, steps_by_policy):
    """A case for each open invoice within reach of its first step and not yet followed."""
    default = Policy.objects.filter(is_default=True).first()
    by_client = policy_by_client()
    lead = max([0] + [earliest_lead(steps) for steps in steps_by_policy.values()])
    invoices = (
        Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE,
            status__in=[Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID],
            due_date__lte=today + timedelta(days=lead),
        )
        .exclude(dunning_cases__isnull=False)
        .values_list("pk", "client_id")
    )
    new = [
        Case(
            tenant=tenant,
            invoice_id=invoice_pk,
            client_id=client_pk,
            policy_id=by_client.get(client_pk, default.pk),
        )
        for invoice_pk, client_pk in invoices
    ]
    created = Case.objects.bulk_create(new, ignore_conflicts=True)
    return len(created)


def _close_settled_cases():
    return case_states.cases_close_settled(
        Case.objects.filter(state__in=LIVE_STATES)
        .alias(owed=amounts.balance("invoice__"))
        .filter(
            Q(invoice__status__in=[Invoice.Status.PAID, Invoice.Status.CREDITED]) | Q(owed__lte=0)
        )
    )


def time_barred_since(invoice, acknowledged_on=None):
    """The day the debt becomes time-barred (Code de commerce L110-4): 5 years after the due
    date, or after the debtor's latest acknowledgement, which restarts the clock."""
    start = max(filter(None, [invoice.due_date, acknowledged_on]))
    return add_years(start, LIMITATION_YEARS)


def decide(cases, today, policies, steps_by_policy):
    """What to do today for each case; updates case states for those set aside."""
    if not cases:
        return []
    case_ids = [case.pk for case in cases]
    actions = defaultdict(list)
    for action in Action.objects.filter(case_id__in=case_ids).order_by("performed_on", "id"):
        actions[action.case_id].append(action)
    pauses = defaultdict(list)
    for pause in Pause.objects.filter(case_id__in=case_ids, ended_on__isnull=True):
        pauses[pause.case_id].append(pause)
    acknowledged = dict(
        Acknowledgement.objects.filter(invoice_id__in=[case.invoice_id for case in cases])
        .order_by("invoice_id", "acknowledged_on")
        .values_list("invoice_id", "acknowledged_on")
    )
    not_issued = einvoicing.not_issued(case.invoice_id for case in cases)
    held = bank_holds(case.invoice_id for case in cases)
    plans = []
    for case in cases:
        policy = policies[case.policy_id]
        case.policy = policy
        invoice = case.invoice
        balance = invoice.balance
        if balance <= ZERO or invoice.status in (Invoice.Status.PAID, Invoice.Status.CREDITED):
            case_states.case_decide(case, Case.State.CLOSED)
            continue
        if invoice.pk in not_issued:
            # Not deposited with the platform yet, or rejected by it: never legally issued.
            case_states.case_decide(case, Case.State.NOT_ISSUED)
            continue
        open_pauses = end_expired_pauses(case, pauses[case.pk], today, balance)
        if open_pauses:
            is_dispute = any(pause.kind == Pause.Kind.DISPUTE for pause in open_pauses)
            case_states.case_decide(case, Case.State.DISPUTED if is_dispute else Case.State.PAUSED)
            continue
        if today >= time_barred_since(invoice, acknowledged.get(invoice.pk)):
            case_states.case_decide(case, Case.State.TIME_BARRED)
            continue
        if balance < policy.minimum_balance:
            case_states.case_decide(case, Case.State.BELOW_MINIMUM)
            continue
        done = actions[case.pk]
        if any(
            action.status == Action.Status.FAILED and is_client_facing(action) for action in done
        ):
            case_states.case_decide(case, Case.State.FAILED)
            continue
        case_states.case_decide(case, Case.State.ACTIVE)
        if invoice.pk in held:
            continue
        plans.extend(steps_due(case, steps_by_policy[policy.pk], done, today, balance))
    return plans


def end_expired_pauses(case, pauses, today, balance):
    """Ends promises and manual pauses whose date has passed, and payment plans with a
    missed instalment; returns the pauses still in force."""
    still = []
    for pause in pauses:
        reason = pause_over(pause, case.invoice, today)
        if reason:
            pause.ended_on = today
            pause.end_reason = reason
            pause.save(update_fields=["ended_on", "end_reason"])
        else:
            still.append(pause)
    return still


def pause_over(pause, invoice, today):
    if pause.kind == Pause.Kind.DISPUTE:
        return ""
    if pause.kind == Pause.Kind.PLAN:
        paid_since = invoice.settled - pause.paid_at_start
        owed = ZERO
        for instalment in sorted(pause.instalments, key=lambda item: item["due"]):
            if instalment["due"] >= today.isoformat():
                break
            owed += Decimal(instalment["amount"])
            if paid_since < owed:
                due = date.fromisoformat(instalment["due"])
                return _("Instalment of %(due)s missed") % {"due": f"{due:%d/%m/%Y}"}
        return ""
    if pause.until and pause.until < today:
        return _("Date passed")
    return ""


def steps_left(steps, done):
    """The steps of the ladder with no action yet, in order."""
    acted = {action.step_id for action in done}
    return [step for step in steps if step.pk not in acted]


def earliest_day(case, step, previous_done_on):
    day = case.invoice.due_date + timedelta(days=step.days_from_due)
    if previous_done_on is not None:
        day = max(day, previous_done_on + timedelta(days=step.min_days_after_previous))
    return day


def last_step_on(done):
    """The day of the last step performed (sent or sending), from which gaps count."""
    days = [action.performed_on for action in done if action.status != Action.Status.SKIPPED]
    return max(days) if days else None


def is_client_facing(action):
    return action.kind != StepKind.CONSULTANT_REMINDER


def blocked(done, today):
    """A client message of an earlier day still waiting to leave holds the next steps: the
    ladder never goes on as if it had been sent."""
    return any(
        action.status == Action.Status.PENDING
        and action.performed_on < today
        and is_client_facing(action)
        for action in done
    )


def steps_due(case, steps, done, today, balance, *, now=False):
    """The steps to perform today for a case, in order, each after its minimum gap from the
    previous one. With `now`, the next step is due whatever its date (a collector's "send
    the next step now")."""
    if blocked(done, today):
        return []
    remaining = steps_left(steps, done)
    if not remaining:
        return []
    previous_on = last_step_on(done)
    skipped = []
    if case.policy.catch_up and not now:
        reachable = [
            step
            for step in remaining
            if case.invoice.due_date + timedelta(days=step.days_from_due) <= today
        ]
        if len(reachable) > 1:
            late = (today - case.invoice.due_date).days
            reason = _("Caught up: the invoice was already %(days)s days late") % {"days": late}
            # Steps of the same day as the last one within reach are due, not overtaken.
            last_day = reachable[-1].days_from_due
            overtaken = [step for step in reachable if step.days_from_due < last_day]
            skipped = [(step, reason) for step in overtaken]
            remaining = remaining[len(skipped) :]
    plans = []
    for step in remaining:
        if not now and earliest_day(case, step, previous_on) > today:
            break
        plans.append(Planned(case=case, step=step, balance=balance, skipped=skipped))
        skipped = []
        previous_on = today
        if now:
            break
    if skipped:  # caught up, but the step reached waits for its gap: record the skips now
        plans.append(Planned(case=case, step=None, balance=balance, skipped=skipped))
    return plans


TRACKED = ["state", "last_step", "last_step_on", "next_step", "next_step_on"]


def _tracked(case):
    return (
        case.state,
        case.last_step_id,
        case.last_step_on,
        case.next_step_id,
        case.next_step_on,
    )


def remember_loaded(cases):
    """Notes each case's stored values, so that only the changed ones are written back."""
    for case in cases:
        case.loaded = _tracked(case)
    return cases


def refresh_cases(cases, today, steps_by_policy):
    """Stores each case's last and next step, for the worklist and the portal."""
    if not cases:
        return
    actions = defaultdict(list)
    for action in Action.objects.filter(case_id__in=[case.pk for case in cases]).order_by(
        "performed_on", "id"
    ):
        actions[action.case_id].append(action)
    changed = []
    for case in cases:
        done = actions[case.pk]
        performed = [action for action in done if action.status != Action.Status.SKIPPED]
        last = performed[-1] if performed else None
        case.last_step_id = last.step_id if last else None
        case.last_step_on = last.performed_on if last else None
        if any(action.litigation_id for action in done):
            case_states.case_to_litigation(case)
        remaining = steps_left(steps_by_policy[case.policy_id], done)
        live = case.state in LIVE_STATES
        case.next_step = remaining[0] if remaining and live else None
        case.next_step_on = (
            earliest_day(case, remaining[0], last_step_on(done))
            if remaining and case.state == Case.State.ACTIVE
            else None
        )
        if _tracked(case) != getattr(case, "loaded", None):
            changed.append(case)
    store_cases(changed)


# One UPDATE for all the changed cases, their values passed as arrays: `bulk_update` builds
# a CASE WHEN per row and field, whose construction alone took seconds for a thousand cases.
STORE_CASES = """
UPDATE dunning_case AS c SET
    state = v.state, last_step_id = v.last_step_id, last_step_on = v.last_step_on,
    next_step_id = v.next_step_id, next_step_on = v.next_step_on, updated_at = now()
FROM unnest(%s::bigint[], %s::text[], %s::bigint[], %s::date[], %s::bigint[], %s::date[])
    AS v(id, state, last_step_id, last_step_on, next_step_id, next_step_on)
WHERE c.id = v.id
"""


def store_cases(cases):
    """Writes the cases' tracked fields (row-level security applies, as to any query)."""
    if not cases:
        return
    rows = [(case.pk, *_tracked(case)) for case in cases]
    columns = [list(column) for column in zip(*rows, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(STORE_CASES, columns)


def refresh_case(case, today):
    """Re-reads one case after a collector's action (pause, resume, payment) without
    performing any step: its state, and its next step and date."""
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("invoice", "policy")
        .get(pk=case.pk)
    )
    steps = {case.policy_id: list(case.policy.steps.order_by("position"))}
    if case.state in LIVE_STATES:
        policies = {case.policy_id: case.policy}
        decide([case], today, policies, steps)
    refresh_cases([case], today, steps)
    return case
