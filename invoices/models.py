from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from consultants.models import Consultant
from invoices import amounts
from invoices.terms import PaymentTerms, validate_terms
from portage.models import PayModel, TenantOwned, User
from portage.money import ZERO
from portage.templatetags.portage import euros
from portage.validators import validate_siren, validate_siret, validate_vat_number


class Client(TenantOwned):
    """A client (débiteur): a company a consultant works for, billed by the portage company."""

    class Category(models.TextChoices):
        PRIVATE = "private", _("Private company")
        PUBLIC = "public", _("Public entity")
        INDIVIDUAL = "individual", _("Individual")
        RELATED = "related", _("Related company")

    legal_name = models.CharField(_("legal name"), max_length=200)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, validators=[validate_siren])
    siret = models.CharField(
        _("SIRET of the billed establishment"),
        max_length=14,
        blank=True,
        validators=[validate_siret],
    )
    vat_number = models.CharField(
        _("VAT number"), max_length=20, blank=True, validators=[validate_vat_number]
    )
    country = models.CharField(_("country"), max_length=2, default="FR")
    address_line1 = models.CharField(_("address"), max_length=200)
    address_line2 = models.CharField(_("address (continued)"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10)
    city = models.CharField(_("city"), max_length=100)
    billing_emails = ArrayField(
        models.EmailField(), verbose_name=_("billing contact emails"), default=list, blank=True
    )
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.PRIVATE
    )
    payment_terms = models.CharField(
        _("default payment terms"),
        max_length=10,
        choices=PaymentTerms.choices,
        default=PaymentTerms.NET,
    )
    payment_days = models.PositiveSmallIntegerField(_("days"), default=30)
    # The e-invoicing directory (annuaire) entry for the client's SIREN, as last looked up.
    einvoicing_address = models.CharField(
        _("electronic invoicing address"), max_length=100, blank=True
    )
    einvoicing_scheme = models.CharField(_("address scheme"), max_length=4, blank=True)
    einvoicing_platform = models.CharField(_("receiving platform"), max_length=200, blank=True)
    einvoicing_routing_code = models.CharField(_("routing code"), max_length=100, blank=True)
    directory_checked_on = models.DateField(_("directory checked on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["legal_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "siren"], condition=~Q(siren=""), name="client_siren_once"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "legal_name"], name="client_name")]

    def __str__(self):
        return self.legal_name

    def clean(self):
        errors = {}
        if self.country == "FR" and not self.siren:
            errors["siren"] = _("A French client is identified by its SIREN.")
        if self.siret and self.siren and not self.siret.startswith(self.siren):
            errors["siret"] = _("This SIRET does not belong to SIREN %(siren)s.") % {
                "siren": self.siren
            }
        if self.vat_number.startswith("FR") and self.siren and self.vat_number[4:] != self.siren:
            errors["vat_number"] = _(
                "This French VAT number does not belong to SIREN %(siren)s."
            ) % {"siren": self.siren}
        try:
            validate_terms(self.payment_terms, self.payment_days)
        except ValidationError as error:
            errors["payment_days"] = error.messages
        if errors:
            raise ValidationError(errors)

    @property
    def address_lines(self):
        city_line = " ".join(part for part in (self.postal_code, self.city) if part)
        return [line for line in (self.address_line1, self.address_line2, city_line) if line]


class Mission(TenantOwned):
    """A consultant's mission for a client: what is billed, at which daily rate, on which terms."""

    consultant = models.ForeignKey(
        Consultant, on_delete=models.PROTECT, related_name="missions", verbose_name=_("consultant")
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="missions", verbose_name=_("client")
    )
    title = models.CharField(_("title"), max_length=200)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    daily_rate = models.DecimalField(
        _("daily rate (excl. VAT)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    payment_terms = models.CharField(
        _("payment terms"), max_length=10, choices=PaymentTerms.choices, default=PaymentTerms.NET
    )
    payment_days = models.PositiveSmallIntegerField(_("days"), default=30)
    purchase_order = models.CharField(_("purchase order reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("mission")
        verbose_name_plural = _("missions")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="mission_ends_after_start",
            ),
            models.CheckConstraint(condition=Q(daily_rate__gte=0), name="mission_rate_positive"),
        ]

    def __str__(self):
        return f"{self.title} ({self.client})"

    def clean(self):
        try:
            validate_terms(self.payment_terms, self.payment_days)
        except ValidationError as error:
            raise ValidationError({"payment_days": error.messages}) from None


class NumberCounter(TenantOwned):
    """The last number given in one numbering series of a tenant (per kind, prefix and year).

    Issuing locks this row for the length of its transaction, so numbers are continuous,
    unique and in the order of issue even when many invoices are issued at once.
    """

    kind = models.CharField(max_length=20)
    prefix = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField(help_text="0 when numbering does not restart yearly")
    last_number = models.PositiveIntegerField(default=0)
    last_issue_date = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("number counter")
        verbose_name_plural = _("number counters")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "prefix", "year"], name="counter_one_per_series"
            )
        ]

    def __str__(self):
        return f"{self.prefix} {self.year or ''} #{self.last_number}"


class Invoice(TenantOwned):
    """An invoice (facture) or a credit note (avoir) of the portage company to a client.

    A draft can change freely. Issuing gives it its number and freezes it: PostgreSQL then
    refuses any change to what was issued (see the migration's trigger); only the amounts
    paid and credited move, through the payment and credit note services. A credit note
    cancels an invoice fully or partly and names it.
    """

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued")
        PARTIALLY_PAID = "partially_paid", _("Partially paid")
        PAID = "paid", _("Paid")
        CREDITED = "credited", _("Cancelled by credit note")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INVOICE)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    number = models.CharField(_("number"), max_length=40, blank=True)
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("client")
    )
    consultant = models.ForeignKey(
        Consultant,
        on_delete=models.PROTECT,
        related_name="invoices",
        verbose_name=_("consultant"),
    )
    mission = models.ForeignKey(
        Mission,
        on_delete=models.PROTECT,
        related_name="invoices",
        null=True,
        blank=True,
        verbose_name=_("mission"),
    )
    credited_invoice = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        related_name="credit_notes",
        null=True,
        blank=True,
        verbose_name=_("invoice credited"),
    )
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    period_start = models.DateField(_("service period from"), null=True, blank=True)
    period_end = models.DateField(_("service period to"), null=True, blank=True)
    payment_terms = models.CharField(
        _("payment terms"), max_length=10, choices=PaymentTerms.choices, default=PaymentTerms.NET
    )
    payment_days = models.PositiveSmallIntegerField(_("days"), default=30)
    purchase_order = models.CharField(_("purchase order reference"), max_length=100, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    total_ht = models.DecimalField(
        _("total excl. VAT"), max_digits=12, decimal_places=2, default=ZERO
    )
    total_vat = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2, default=ZERO)
    total_ttc = models.DecimalField(
        _("total incl. VAT"), max_digits=12, decimal_places=2, default=ZERO
    )
    paid_amount = models.DecimalField(_("paid"), max_digits=12, decimal_places=2, default=ZERO)
    credited_amount = models.DecimalField(
        _("credited"), max_digits=12, decimal_places=2, default=ZERO
    )
    # What its credit notes took off excl. VAT, kept with the amount incl. VAT above.
    credited_ht = models.DecimalField(
        _("credited excl. VAT"), max_digits=12, decimal_places=2, default=ZERO
    )
    fee_rate = models.DecimalField(
        _("management fee (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    # Frozen at issue, like the fee rate: a company changing its pay model later does not
    # change how the invoices already issued pay their consultant.
    pay_model = models.CharField(
        _("consultant pay model"), max_length=20, choices=PayModel.choices, blank=True
    )
    seller = models.JSONField(_("seller as issued"), default=dict, blank=True)
    buyer = models.JSONField(_("buyer as issued"), default=dict, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="invoices/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "number"], condition=~Q(number=""), name="invoice_number_once"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | (~Q(number="") & Q(issue_date__isnull=False)),
                name="invoice_issued_has_number_and_date",
            ),
            models.CheckConstraint(
                condition=~Q(kind="credit_note") | Q(credited_invoice__isnull=False),
                name="credit_note_names_its_invoice",
            ),
            models.CheckConstraint(
                condition=Q(total_ht__gte=0)
                & Q(total_vat__gte=0)
                & Q(total_ttc__gte=0)
                & Q(paid_amount__gte=0)
                & Q(credited_amount__gte=0),
                name="invoice_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(paid_amount__lte=F("total_ttc") - F("credited_amount")),
                name="invoice_not_paid_beyond_its_balance",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "due_date"], name="invoice_status_due"),
            models.Index(fields=["tenant", "client", "status"], name="invoice_client"),
            models.Index(fields=["tenant", "consultant", "issue_date"], name="invoice_consultant"),
        ]

    def __str__(self):
        if self.number:
            return self.number
        return _("Draft %(id)s") % {"id": self.pk}

    # The money facts, defined once in invoices/amounts.py (with their query expressions).

    @property
    def due(self):
        """What the client owes once its credit notes are taken off (TTC)."""
        return self.total_ttc - self.credited_amount

    @property
    def balance(self):
        """What the client still owes on it (TTC), after payments and credit notes."""
        return amounts.balance_of(self)

    @property
    def settled(self):
        """What payments and credit notes have settled of it (TTC)."""
        return self.paid_amount + self.credited_amount

    @property
    def billed_ht(self):
        """Its total excl. VAT less its credit notes'."""
        return self.total_ht - self.credited_ht

    @property
    def fee(self):
        """The management fee on what it bills, at the rate frozen on it."""
        return amounts.fee_on(self.billed_ht, self.fee_rate)

    @property
    def net(self):
        """What the consultant earns on it: billed excl. VAT less the fee."""
        return self.billed_ht - self.fee

    def share_of(self, amount, *, incl_vat=True):
        """What `amount` paid on it gives the consultant (`amounts.share_of`)."""
        return amounts.share_of(self, amount, incl_vat=incl_vat)

    @property
    def is_draft(self):
        return self.status == self.Status.DRAFT

    @property
    def is_open(self):
        return self.kind == self.Kind.INVOICE and self.status in amounts.OPEN_STATUSES


class InvoiceLine(TenantOwned):
    """A line of an invoice: quantity × unit price excl. VAT, rounded to the cent per line."""

    class Unit(models.TextChoices):
        DAY = "DAY", _("day")
        HOUR = "HUR", _("hour")
        UNIT = "C62", _("unit")

    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("invoice")
    )
    position = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=3, choices=Unit.choices, default=Unit.DAY)
    unit_price = models.DecimalField(_("unit price excl. VAT"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    total_ht = models.DecimalField(_("total excl. VAT"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(unit_price__gte=0) & Q(total_ht__gte=0),
                name="invoice_line_amounts_positive",
            ),
            models.CheckConstraint(
                condition=Q(vat_rate__gte=0) & Q(vat_rate__lt=100), name="invoice_line_vat_rate"
            ),
        ]

    def __str__(self):
        return self.description

    @property
    def unit_label(self):
        """The unit as printed after the quantity: "1 jour", "2,5 jours"."""
        count = 1 if self.quantity <= 1 else 2
        if self.unit == self.Unit.DAY:
            return ngettext("day", "days", count)
        if self.unit == self.Unit.HOUR:
            return ngettext("hour", "hours", count)
        return ngettext("unit", "units", count)


class Payment(TenantOwned):
    """Money received from a client, allocated to one or more of its invoices.

    What is not allocated stays the client's credit, to allocate later. A payment is never
    deleted: a mistake is reversed, with its reason, which undoes its allocations.
    """

    class Method(models.TextChoices):
        TRANSFER = "transfer", _("Bank transfer")
        DIRECT_DEBIT = "direct_debit", _("Direct debit")
        CHEQUE = "cheque", _("Cheque")
        CARD = "card", _("Card")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Recorded")
        REVERSED = "reversed", _("Reversed")

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="payments", verbose_name=_("client")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    received_on = models.DateField(_("received on"))
    method = models.CharField(
        _("method"), max_length=20, choices=Method.choices, default=Method.TRANSFER
    )
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    reversal_reason = models.CharField(_("reason for the reversal"), max_length=300, blank=True)
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    created_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="active") | ~Q(reversal_reason=""),
                name="payment_reversal_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "client", "status"], name="payment_client")]

    def __str__(self):
        return _("Payment of %(amount)s from %(client)s on %(date)s") % {
            "amount": euros(self.amount),
            "client": self.client,
            "date": f"{self.received_on:%d/%m/%Y}",
        }


class Allocation(TenantOwned):
    """Part of a payment settling part of an invoice. Undone, never deleted, on reversal."""

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("payment")
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("invoice")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["tenant", "invoice", "is_active"], name="allocation_invoice")
        ]

    def __str__(self):
        return f"{self.invoice} ← {self.amount}"


class BankStatement(TenantOwned):
    """An imported bank statement (CSV or CAMT.053). The same file is imported once."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        CAMT053 = "camt053", "CAMT.053"

    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    statement_id = models.CharField(_("statement identifier"), max_length=100, blank=True)
    account_iban = models.CharField(_("account"), max_length=34, blank=True)
    filename = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(max_length=64)
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    imported_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("imported by")
    )

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-imported_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "sha256"], name="statement_file_once"),
            models.UniqueConstraint(
                fields=["tenant", "statement_id"],
                condition=~Q(statement_id=""),
                name="statement_id_once",
            ),
        ]

    def __str__(self):
        return self.filename


class BankLine(TenantOwned):
    """A credit line of a bank statement, waiting to become a payment.

    The import suggests the client and invoices it pays; it becomes a payment only when a
    collector confirms. A line the bank already gave in another statement is not imported
    twice (its bank reference is unique).
    """

    class Status(models.TextChoices):
        UNMATCHED = "unmatched", _("To match")
        SUGGESTED = "suggested", _("Match suggested")
        CONFIRMED = "confirmed", _("Recorded as payment")
        DISMISSED = "dismissed", _("Dismissed")

    statement = models.ForeignKey(
        BankStatement, on_delete=models.PROTECT, related_name="lines", verbose_name=_("statement")
    )
    line_number = models.PositiveIntegerField(_("line"))
    booking_date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    counterparty = models.CharField(_("payer"), max_length=200, blank=True)
    remittance = models.TextField(_("remittance information"), blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.UNMATCHED
    )
    suggested_client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("suggested client"),
    )
    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bank_lines",
        verbose_name=_("payment"),
    )

    class Meta:
        verbose_name = _("bank line")
        verbose_name_plural = _("bank lines")
        ordering = ["booking_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "bank_reference"],
                condition=~Q(bank_reference=""),
                name="bank_line_reference_once",
            ),
            models.UniqueConstraint(
                fields=["tenant", "payment"],
                condition=Q(payment__isnull=False),
                name="bank_line_one_payment",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bank_line_is_a_credit"),
        ]
        indexes = [models.Index(fields=["tenant", "status"], name="bank_line_status")]

    def __str__(self):
        return f"{self.booking_date} {self.amount} {self.counterparty}"


class BankLineSuggestion(TenantOwned):
    """An invoice a bank line seems to pay, and how much of it, for the collector to confirm."""

    line = models.ForeignKey(
        BankLine, on_delete=models.CASCADE, related_name="suggestions", verbose_name=_("bank line")
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="+", verbose_name=_("invoice")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("suggested allocation")
        verbose_name_plural = _("suggested allocations")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "line", "invoice"], name="suggestion_once_per_invoice"
            ),
        ]

    def __str__(self):
        return f"{self.invoice} ← {self.amount}"


class PaymentNotice(TenantOwned):
    """The notice to the consultant of a client's payment on one of their invoices
    (Code du travail L1254-25; see `invoices.services.notices`): one per allocation, the
    database says so, kept with what it said and when it was emailed."""

    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="notices", verbose_name=_("allocation")
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="+", verbose_name=_("invoice")
    )
    consultant = models.ForeignKey(
        Consultant, on_delete=models.PROTECT, related_name="+", verbose_name=_("consultant")
    )
    received_on = models.DateField(_("received on"))
    amount = models.DecimalField(_("amount received"), max_digits=12, decimal_places=2)
    share = models.DecimalField(_("consultant's share"), max_digits=12, decimal_places=2)
    balance_after = models.DecimalField(_("still due after it"), max_digits=12, decimal_places=2)
    expected_on = models.DateField(_("expected pay-out"), null=True, blank=True)
    email = models.EmailField(_("sent to"))
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment notice")
        verbose_name_plural = _("payment notices")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "allocation"], name="payment_notice_once_per_allocation"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "consultant", "received_on"], name="notice_consultant")
        ]

    def __str__(self):
        return f"{self.invoice} {self.received_on} {self.amount}"
