from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portage.models import TenantOwned, User


class Consultant(TenantOwned):
    """A consultant (salarié porté): employed by the portage company, working for clients.

    The management fee (frais de gestion) is a share of what the consultant bills, kept by
    the company; the rest, after social charges, is the consultant's pay.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        LEFT = "left", _("Left")

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="consultant_profiles", verbose_name=_("user")
    )
    fee_rate = models.DecimalField(
        _("management fee (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("50"))],
        help_text=_(
            "Frais de gestion: the share of the amount billed (excl. VAT) kept by the company."
        ),
    )
    start_date = models.DateField(_("start date"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )

    class Meta:
        verbose_name = _("consultant")
        verbose_name_plural = _("consultants")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="consultant_one_per_user"),
            models.CheckConstraint(
                condition=Q(fee_rate__gte=0) & Q(fee_rate__lte=50), name="consultant_fee_rate_range"
            ),
        ]

    def __str__(self):
        return self.user.get_full_name()


class LedgerEntry(TenantOwned):
    """One line of a consultant's activity account (compte d'activité, Code du travail
    L1254-25): money the company owes the consultant (positive) or has paid or kept
    (negative). The balance is the sum of the entries.

    Append-only: PostgreSQL refuses UPDATE and DELETE; a mistake is corrected by an
    adjustment, which must give its reason. An entry born of an invoice names it
    (`invoice_pk`, `reference`) without a foreign key, since consultants sit below invoices.
    """

    class Kind(models.TextChoices):
        INVOICE_COLLECTED = "invoice_collected", _("Invoice collected")
        INVOICE_BILLED = "invoice_billed", _("Invoice billed")
        MANAGEMENT_FEE = "management_fee", _("Management fee")
        SALARY_PAID = "salary_paid", _("Salary paid out")
        ADVANCE = "advance", _("Advance")
        INDEMNITY_RECEIVED = "indemnity_received", _("Insurer's indemnity")
        RECOVERY_AFTER_INDEMNITY = "recovery_after_indemnity", _("Recovery after indemnity")
        ADJUSTMENT = "adjustment", _("Adjustment")

    consultant = models.ForeignKey(
        Consultant, on_delete=models.PROTECT, related_name="ledger", verbose_name=_("consultant")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    booked_on = models.DateField(_("date"))
    label = models.CharField(_("label"), max_length=200)
    reason = models.TextField(_("reason"), blank=True)
    invoice_pk = models.BigIntegerField(null=True, blank=True, editable=False)
    reference = models.CharField(_("reference"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)
    created_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        verbose_name = _("activity account entry")
        verbose_name_plural = _("activity account entries")
        ordering = ["booked_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | ~Q(reason=""), name="ledger_adjustment_has_reason"
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_amount_not_zero"),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "consultant", "booked_on"], name="ledger_consultant_day"
            ),
            models.Index(fields=["tenant", "invoice_pk"], name="ledger_invoice"),
        ]

    def __str__(self):
        return f"{self.booked_on} {self.get_kind_display()} {self.amount}"
