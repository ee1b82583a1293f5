"""The daily insurance job: overdue declarations before their deadline, and claims once the
waiting period has run. Each once: the database refuses a second declaration or a second
claim line for an invoice."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from dunning.models import Case, Pause
from dunning.services.cases import cases_hand_to_insurer
from insurance import rules
from insurance.models import Claim, ClaimInvoice, Declaration, InsurancePolicy
from insurance.selectors import (
    DEADLINE_NEAR_DAYS,
    claimed_invoice_ids,
    declarations_outstanding,
    limits_in_force,
    policy_year_totals,
)
from insurance.selectors.covers import covered_open_covers, terms_of, unpaid_covered
from insurance.tasks import send_claim_task, send_declaration_task
from portage.mail import sender_of
from portage.models import Membership
from portage.money import ZERO
from portage.permissions import Role
from portage.services import audit_record_many


@dataclass
class InsuranceRun:
    declared: int = 0
    late: int = 0
    claims: int = 0
    claimed_invoices: int = 0
    lines: list = field(default_factory=list)

    def summary(self):
        return {
            "declared": self.declared,
            "late_declarations": self.late,
            "claims": self.claims,
            "claimed_invoices": self.claimed_invoices,
            "lines": self.lines[:200],
        }


def declaration_deadline(policy, due_date):
    """The last day to declare an overdue: so many days after the due date, or after the
    end of the maximum extension period, as the policy says."""
    start = due_date
    if policy.declaration_basis == InsurancePolicy.DeclarationBasis.EXTENSION:
        start = due_date + timedelta(days=policy.max_extension_days)
    return start + timedelta(days=policy.declaration_days)


def claim_opens_on(policy, due_date):
    return due_date + timedelta(days=policy.waiting_days)


def run_insurance(*, tenant, today):
    result = InsuranceRun()
    covers = [cover for cover in covered_open_covers(today) if cover.invoice.balance > 0]
    declare(tenant, today, covers, result)
    alert_admins(tenant, today, result)
    open_claims(tenant, today, covers, result)
    send_through_apis(tenant)
    return result


def send_through_apis(tenant):
    """Everything still to send to an insurer that has an API goes out after the commit:
    today's filings, and any an earlier day could not send (the reference makes a resend
    harmless). A declaration is sent only while it is outstanding as the pages count it
    (`declarations_outstanding`): once a claim told the insurer of the invoice, there is
    nothing left to declare."""
    api = {"policy__insurer__connector": "http"}
    to_send = declarations_outstanding().filter(status=Declaration.Status.TO_SEND, **api)
    for pk in to_send.values_list("pk", flat=True):
        send_declaration_task.delay_on_commit(tenant_id=tenant.pk, declaration_pk=pk)
    to_file = Claim.objects.filter(state=Claim.State.TO_FILE, **api)
    for pk in to_file.values_list("pk", flat=True):
        send_claim_task.delay_on_commit(tenant_id=tenant.pk, claim_pk=pk)


ALERT_DAYS = DEADLINE_NEAR_DAYS


def _alert_state(declaration, today):
    """The alert is a French email, like the company's other documents."""
    return "dépassée" if declaration.deadline < today else "à déclarer"


def alert_admins(tenant, today, result):
    """Once per declaration: tells the company's admins by email when an overdue was not
    declared in time, or is still not declared two days before its deadline; those still
    to make as the pages count them (`declarations_outstanding`)."""
    at_risk = list(
        declarations_outstanding()
        .filter(alerted_on__isnull=True, deadline__lte=today + timedelta(ALERT_DAYS))
        .select_related("invoice__client")
        .order_by("deadline")
    )
    if not at_risk:
        return
    Declaration.objects.filter(pk__in=[d.pk for d in at_risk]).update(alerted_on=today)
    admins = list(
        Membership.objects.filter(role=Role.ADMIN, is_active=True).values_list(
            "user__email", flat=True
        )
    )
    lines = [
        f"- {d.invoice.number} ({d.invoice.client}) : échéance de déclaration "
        f"{d.deadline:%d/%m/%Y}, {_alert_state(d, today)}"
        for d in at_risk
    ]
    subject = f"[{tenant.legal_name}] Déclarations de menace de sinistre à risque"
    body = (
        "Bonjour,\n\nLes impayés suivants n'ont pas été déclarés à l'assureur dans le délai "
        "de la police, ou arrivent au terme de ce délai. Passé ce délai, la garantie peut "
        "être perdue.\n\n" + "\n".join(lines) + "\n\nPage des déclarations : "
        f"{settings.SITE_URL}/assurance/declarations/\n"
    )
    result.lines.append(f"{len(at_risk)} declaration(s) at risk: admins alerted")
    if admins:
        transaction.on_commit(
            lambda: send_mail(subject, body, sender_of(tenant), admins, fail_silently=True)
        )


def declare(tenant, today, covers, result):
    """Declares each covered overdue once its deadline comes within the policy's margin: all
    of the day's declarations in one INSERT. Should another run have declared one of them,
    the database refuses the lot and each is tried on its own. An invoice a claim already
    told the insurer of (`CLAIM_TOLD_INSURER`) has no threat left to declare."""
    invoices = [c.invoice for c in covers]
    declared = set(
        Declaration.objects.filter(invoice__in=invoices).values_list("invoice_id", flat=True)
    )
    declared |= claimed_invoice_ids(invoices)
    due = []
    for cover in covers:
        invoice, policy = cover.invoice, cover.policy
        if invoice.pk in declared:
            continue
        deadline = declaration_deadline(policy, invoice.due_date)
        if today < deadline - timedelta(days=policy.declaration_margin_days):
            continue
        due.append(
            Declaration(
                tenant=tenant,
                invoice=invoice,
                policy=policy,
                deadline=deadline,
                prepared_on=today,
                status=Declaration.Status.LATE if today > deadline else Declaration.Status.TO_SEND,
                unpaid_amount=invoice.balance,
            )
        )
    if not due:
        return
    try:
        with transaction.atomic():
            created = Declaration.objects.bulk_create(due)
    except IntegrityError:
        created = [declaration for declaration in due if _create_alone(declaration)]
    for declaration in created:
        if declaration.status == Declaration.Status.LATE:
            result.late += 1
            result.lines.append(
                f"{declaration.invoice.number}: deadline {declaration.deadline} missed"
            )
        else:
            result.declared += 1
            result.lines.append(f"{declaration.invoice.number}: overdue declared")
    audit_record_many(
        tenant=tenant,
        actor=None,
        actor_label=_("Insurance batch"),
        action="insurance.overdue_declared",
        entries=[
            (
                declaration,
                {
                    "invoice": declaration.invoice.number,
                    "deadline": declaration.deadline.isoformat(),
                },
            )
            for declaration in created
        ],
    )


def _create_alone(declaration):
    try:
        with transaction.atomic():
            declaration.save()
    except IntegrityError:
        return False  # another run declared it
    return True


def _disputed(invoices):
    return set(
        Pause.objects.filter(
            case__invoice__in=invoices, kind=Pause.Kind.DISPUTE, ended_on__isnull=True
        ).values_list("case__invoice_id", flat=True)
    )


def open_claims(tenant, today, covers, result):
    """Opens a claim ("to file") for each client's covered invoices whose waiting period
    has run, one per client and policy; filing it with the insurer comes after (by hand,
    or through the insurer's API once the batch commits)."""
    due = [
        cover for cover in covers if today >= claim_opens_on(cover.policy, cover.invoice.due_date)
    ]
    if not due:
        return
    invoices = [cover.invoice for cover in due]
    claimed = set(
        ClaimInvoice.objects.filter(invoice__in=invoices).values_list("invoice_id", flat=True)
    )
    disputed = _disputed(invoices)
    groups = defaultdict(list)
    for cover in due:
        if cover.invoice.pk in claimed or cover.invoice.pk in disputed:
            continue
        groups[(cover.invoice.client_id, cover.policy_id)].append(cover)
    groups = list(groups.values())
    try:
        with transaction.atomic():
            opened = claims_open(tenant, today, groups)
    except IntegrityError:
        # Another run claimed one of these invoices: each client's claim is tried on its own.
        opened = []
        for members in groups:
            try:
                with transaction.atomic():
                    opened += claims_open(tenant, today, [members])
            except IntegrityError:
                continue
    for claim, members in opened:
        result.claims += 1
        result.claimed_invoices += len(members)
        result.lines.append(
            f"{claim.client}: claim for {', '.join(c.invoice.number for c in members)}"
        )


def claims_open(tenant, today, groups):
    """A claim for each group of a client's covered unpaid invoices (one policy), its
    indemnity computed line by line; the invoices leave the dunning ladder (the insurer
    takes over their recovery). Each claim counts in the year's totals of the next ones, as
    `policy_year_totals` counts it once written. The claims, their lines, the cases and the
    audit lines are written in one statement each. Returns (claim, covers) pairs."""
    limits = limits_in_force(
        [(covers[0].invoice.client_id, covers[0].policy_id) for covers in groups], today
    )
    years = {}
    opened = []
    for covers in groups:
        policy = covers[0].policy
        client = covers[0].invoice.client
        lines = [(cover.invoice.number, unpaid_covered(cover.invoice, cover)) for cover in covers]
        limit = limits[(client.pk, policy.pk)]
        if limit is None:
            limit = policy.discretionary_limit
        if policy.pk not in years:
            years[policy.pk] = policy_year_totals(policy, today)
        ytd_deductible, ytd_indemnity = years[policy.pk]
        indemnity = rules.compute_indemnity(
            terms=terms_of(policy),
            lines=lines,
            limit=limit,
            year_to_date_deductible=ytd_deductible,
            year_to_date_indemnity=ytd_indemnity,
        )
        years[policy.pk] = (
            ytd_deductible + indemnity.aggregate_used,
            ytd_indemnity + indemnity.amount,
        )
        claim = Claim(
            tenant=tenant,
            client=client,
            policy=policy,
            state=Claim.State.TO_FILE,
            opened_on=today,
            unpaid_covered=sum((amount for _label, amount in lines), ZERO),
            limit_amount=limit,
            expected_indemnity=indemnity.amount,
            computation=[[label, str(amount)] for label, amount in indemnity.steps],
            aggregate_used=indemnity.aggregate_used,
        )
        opened.append((claim, covers, lines))
    Claim.objects.bulk_create(claim for claim, _covers, _lines in opened)
    ClaimInvoice.objects.bulk_create(
        ClaimInvoice(
            tenant=tenant,
            claim=claim,
            invoice=cover.invoice,
            unpaid_amount=cover.invoice.balance,
            covered_amount=amount,
        )
        for claim, covers, lines in opened
        for cover, (_label, amount) in zip(covers, lines, strict=True)
    )
    cases_hand_to_insurer(
        Case.objects.filter(
            invoice__in=[cover.invoice for _claim, covers, _lines in opened for cover in covers]
        )
    )
    audit_record_many(
        tenant=tenant,
        actor=None,
        actor_label=_("Insurance batch"),
        action="insurance.claim_opened",
        entries=[
            (
                claim,
                {
                    "client": claim.client.legal_name,
                    "invoices": ", ".join(cover.invoice.number for cover in covers),
                    "expected_indemnity": str(claim.expected_indemnity),
                },
            )
            for claim, covers, _lines in opened
        ],
    )
    return [(claim, covers) for claim, covers, _lines in opened]
