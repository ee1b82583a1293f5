"""The collections ladder (relances): policies and their steps, one case per overdue
invoice, the actions the daily batch performed, messages, letters, pauses, contact logs
and litigation files.

Exactly once per (invoice, step): an `Action` row is unique on both, and the batch claims
the invoice's `Case` row (FOR UPDATE SKIP LOCKED) before it decides anything.
"""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultants.models import Consultant
from invoices.models import Client, Invoice
from portage.models import TenantOwned, User


class StepKind(models.TextChoices):
    CONSULTANT_REMINDER = "consultant_reminder", _("Consultant's reminder")
    FIRST_REMINDER = "first_reminder", _("First reminder")
    SECOND_REMINDER = "second_reminder", _("Second reminder")
    FORMAL_NOTICE = "formal_notice", _("Formal notice")
    LITIGATION = "litigation", _("Litigation")


class Channel(models.TextChoices):
    CLIENT_EMAIL = "client_email", _("Email to the client")
    CONSULTANT_EMAIL = "consultant_email", _("Task and email to the consultant")
    LETTER = "letter", _("Letter (PDF, registered post) with an email copy")
    LITIGATION_FILE = "litigation_file", _("Litigation file")


class Policy(TenantOwned):
    """A dunning policy: the ladder of steps an overdue invoice climbs."""

    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(
        _("default policy"),
        default=False,
        help_text=_("Applies to every client that has no policy of its own."),
    )
    minimum_balance = models.DecimalField(
        _("minimum balance"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("10.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Under this unpaid amount (incl. VAT), an invoice leaves the ladder."),
    )
    group_invoices = models.BooleanField(
        _("group a client's invoices"),
        default=True,
        help_text=_("One message or letter per client and step, listing all its invoices."),
    )
    catch_up = models.BooleanField(
        _("catch up on missed steps"),
        default=False,
        help_text=_(
            "When an invoice is first seen already late, go straight to the step its age "
            "calls for and record the earlier ones as skipped. Otherwise every step is "
            "performed in turn, after its minimum gap."
        ),
    )
    notice_deadline_days = models.PositiveSmallIntegerField(
        _("deadline given by the formal notice (days)"), default=8
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("dunning policy")
        verbose_name_plural = _("dunning policies")
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="dunning_policy_name_once"),
            models.UniqueConstraint(
                fields=["tenant"], condition=Q(is_default=True), name="dunning_one_default_policy"
            ),
        ]

    def __str__(self):
        return self.name


class Step(TenantOwned):
    """One rung of a policy's ladder, with its templates in French and English.

    Placeholders in subjects and bodies: {client}, {invoices} (a table of the invoices),
    {total} (balance claimed), {penalties}, {indemnities}, {total_claimed}, {deadline},
    {company}, {consultant}, {iban}.
    """

    policy = models.ForeignKey(
        Policy, on_delete=models.CASCADE, related_name="steps", verbose_name=_("policy")
    )
    position = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("kind"), max_length=30, choices=StepKind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    days_from_due = models.SmallIntegerField(
        _("days after the due date"),
        help_text=_("Negative for a step before the due date, e.g. -3."),
    )
    min_days_after_previous = models.PositiveSmallIntegerField(
        _("minimum days after the previous step"), default=0
    )
    subject_fr = models.CharField(_("subject (French)"), max_length=200, blank=True)
    body_fr = models.TextField(_("body (French)"), blank=True)
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    body_en = models.TextField(_("body (English)"), blank=True)

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "policy", "position"], name="dunning_step_position_once"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.due_offset_label})"

    @property
    def due_offset_label(self):
        days = self.days_from_due
        return f"J{'+' if days >= 0 else '−'}{abs(days)}"

    def subject(self, language):
        return self.subject_en if language == "en" and self.subject_en else self.subject_fr

    def body(self, language):
        return self.body_en if language == "en" and self.body_en else self.body_fr


class ClientSettings(TenantOwned):
    """How a client is dunned: its policy (else the default one) and its language."""

    class Language(models.TextChoices):
        FRENCH = "fr", _("French")
        ENGLISH = "en", _("English")

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="dunning_settings", verbose_name=_("client")
    )
    policy = models.ForeignKey(
        Policy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="client_settings",
        verbose_name=_("dunning policy"),
        help_text=_("Empty: the company's default policy."),
    )
    language = models.CharField(
        _("language of messages"), max_length=2, choices=Language.choices, default="fr"
    )

    class Meta:
        verbose_name = _("client dunning settings")
        verbose_name_plural = _("client dunning settings")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "client"], name="dunning_client_settings_once"
            )
        ]


class Case(TenantOwned):
    """An invoice's place on the ladder. Created by the batch when the invoice comes near its
    due date; the row the batch locks so that two runs never decide for the same invoice."""

    class State(models.TextChoices):
        ACTIVE = "active", _("On the ladder")
        PAUSED = "paused", _("Paused")
        DISPUTED = "disputed", _("Disputed")
        LITIGATION = "litigation", _("In litigation")
        TIME_BARRED = "time_barred", _("Time-barred")
        BELOW_MINIMUM = "below_minimum", _("Balance under the minimum")
        FAILED = "failed", _("Sending failed")
        CLOSED = "closed", _("Closed (paid or credited)")
        INSURER = "insurer", _("With the insurer")
        NOT_ISSUED = "not_issued", _("Not issued on the e-invoicing platform")

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="dunning_cases", verbose_name=_("invoice")
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="dunning_cases", verbose_name=_("client")
    )
    policy = models.ForeignKey(
        Policy, on_delete=models.PROTECT, related_name="cases", verbose_name=_("policy")
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.ACTIVE)
    last_step = models.ForeignKey(
        Step, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_step_on = models.DateField(_("last step on"), null=True, blank=True)
    next_step = models.ForeignKey(
        Step, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    next_step_on = models.DateField(_("next step on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dunning case")
        verbose_name_plural = _("dunning cases")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "invoice"], name="dunning_case_once"),
        ]
        indexes = [
            models.Index(fields=["tenant", "state", "next_step_on"], name="dunning_case_next"),
            models.Index(fields=["tenant", "client"], name="dunning_case_client"),
        ]

    def __str__(self):
        return str(self.invoice)


class Message(TenantOwned):
    """An email the platform sent or will send: the outbox and the archive at once."""

    class Status(models.TextChoices):
        # The email copy of a formal notice waits for the letter's PDF, its attachment:
        # released to the outbox (queued) once the PDF is drawn, never sent without it.
        HELD = "held", _("Waiting for the letter's PDF")
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="dunning_messages", verbose_name=_("client")
    )
    consultant = models.ForeignKey(
        Consultant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("step"), max_length=30, choices=StepKind.choices)
    step_day = models.DateField(
        _("day of the step"), null=True, blank=True, help_text="The batch day it belongs to."
    )
    from_email = models.CharField(_("from"), max_length=254)
    to = models.JSONField(_("to"), default=list)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    attachments = models.JSONField(
        _("attachments"), default=list, blank=True, help_text="[{'letter': pk, 'name': str}]"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "status", "next_attempt_at"], name="dunning_outbox"),
            models.Index(fields=["tenant", "client", "created_at"], name="dunning_message_client"),
        ]

    def __str__(self):
        return self.subject


class Letter(TenantOwned):
    """A formal notice (mise en demeure): the figures it states, fixed on its date, its PDF
    drawn from them after the batch commits, and its posting."""

    class PdfState(models.TextChoices):
        PENDING = "pending", _("PDF being drawn")
        READY = "ready", _("PDF ready")
        FAILED = "failed", _("PDF could not be drawn")

    class Posting(models.TextChoices):
        TO_POST = "to_post", _("To post by registered mail")
        POSTED = "posted", _("Posted")
        REPLACED = "replaced", _("Replaced by a new letter")
        WITHDRAWN = "withdrawn", _("Withdrawn: nothing left to claim")

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="dunning_letters", verbose_name=_("client")
    )
    letter_date = models.DateField(_("date"))
    deadline = models.DateField(_("final deadline"))
    lines = models.JSONField(_("invoices"), default=list)
    balance = models.DecimalField(_("unpaid balance"), max_digits=12, decimal_places=2)
    penalties = models.DecimalField(_("late penalties"), max_digits=12, decimal_places=2)
    indemnities = models.DecimalField(_("recovery indemnities"), max_digits=12, decimal_places=2)
    total_claimed = models.DecimalField(_("total claimed"), max_digits=12, decimal_places=2)
    pdf = models.FileField(_("PDF"), upload_to="dunning/letters/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_state = models.CharField(
        _("PDF"), max_length=10, choices=PdfState.choices, default=PdfState.PENDING
    )
    pdf_attempts = models.PositiveSmallIntegerField(_("attempts to draw the PDF"), default=0)
    pdf_error = models.TextField(_("why the PDF could not be drawn"), blank=True)
    pdf_attempted_at = models.DateTimeField(_("PDF last attempted"), null=True, blank=True)
    posting = models.CharField(
        _("posting"), max_length=10, choices=Posting.choices, default=Posting.TO_POST
    )
    posting_reference = models.CharField(_("registered mail number"), max_length=60, blank=True)
    posted_on = models.DateField(_("posted on"), null=True, blank=True)
    posted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    replaces = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replacements",
        verbose_name=_("replaces"),
        help_text=_("The letter left unposted past its deadline that this one replaces."),
    )
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("formal notice")
        verbose_name_plural = _("formal notices")
        ordering = ["-letter_date", "-id"]
        indexes = [
            models.Index(fields=["tenant", "posting"], name="dunning_letter_posting"),
            models.Index(
                fields=["pdf_state", "created_at"],
                condition=~Q(pdf_state="ready"),
                name="dunning_letter_pdf_to_draw",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "replaces"], name="dunning_letter_replaced_once"
            ),
            models.CheckConstraint(
                condition=~Q(pdf_state="ready") | ~Q(pdf=""),
                name="dunning_letter_ready_has_its_pdf",
            ),
            models.CheckConstraint(
                condition=~Q(posting="posted") | Q(pdf_state="ready"),
                name="dunning_letter_posted_with_its_pdf",
            ),
        ]

    def __str__(self):
        return f"{self.client} {self.letter_date:%d/%m/%Y}"


class LitigationFile(TenantOwned):
    """A client's overdue invoices handed to a collector, an agency or a lawyer."""

    class State(models.TextChoices):
        OPENED = "opened", _("Opened")
        ORDER_REQUESTED = "order_requested", _("Injonction de payer requested")
        ORDER_OBTAINED = "order_obtained", _("Order obtained")
        ENFORCEMENT = "enforcement", _("Enforcement")
        SETTLED = "settled", _("Settled")
        LOST = "lost", _("Closed as lost")

    class AssigneeKind(models.TextChoices):
        COLLECTOR = "collector", _("Collector")
        AGENCY = "agency", _("Collection agency")
        LAWYER = "lawyer", _("Lawyer")

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="litigation_files", verbose_name=_("client")
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.OPENED)
    assignee_kind = models.CharField(
        _("handled by"), max_length=10, choices=AssigneeKind.choices, default="collector"
    )
    assignee = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("collector"),
    )
    assignee_name = models.CharField(_("agency or lawyer"), max_length=200, blank=True)
    invoice_pks = models.JSONField(_("invoices"), default=list)
    amount = models.DecimalField(_("amount at opening"), max_digits=12, decimal_places=2)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("litigation file")
        verbose_name_plural = _("litigation files")
        ordering = ["-opened_on", "-id"]

    def __str__(self):
        return f"{self.client} {self.opened_on:%d/%m/%Y}"

    @property
    def is_open(self):
        return self.state not in (self.State.SETTLED, self.State.LOST)


class LitigationDocument(TenantOwned):
    litigation = models.ForeignKey(
        LitigationFile, on_delete=models.PROTECT, related_name="documents"
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="dunning/litigation/")
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("litigation document")
        verbose_name_plural = _("litigation documents")
        ordering = ["-uploaded_at"]


class Action(TenantOwned):
    """What the ladder did for one invoice at one step: done, skipped (with the reason), or
    waiting for its message to leave. Unique per (invoice, step): the database's word that
    a step happens once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Sending")
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Sending failed")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="actions")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(_("step"), max_length=30, choices=StepKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    performed_on = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    balance = models.DecimalField(_("balance"), max_digits=12, decimal_places=2)
    message = models.ForeignKey(
        Message, on_delete=models.PROTECT, null=True, blank=True, related_name="actions"
    )
    letter = models.ForeignKey(
        Letter, on_delete=models.PROTECT, null=True, blank=True, related_name="actions"
    )
    litigation = models.ForeignKey(
        LitigationFile, on_delete=models.PROTECT, null=True, blank=True, related_name="actions"
    )
    performed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(_("consultant's follow-up logged"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("dunning action")
        verbose_name_plural = _("dunning actions")
        ordering = ["performed_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "invoice", "step"], name="dunning_action_once_per_step"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "performed_on"], name="dunning_action_day")]

    def __str__(self):
        return _("%(step)s of %(invoice)s") % {
            "step": self.get_kind_display(),
            "invoice": self.invoice.number,
        }


class Pause(TenantOwned):
    """Takes an invoice off the ladder: a dispute (until resolved), a promise to pay (until
    its date), a payment plan (while instalments are met) or a manual pause (until a date)."""

    class Kind(models.TextChoices):
        DISPUTE = "dispute", _("Dispute")
        PROMISE = "promise", _("Promise to pay")
        PLAN = "plan", _("Payment plan")
        MANUAL = "manual", _("Manual pause")
        SUSPENDED = "suspended", _("Suspended by the buyer")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="pauses")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    starts_on = models.DateField(_("from"))
    until = models.DateField(_("until"), null=True, blank=True)
    instalments = models.JSONField(
        _("instalments"), default=list, blank=True, help_text="[{'due': 'YYYY-MM-DD', 'amount'}]"
    )
    paid_at_start = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("pause")
        verbose_name_plural = _("pauses")
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["tenant", "case", "ended_on"], name="dunning_pause_open")]

    def __str__(self):
        return _("%(kind)s on %(invoice)s") % {
            "kind": self.get_kind_display(),
            "invoice": self.case.invoice.number,
        }


class ContactLog(TenantOwned):
    """A call, an email or a promise logged by a consultant or a collector."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        EMAIL = "email", _("Email")
        PROMISE = "promise", _("Promise to pay")
        NOTE = "note", _("Note")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="contact_logs")
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("what was done"), max_length=10, choices=Kind.choices)
    happened_on = models.DateField(_("date"))
    promise_date = models.DateField(_("promised payment date"), null=True, blank=True)
    text = models.TextField(_("notes"), blank=True)
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    by_consultant = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-happened_on", "-id"]


class Acknowledgement(TenantOwned):
    """The debtor acknowledged the debt (Code civil 2240): the 5-year limitation restarts."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    acknowledged_on = models.DateField(_("acknowledged on"))
    evidence = models.CharField(_("evidence"), max_length=300)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("acknowledgement of debt")
        verbose_name_plural = _("acknowledgements of debt")
        ordering = ["-acknowledged_on"]


class RateSemester(TenantOwned):
    """The reference rates of a half-year, maintained by the company's admin: the ECB main
    refinancing rate on 1 January or 1 July, and the legal interest rate for professionals.
    Either may be empty while it is not published: what needs it then waits (see
    `dunning.penalties.RatesMissing`)."""

    year = models.PositiveSmallIntegerField(_("year"))
    half = models.PositiveSmallIntegerField(
        _("half-year"), choices=[(1, _("1 January")), (2, _("1 July"))]
    )
    ecb_rate = models.DecimalField(
        _("ECB main refinancing rate (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    legal_rate = models.DecimalField(
        _("legal interest rate for professionals (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("reference rates")
        verbose_name_plural = _("reference rates")
        ordering = ["-year", "-half"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "year", "half"], name="dunning_rate_once"),
            models.CheckConstraint(condition=Q(half__in=[1, 2]), name="dunning_rate_half"),
            models.CheckConstraint(
                condition=Q(ecb_rate__isnull=False) | Q(legal_rate__isnull=False),
                name="dunning_rate_one_known",
            ),
            models.CheckConstraint(
                condition=Q(legal_rate__isnull=True) | Q(legal_rate__gte=0),
                name="dunning_rate_legal_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.year} S{self.half}"
