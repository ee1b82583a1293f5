"""E-invoicing (facturation électronique): the company's plateforme agréée (PA), each invoice's
deposit and its lifecycle statuses, the 212 "Encaissée" sent for each payment collected, and
the periodic payment e-reporting for individuals and foreign clients.

A portage company sells services: its VAT is due on collection (CGI art. 269, 2, c), so every
payment collected is reported (CGI art. 290 A; XP Z12-012 status 212). Money is Decimal.
"""

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from einvoicing.connectors.base import STATUSES
from invoices.models import Allocation, Invoice
from portage.models import TenantOwned, User


def new_token():
    """The secret part of the address the platform posts its webhooks to."""
    return secrets.token_urlsafe(32)


STATUS_CHOICES = [(code, f"{code} {label}") for code, label in STATUSES.items()]


class PlatformAccount(TenantOwned):
    """The company's account with its plateforme agréée, and its e-invoicing settings."""

    class Connector(models.TextChoices):
        MANUAL = "manual", _("Manual: files to upload on the platform's portal")
        HTTP = "http", _("Platform's API (AFNOR XP Z12-013)")

    class ReportingPeriod(models.TextChoices):
        MONTHLY = "monthly", _("Monthly, before the 10th of the next month (normal regime)")
        BIMONTHLY = "bimonthly", _("Every two months (VAT franchise)")

    platform_name = models.CharField(_("plateforme agréée"), max_length=100)
    connector = models.CharField(
        _("connector"), max_length=10, choices=Connector.choices, default=Connector.MANUAL
    )
    api_base_url = models.URLField(_("API address"), blank=True)
    directory_url = models.URLField(
        _("directory API address"),
        blank=True,
        help_text=_(
            "Only when the platform publishes its directory service under another address "
            "than its flow service."
        ),
    )
    api_key = models.CharField(_("API key"), max_length=200, blank=True)
    api_secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("Given by the platform: requests and its webhooks are signed with it."),
    )
    in_scope_from = models.DateField(
        _("issue through the platform from"),
        help_text=_(
            "Invoices issued from this day go through the platform: 1 September 2026 for large "
            "companies and ETI, 1 September 2027 for the others."
        ),
    )
    reporting_period = models.CharField(
        _("payment e-reporting period"),
        max_length=10,
        choices=ReportingPeriod.choices,
        default=ReportingPeriod.MONTHLY,
    )
    payment_hold_days = models.PositiveSmallIntegerField(
        _('days the ladder waits after "payment transmitted"'),
        default=5,
        help_text=_("Status 211: the buyer says it paid; reminders wait for the money."),
    )
    webhook_token = models.CharField(max_length=64, default=new_token, editable=False)
    statuses_read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("e-invoicing platform account")
        verbose_name_plural = _("e-invoicing platform accounts")
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="platform_account_once"),
        ]

    def __str__(self):
        return self.platform_name


class Submission(TenantOwned):
    """An invoice or credit note deposited with the PA (flow type CustomerInvoice), once.

    `reference` is our flow reference, the PA's tracking id: a deposit sent again after a
    lost answer is recognised by it. An invoice is legally issued once the PA deposited it
    (200) and did not reject it (213).
    """

    class State(models.TextChoices):
        TO_SEND = "to_send", _("To send")
        BLOCKED = "blocked", _("Not sent: to fix")
        TO_UPLOAD = "to_upload", _("To upload on the platform's portal")
        SENT = "sent", _("Sent, awaiting the platform's checks")
        DEPOSITED = "deposited", _("Deposited")
        REJECTED = "rejected", _("Rejected by the platform")
        FAILED = "failed", _("Sending failed")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="submissions")
    reference = models.CharField(_("flow reference"), max_length=60)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.TO_SEND
    )
    blocked_reason = models.TextField(_("why it is not sent"), blank=True)
    failed_rules = models.JSONField(_("rules broken"), default=list, blank=True)
    flow_id = models.CharField(_("platform's flow id"), max_length=100, blank=True)
    syntax = models.CharField(max_length=10, default="Factur-X")
    document = models.FileField(_("document deposited"), upload_to="einvoicing/", blank=True)
    last_status = models.CharField(
        _("last status"), max_length=3, choices=STATUS_CHOICES, blank=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("invoice deposit")
        verbose_name_plural = _("invoice deposits")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "invoice"], name="submission_once"),
            models.UniqueConstraint(fields=["tenant", "reference"], name="submission_reference"),
        ]
        indexes = [models.Index(fields=["tenant", "state"], name="submission_state")]

    def __str__(self):
        return self.reference


class LifecycleStatus(TenantOwned):
    """One lifecycle status of an invoice (XP Z12-012): from the PA, the buyer, or ourselves.
    Recorded once per `event_id` (the PA's id of the status message)."""

    class Sender(models.TextChoices):
        PLATFORM = "platform", _("Platform")
        BUYER = "buyer", _("Buyer")
        SELLER = "seller", _("Us")

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="lifecycle_statuses"
    )
    code = models.CharField(_("status"), max_length=3, choices=STATUS_CHOICES)
    sender = models.CharField(_("from"), max_length=10, choices=Sender.choices)
    reason_code = models.CharField(_("reason code"), max_length=20, blank=True)
    reason_text = models.CharField(_("reason"), max_length=500, blank=True)
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    issued_at = models.DateTimeField(_("date"))
    event_id = models.CharField(max_length=100)
    entered_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("lifecycle status")
        verbose_name_plural = _("lifecycle statuses")
        ordering = ["issued_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "event_id"], name="lifecycle_event_once"),
        ]
        indexes = [models.Index(fields=["tenant", "invoice"], name="lifecycle_invoice")]

    def __str__(self):
        return f"{self.code} {STATUSES[self.code]}"

    @property
    def label(self):
        return STATUSES[self.code]


class Outgoing(models.TextChoices):
    """Where a flow we send stands."""

    TO_SEND = "to_send", _("To send")
    TO_UPLOAD = "to_upload", _("To upload on the platform's portal")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Sending failed")


class CollectionReport(TenantOwned):
    """Status 212 "Encaissée" for one allocation of a client payment to a domestic B2B
    invoice: the amount and day collected, sent once. Undoing the allocation sends its
    correction, once (`kind` correction, a negative amount)."""

    class Kind(models.TextChoices):
        COLLECTED = "collected", _("Collected")
        CORRECTION = "correction", _("Correction (allocation undone)")

    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="collection_reports"
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="collection_reports"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    # The amount split by VAT rate as the 212 states it, [[rate, amount], ...] as strings,
    # fixed when the report is made (see rules.collected_by_rate).
    amounts_by_rate = models.JSONField(_("amount per VAT rate"), default=list, blank=True)
    # When the 212 was made (its message's issue date, MDG-4): never changes, so the message
    # sent again after a lost answer is the same bytes.
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    collected_on = models.DateField(_("collected on"))
    reference = models.CharField(_("flow reference"), max_length=60)
    state = models.CharField(
        _("state"), max_length=10, choices=Outgoing.choices, default=Outgoing.TO_SEND
    )
    flow_id = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("payment collected report (212)")
        verbose_name_plural = _("payment collected reports (212)")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "allocation", "kind"], name="collection_report_once"
            ),
            models.UniqueConstraint(fields=["tenant", "reference"], name="collection_reference"),
        ]
        indexes = [models.Index(fields=["tenant", "state"], name="collection_report_state")]

    def __str__(self):
        return self.reference


class PaymentReport(TenantOwned):
    """The payment e-reporting of one period (CGI art. 290 A): the payments collected on
    invoices to individuals and foreign clients, built from the allocations, sent once."""

    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    due_on = models.DateField(_("to send by"))
    reference = models.CharField(_("flow reference"), max_length=60)
    state = models.CharField(
        _("state"), max_length=10, choices=Outgoing.choices, default=Outgoing.TO_SEND
    )
    payments = models.JSONField(_("payments"), default=list)
    total = models.DecimalField(_("total collected"), max_digits=14, decimal_places=2)
    flow_id = models.CharField(max_length=100, blank=True)
    reason = models.TextField(_("platform's answer"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("payment e-reporting")
        verbose_name_plural = _("payment e-reportings")
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "period_start"], name="payment_report_once"),
            models.UniqueConstraint(fields=["tenant", "reference"], name="payment_report_ref"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="report_period"
            ),
        ]

    def __str__(self):
        return f"{self.period_start:%m/%Y}"
