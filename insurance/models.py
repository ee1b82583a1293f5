"""Credit insurance (assurance-crédit): insurers and their policies, credit limits
(agréments) with their history, each invoice's cover decided at issue, overdue
declarations, claims with their computation, turnover declarations, blank tests.

Every amount the rules use is a policy term, not a constant (see `insurance.rules`).
"""

from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from insurance.defaults import DEFAULT_EXCLUDED_CATEGORIES
from invoices.models import Client, Invoice
from portage.models import TenantOwned, User

ZERO = Decimal("0")
HUNDRED = Decimal("100")


def money(verbose_name, **kwargs):
    kwargs.setdefault("max_digits", 14)
    kwargs.setdefault("decimal_places", 2)
    return models.DecimalField(verbose_name, **kwargs)


# The bounds of a policy's terms, with the words the page and the API show next to the field
# (see `bound_messages`). The database backs each with a check constraint.
AMOUNT_NOT_NEGATIVE = MinValueValidator(ZERO, message=_("This amount cannot be negative."))
DAYS_NOT_NEGATIVE = MinValueValidator(0, message=_("A number of days cannot be negative."))
PERCENT_MESSAGE = _("Give a percentage between 0 and 100.")
PERCENT_MIN = MinValueValidator(ZERO, message=PERCENT_MESSAGE)
PERCENT_MAX = MaxValueValidator(HUNDRED, message=PERCENT_MESSAGE)
TERM_BOUNDS = (AMOUNT_NOT_NEGATIVE, DAYS_NOT_NEGATIVE, PERCENT_MIN, PERCENT_MAX)


def bound_messages(field):
    """{"min_value": ..., "max_value": ...}: the messages of a term's bounds, by the codes
    Django's form fields and DRF's serializer fields give their own, so that both say what
    the model says."""
    return {bound.code: bound.message for bound in field.validators if bound in TERM_BOUNDS}


def percent(verbose_name, **kwargs):
    return models.DecimalField(
        verbose_name,
        max_digits=6,
        decimal_places=3,
        validators=[PERCENT_MIN, PERCENT_MAX],
        **kwargs,
    )


def term_amount(verbose_name, **kwargs):
    """An amount of a policy's terms: never negative."""
    return money(verbose_name, validators=[AMOUNT_NOT_NEGATIVE], **kwargs)


def term_days(verbose_name, **kwargs):
    """A number of days of a policy's terms: never negative."""
    return models.PositiveSmallIntegerField(verbose_name, validators=[DAYS_NOT_NEGATIVE], **kwargs)


class Insurer(TenantOwned):
    """A credit insurer the company deals with (Coface, Allianz Trade, Atradius, ...)."""

    class Connector(models.TextChoices):
        MANUAL = "manual", _("Manual: documents for the insurer's web portal")
        HTTP = "http", _("Insurer's API (JSON over HTTPS)")

    name = models.CharField(_("name"), max_length=100)
    connector = models.CharField(
        _("connector"), max_length=10, choices=Connector.choices, default=Connector.MANUAL
    )
    api_base_url = models.URLField(_("API address"), blank=True)
    api_key = models.CharField(_("API key"), max_length=200, blank=True)
    api_secret = models.CharField(
        _("API signing secret"),
        max_length=200,
        blank=True,
        help_text=_("Given by the insurer; requests are signed with it (HMAC-SHA256)."),
    )
    contact_name = models.CharField(_("contact"), max_length=100, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("insurer")
        verbose_name_plural = _("insurers")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="insurer_name_once"),
        ]

    def __str__(self):
        return self.name


def default_excluded_categories():
    return list(DEFAULT_EXCLUDED_CATEGORIES)


# The terms of a policy that are numbers, by kind: each is checked on the page, in the API
# and by the database.
AMOUNT_TERMS = (
    "flat_premium",
    "turnover_ceiling",
    "deposit",
    "minimum_premium",
    "deductible_per_claim",
    "annual_aggregate_deductible",
    "claim_threshold",
    "annual_max_indemnity",
    "discretionary_limit",
)
DAYS_TERMS = (
    "waiting_days",
    "declaration_days",
    "max_extension_days",
    "declaration_margin_days",
    "max_credit_days",
    "notice_days",
)
PERCENT_TERMS = ("premium_rate", "covered_share")


class InsurancePolicy(TenantOwned):
    """A credit insurance contract and its terms. One is in force on a given day."""

    class PremiumModel(models.TextChoices):
        FLAT = "flat", _("Flat annual premium for turnover up to a ceiling")
        TURNOVER = "turnover", _("Rate on declared insurable turnover, with a deposit")

    class DeclarationBasis(models.TextChoices):
        DUE_DATE = "due_date", _("Days after the due date")
        EXTENSION = "extension", _("Days after the maximum extension period")

    class Period(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")

    insurer = models.ForeignKey(
        Insurer, on_delete=models.PROTECT, related_name="policies", verbose_name=_("insurer")
    )
    number = models.CharField(_("policy number"), max_length=50)
    starts_on = models.DateField(_("start"))
    ends_on = models.DateField(_("end"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    premium_model = models.CharField(
        _("premium model"),
        max_length=10,
        choices=PremiumModel.choices,
        default=PremiumModel.TURNOVER,
        help_text=_(
            "Flat: a fixed premium for the year, for an insurable turnover up to a ceiling. "
            "Turnover: a rate on the turnover declared each period, a deposit paid up front "
            "and a regularisation at the end of the year."
        ),
    )
    premium_rate = percent(
        _("premium rate (%)"),
        default=Decimal("0.250"),
        help_text=_("Applied to the insurable turnover (excl. VAT) declared for each period."),
    )
    flat_premium = term_amount(_("flat annual premium"), default=ZERO)
    turnover_ceiling = term_amount(
        _("turnover ceiling"), default=ZERO, help_text=_("For a flat premium: turnover covered.")
    )
    deposit = term_amount(_("premium deposit"), default=ZERO)
    minimum_premium = term_amount(
        _("minimum premium"), default=ZERO, help_text=_("The premium is never below this.")
    )
    declaration_period = models.CharField(
        _("turnover declared"), max_length=10, choices=Period.choices, default=Period.QUARTERLY
    )
    covered_share = percent(
        _("covered share (%)"),
        default=Decimal("90"),
        help_text=_("Quotité garantie: the share of a covered loss the insurer pays."),
    )
    deductible_per_claim = term_amount(
        _("deductible per claim"),
        default=ZERO,
        help_text=_("Franchise: deducted from each claim's indemnity."),
    )
    annual_aggregate_deductible = term_amount(
        _("annual aggregate deductible"),
        null=True,
        blank=True,
        help_text=_(
            "Losses the company bears over each insurance year before the insurer pays. Optional."
        ),
    )
    waiting_days = term_days(
        _("waiting period (days after the due date)"),
        default=150,
        help_text=_(
            "Délai de carence: a claim can be filed once this many days have passed since "
            "the due date and the invoice is still unpaid."
        ),
    )
    declaration_basis = models.CharField(
        _("overdue to declare"),
        max_length=10,
        choices=DeclarationBasis.choices,
        default=DeclarationBasis.DUE_DATE,
    )
    declaration_days = term_days(
        _("days to declare an overdue"),
        default=60,
        help_text=_(
            "Déclaration de menace de sinistre: the deadline, counted from the due date or "
            "from the end of the maximum extension period, as the policy says (e.g. 15 days "
            "at one insurer, extension period + 30 days at another). Missing it loses the cover."
        ),
    )
    max_extension_days = term_days(
        _("maximum extension period (days)"),
        default=60,
        help_text=_(
            "Prorogation d'échéance: how long the due date may be extended without declaring."
        ),
    )
    declaration_margin_days = term_days(_("declare this many days before the deadline"), default=5)
    max_credit_days = term_days(
        _("maximum credit period (days)"),
        default=60,
        help_text=_("An invoice payable later than this after its date is not covered."),
    )
    claim_threshold = term_amount(
        _("claim threshold"),
        default=ZERO,
        help_text=_("Seuil d'intervention: a claim at or under this amount pays nothing."),
    )
    annual_max_indemnity = term_amount(
        _("annual maximum indemnity"),
        null=True,
        blank=True,
        help_text=_(
            "The most the insurer pays in an insurance year (a year from the start date or "
            "one of its anniversaries). Optional."
        ),
    )
    discretionary_limit = term_amount(
        _("discretionary limit"),
        default=ZERO,
        help_text=_(
            "Clients whose exposure stays under this amount are covered without a named limit."
        ),
    )
    covers_vat = models.BooleanField(
        _("cover includes VAT"),
        default=False,
        help_text=_("Most policies cover amounts excluding VAT."),
    )
    notice_days = term_days(
        _("notice for a reduced or withdrawn limit (days)"),
        default=0,
        help_text=_("Deliveries made before the end of the notice stay covered by the old limit."),
    )
    excluded_categories = ArrayField(
        models.CharField(max_length=20),
        verbose_name=_("excluded client categories"),
        default=default_excluded_categories,
        blank=True,
    )
    excluded_countries = ArrayField(
        models.CharField(max_length=2),
        verbose_name=_("excluded countries"),
        default=list,
        blank=True,
        help_text=_("ISO codes, e.g. RU, BY."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("insurance policy")
        verbose_name_plural = _("insurance policies")
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="insurance_policy_number"),
            models.CheckConstraint(
                condition=Q(ends_on__gt=F("starts_on")), name="insurance_policy_period"
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": 0}), name=f"insurance_policy_{name}_not_negative"
                )
                for name in AMOUNT_TERMS + DAYS_TERMS
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": 0, f"{name}__lte": 100}),
                    name=f"insurance_policy_{name}_percent",
                )
                for name in PERCENT_TERMS
            ),
        ]

    def __str__(self):
        return f"{self.insurer} {self.number}"


class CreditLimit(TenantOwned):
    """One request or decision on a client's credit limit (agrément) under a policy. The
    history is kept: the limit in force on a day is the latest decision effective then."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        GRANTED = "granted", _("Granted")
        PARTIAL = "partial", _("Partially granted")
        REFUSED = "refused", _("Refused")
        REDUCED = "reduced", _("Reduced")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        BACK_OFFICE = "back_office", _("Back office")
        PROSPECT = "prospect", _("Consultant's prospect check")
        INSURER = "insurer", _("Insurer")

    class Scale(models.TextChoices):
        ALLIANZ = "allianz_1_10", _("Allianz Trade 1–10 (1 is best)")
        COFACE = "coface_0_10", _("Coface DRA 0–10 (10 is best)")
        OTHER = "other", _("Other")

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="credit_limits", verbose_name=_("client")
    )
    policy = models.ForeignKey(
        InsurancePolicy,
        on_delete=models.PROTECT,
        related_name="limits",
        verbose_name=pgettext_lazy("insurance", "policy"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    requested_amount = money(_("amount asked"), null=True, blank=True)
    amount = money(_("limit"), default=ZERO)
    grade = models.CharField(_("grade"), max_length=10, blank=True)
    grade_scale = models.CharField(
        _("grade scale"), max_length=15, choices=Scale.choices, default=Scale.OTHER
    )
    source = models.CharField(
        _("source"), max_length=12, choices=Source.choices, default=Source.BACK_OFFICE
    )
    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    effective_from = models.DateField(_("in force from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    insurer_reference = models.CharField(_("insurer's reference"), max_length=60, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("credit limit")
        verbose_name_plural = _("credit limits")
        ordering = ["-effective_from", "-id"]
        indexes = [
            models.Index(fields=["tenant", "client", "effective_from"], name="credit_limit_client")
        ]

    def __str__(self):
        return f"{self.client} {self.get_status_display()} {self.amount}"


class Cover(TenantOwned):
    """An invoice's cover, decided when it was issued, with its reason."""

    class Reason(models.TextChoices):
        COVERED = "covered", _("Covered by the credit limit")
        DISCRETIONARY = "discretionary", _("Covered under the discretionary limit")
        PARTIAL = "limit_exceeded", _("Limit exceeded: partly covered")
        LIMIT_USED = "limit_used", _("Limit already used")
        REFUSED = "limit_refused", _("Limit refused")
        NO_LIMIT = "no_limit", _("No limit, over the discretionary limit")
        CATEGORY = "excluded_category", _("Client category excluded")
        COUNTRY = "excluded_country", _("Client country excluded")
        CREDIT_PERIOD = "credit_period", _("Credit period beyond the maximum")
        NO_POLICY = "no_policy", _("No policy in force")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="insurance_covers")
    policy = models.ForeignKey(
        InsurancePolicy, on_delete=models.PROTECT, null=True, blank=True, related_name="covers"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    basis_amount = money(_("amount considered"))
    covered_amount = money(_("covered"))
    uncovered_amount = money(_("not covered"))
    limit_amount = money(_("limit in force"), null=True, blank=True)
    exposure_before = money(_("exposure before the invoice"))
    decided_on = models.DateField(_("decided on"))

    class Meta:
        verbose_name = _("cover")
        verbose_name_plural = _("covers")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "invoice"], name="insurance_cover_once"),
        ]

    @property
    def is_covered(self):
        return self.covered_amount > 0


class Declaration(TenantOwned):
    """An overdue declared to the insurer (déclaration de menace de sinistre), once."""

    class Status(models.TextChoices):
        TO_SEND = "to_send", _("To send on the insurer's portal")
        SENT = "sent", _("Declared")
        LATE = "late", _("Deadline missed")
        FAILED = "failed", _("Insurer unreachable")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    policy = models.ForeignKey(InsurancePolicy, on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField(_("deadline"))
    prepared_on = models.DateField(_("prepared on"))
    declared_on = models.DateField(_("declared on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    unpaid_amount = money(_("unpaid"))
    insurer_reference = models.CharField(_("insurer's reference"), max_length=60, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    alerted_on = models.DateField(_("admins alerted on"), null=True, blank=True)

    class Meta:
        verbose_name = _("overdue declaration")
        verbose_name_plural = _("overdue declarations")
        ordering = ["-prepared_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "invoice"], name="insurance_declared_once"),
        ]

    def __str__(self):
        return _("Declaration of %(invoice)s") % {"invoice": self.invoice.number}


class Claim(TenantOwned):
    """A claim (sinistre) for a client's covered unpaid invoices, with its computation."""

    class State(models.TextChoices):
        TO_FILE = "to_file", _("To file")
        FILED = "filed", _("Filed")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        INDEMNIFIED = "indemnified", _("Indemnified")
        PARTIAL = "partial", _("Partially indemnified")
        REJECTED = "rejected", _("Rejected")
        CLOSED = "closed", _("Closed")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="claims")
    policy = models.ForeignKey(InsurancePolicy, on_delete=models.PROTECT, related_name="claims")
    state = models.CharField(_("state"), max_length=15, choices=State.choices)
    opened_on = models.DateField(_("opened on"))
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    unpaid_covered = money(_("unpaid covered amount"))
    limit_amount = money(_("limit in force"), null=True, blank=True)
    expected_indemnity = money(_("expected indemnity"))
    computation = models.JSONField(_("computation"), default=list)
    aggregate_used = money(_("annual aggregate deductible used"), default=ZERO)
    indemnity_amount = money(_("indemnity received"), null=True, blank=True)
    indemnified_on = models.DateField(_("indemnified on"), null=True, blank=True)
    rejection_reason = models.CharField(_("reason for rejection"), max_length=300, blank=True)
    insurer_reference = models.CharField(_("insurer's reference"), max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-opened_on", "-id"]
        indexes = [models.Index(fields=["tenant", "state"], name="insurance_claim_state")]

    def __str__(self):
        return f"{self.client} {self.opened_on:%d/%m/%Y}"


class ClaimInvoice(TenantOwned):
    """An invoice in a claim: once per invoice, the database says so."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="lines")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    unpaid_amount = money(_("unpaid (incl. VAT)"))
    covered_amount = money(_("unpaid covered amount"))

    class Meta:
        verbose_name = _("claimed invoice")
        verbose_name_plural = _("claimed invoices")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "invoice"], name="insurance_claimed_once"),
        ]


class TurnoverDeclaration(TenantOwned):
    """The insurable turnover of a period and its premium."""

    policy = models.ForeignKey(
        InsurancePolicy, on_delete=models.PROTECT, related_name="turnover_declarations"
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    insurable_turnover = money(_("insurable turnover (excl. VAT)"))
    premium = money(_("premium"))
    declared_on = models.DateField(_("declared on"), null=True, blank=True)

    class Meta:
        verbose_name = _("turnover declaration")
        verbose_name_plural = _("turnover declarations")
        ordering = ["period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "policy", "period_start"], name="insurance_turnover_once"
            ),
        ]


class BlankTest(TenantOwned):
    """A test à blanc: clients and their exposure, put to several insurers."""

    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("blank test")
        verbose_name_plural = _("blank tests")
        ordering = ["-created_at"]


class BlankTestClient(TenantOwned):
    test = models.ForeignKey(BlankTest, on_delete=models.CASCADE, related_name="clients")
    siren = models.CharField(_("SIREN"), max_length=9)
    name = models.CharField(_("name"), max_length=200)
    exposure = money(_("exposure"))

    class Meta:
        ordering = ["-exposure", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "test", "siren"], name="insurance_blank_client_once"
            ),
        ]


class BlankTestAnswer(TenantOwned):
    client = models.ForeignKey(BlankTestClient, on_delete=models.CASCADE, related_name="answers")
    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="+")
    amount = money(_("limit granted"), default=ZERO)
    grade = models.CharField(_("grade"), max_length=10, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "client", "insurer"], name="insurance_blank_answer_once"
            ),
        ]


class ProspectCheck(TenantOwned):
    """A consultant asks, before signing a mission, whether a prospect would be covered:
    the collector (or the insurer's connector) answers, the consultant sees the answer."""

    class Status(models.TextChoices):
        ASKED = "asked", _("Waiting for the answer")
        GRANTED = "granted", _("Can be covered")
        PARTIAL = "partial", _("Can be covered in part")
        REFUSED = "refused", _("Cannot be covered")

    siren = models.CharField(_("SIREN"), max_length=9)
    name = models.CharField(_("company name"), max_length=200)
    amount = money(_("amount you expect to bill (incl. VAT)"))
    note = models.CharField(_("about the mission"), max_length=300, blank=True)
    asked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        _("answer"), max_length=10, choices=Status.choices, default=Status.ASKED
    )
    granted_amount = money(_("amount covered"), null=True, blank=True)
    answer_note = models.CharField(_("comment"), max_length=300, blank=True)
    answered_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("prospect check")
        verbose_name_plural = _("prospect checks")
        ordering = ["-asked_at"]


class Subrogation(TenantOwned):
    """A client payment received after the insurer indemnified the invoice: shared pro rata
    with the insurer, who is subrogated in the company's rights (Code des assurances
    L121-12). The consultant keeps only the company's share."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="subrogations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    allocation = models.ForeignKey(
        "invoices.Allocation", on_delete=models.PROTECT, related_name="+"
    )
    received_on = models.DateField(_("received on"))
    amount = money(_("payment"))
    to_insurer = money(_("owed to the insurer"))
    to_company = money(_("kept by the company"))
    consultant_adjustment = money(_("consultant's account adjusted by"))
    undone = models.BooleanField(_("payment reversed"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("subrogation")
        verbose_name_plural = _("subrogations")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "allocation"], name="insurance_subrogation_once"
            ),
        ]
