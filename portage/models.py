from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor
from django.db.models.functions import Lower
from django.db.models.signals import class_prepared
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from portage import rls
from portage.mentions import registration_mention
from portage.permissions import Role
from portage.tenancy import current_tenant
from portage.validators import validate_bic, validate_iban, validate_siren, validate_vat_number


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError("A user needs an email address")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: consultants, back-office staff, platform operators (`is_staff`).

    Signs in by email. What a user may see in a tenant comes from their Membership there.
    """

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_staff = models.BooleanField(
        _("platform operator"),
        default=False,
        help_text=_("Operates the platform itself and may use the Django admin."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


def validate_time_zone(value):
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("%(value)s is not a known time zone."), params={"value": value}
        ) from None


def validate_prefix(value):
    if not value.isascii() or not value.replace("-", "").isalnum():
        raise ValidationError(_("Use letters, digits and dashes only."))


class PayModel(models.TextChoices):
    """How a consultant's pay follows the client's payment (see the seed articles)."""

    ON_COLLECTION = (
        "on_collection",
        _("On collection: what was paid out is acquired, the balance waits for the client"),
    )
    ON_INVOICING = (
        "on_invoicing",
        _("On invoicing: the company bears the collection risk and pays on invoicing"),
    )


class Tenant(models.Model):
    """A portage company (entreprise de portage salarial): one tenant of the platform.

    It has its own consultants, clients, invoice numbering, dunning policy and credit
    insurance contracts. Its identity is printed on every invoice and letter.
    """

    slug = models.SlugField(_("short name"), max_length=50, unique=True)
    legal_name = models.CharField(
        _("legal name"), max_length=200, help_text=_("As registered, e.g. on the Kbis extract.")
    )
    siren = models.CharField(_("SIREN"), max_length=9, unique=True, validators=[validate_siren])
    vat_number = models.CharField(
        _("VAT number"), max_length=20, blank=True, validators=[validate_vat_number]
    )
    # The registration mentions (Code de commerce R123-237, R123-238) printed beside the name
    # on every invoice, letter and email: see portage.mentions.
    legal_form = models.CharField(
        _("legal form"),
        max_length=100,
        blank=True,
        help_text=_("As on the Kbis extract, e.g. SAS, SARL, SA coopérative à capital variable."),
    )
    share_capital = models.DecimalField(
        _("share capital (EUR)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    rcs_city = models.CharField(
        _("RCS registry city"),
        max_length=100,
        blank=True,
        help_text=_(
            "The city of the commercial court registry (greffe) where the company is "
            "registered, as on the Kbis extract: documents then read RCS Paris 812 345 676."
        ),
    )
    # The registered office (siège social).
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address (continued)"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FR")
    iban = models.CharField(_("IBAN"), max_length=34, blank=True, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, blank=True, validators=[validate_bic])
    logo = models.ImageField(_("logo"), upload_to="tenants/logos/", blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=50, default="Europe/Paris", validators=[validate_time_zone]
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    # Invoicing settings.
    invoice_prefix = models.CharField(
        _("invoice number prefix"), max_length=10, default="FA", validators=[validate_prefix]
    )
    credit_note_prefix = models.CharField(
        _("credit note number prefix"), max_length=10, default="AV", validators=[validate_prefix]
    )
    number_yearly_reset = models.BooleanField(
        _("restart numbering every year"),
        default=True,
        help_text=_("Numbers then read PREFIX-YEAR-000001, e.g. FA-2026-000123."),
    )
    late_penalty_rate = models.DecimalField(
        _("contractual late penalty rate (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "Leave empty to apply the legal rate: the ECB main refinancing rate plus 10 "
            "points (Code de commerce L441-10)."
        ),
    )
    sender_name = models.CharField(
        _("sender name of collection emails"), max_length=100, blank=True
    )
    sender_email = models.EmailField(
        _("sender address of collection emails"),
        blank=True,
        help_text=_("Reminders and formal notices are sent from this address."),
    )
    reply_to_email = models.EmailField(
        _("replies to collection emails go to"),
        blank=True,
        help_text=_(
            "The collections team's mailbox, where a client's answer lands (Reply-To). "
            "Empty: the sender address."
        ),
    )
    # E-invoicing (facturation électronique): printed on every invoice as the French rules ask.
    vat_on_debits = models.BooleanField(
        _("VAT on debits"),
        default=False,
        help_text=_(
            "The company opted to pay VAT when invoicing rather than when paid (CGI art. 269): "
            'invoices then read "Option pour le paiement de la taxe d\'après les débits".'
        ),
    )
    einvoicing_address = models.CharField(
        _("electronic invoicing address"),
        max_length=100,
        blank=True,
        help_text=_(
            "The company's address in the e-invoicing directory (BT-34), usually its SIREN."
        ),
    )
    pay_model = models.CharField(
        _("consultant pay model"),
        max_length=20,
        choices=PayModel.choices,
        default=PayModel.ON_COLLECTION,
    )
    payout_months_after = models.PositiveSmallIntegerField(
        _("pay-out month"),
        choices=[
            (0, _("The month the money is credited")),
            (1, _("The month after")),
            (2, _("Two months after")),
        ],
        default=1,
        help_text=_(
            "When what is credited to a consultant's activity account (a client's payment, "
            "an indemnity) is paid out."
        ),
    )
    payout_day = models.PositiveSmallIntegerField(
        _("pay-out day"),
        default=31,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("Day of the month the pay is paid out; 31: the last day of the month."),
    )

    class Meta:
        verbose_name = _("portage company")
        verbose_name_plural = _("portage companies")
        ordering = ["legal_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(share_capital__isnull=True) | Q(share_capital__gt=0),
                name="tenant_share_capital_positive",
            ),
            models.CheckConstraint(
                condition=Q(payout_day__gte=1)
                & Q(payout_day__lte=31)
                & Q(payout_months_after__lte=2),
                name="tenant_payout_rule_range",
            ),
        ]

    def __str__(self):
        return self.legal_name

    def clean(self):
        # A French VAT number embeds the SIREN: FR + 2-digit key + SIREN.
        if self.vat_number.startswith("FR") and self.siren and self.vat_number[4:] != self.siren:
            raise ValidationError(
                {
                    "vat_number": _("This French VAT number does not belong to SIREN %(siren)s.")
                    % {"siren": self.siren}
                }
            )

    @property
    def address_lines(self):
        city_line = " ".join(part for part in (self.postal_code, self.city) if part)
        return [line for line in (self.address_line1, self.address_line2, city_line) if line]

    @property
    def registration_mention(self):
        """ "SAS au capital de 10 000 € · RCS Paris 812 345 676" (see portage.mentions)."""
        return registration_mention(
            legal_form=self.legal_form,
            share_capital=self.share_capital,
            rcs_city=self.rcs_city,
            siren=self.siren,
        )


class _ActiveCompanyDescriptor(ForwardManyToOneDescriptor):
    """`row.tenant` inside the context of the row's company is the context's company, the
    row read once when the context opened, not read again for each row that names it."""

    def __get__(self, instance, cls=None):
        if instance is not None and not self.field.is_cached(instance):
            active = current_tenant()
            # A context opened from an id alone holds a row not read yet: not lent out.
            if active is not None and active.pk == instance.tenant_id and not active._state.adding:
                self.field.set_cached_value(instance, active)
        return super().__get__(instance, cls)


class TenantForeignKey(models.ForeignKey):
    """The foreign key to the row's company (see `_ActiveCompanyDescriptor`); in migrations
    a plain foreign key, which it is in the database."""

    forward_related_accessor_class = _ActiveCompanyDescriptor

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.ForeignKey", args, kwargs


class TenantOwned(models.Model):
    """Base of every model whose rows belong to one tenant.

    The default manager refuses to query while no tenant is active (lock (a)); the table
    gets a row-level security policy in its migration (lock (b)), see `portage.tenancy`.
    Every unique constraint of a subclass includes `tenant` (checked by `portage.checks`).
    """

    tenant = TenantForeignKey(
        Tenant,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("portage company"),
    )

    objects = ScopedManager(tenant="tenant")

    class Meta:
        abstract = True


@receiver(class_prepared)
def add_tenant_isolation_policy(sender, **kwargs):
    if issubclass(sender, TenantOwned) and not sender._meta.abstract and not sender._meta.proxy:
        policy = rls.policy_for(sender)
        if policy not in sender._meta.constraints:
            sender._meta.constraints.append(policy)
            # Migrations read options from original_attrs (the Meta as written).
            sender._meta.original_attrs["constraints"] = sender._meta.constraints


class Membership(TenantOwned):
    """A user's place in a tenant, with one role there."""

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    # A user may read their own memberships in every tenant, to choose where to work.
    rls_user_column = "user_id"

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_one_per_tenant")
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"


class AuditEntry(TenantOwned):
    """One line of the tenant's audit log: who did what to which object, before and after.

    Append-only: PostgreSQL refuses UPDATE and DELETE on this table (see its migration).
    """

    created_at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    actor_label = models.CharField(_("who"), max_length=200)
    action = models.CharField(_("what"), max_length=100)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    before = models.JSONField(_("before"), null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="audit_tenant_created"),
            models.Index(fields=["tenant", "object_type", "object_id"], name="audit_tenant_object"),
        ]

    def __str__(self):
        return f"{self.actor_label}: {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        # The database refuses it too; refusing here names the mistake before the query.
        if not self._state.adding:
            raise PermissionDenied("The audit log is append-only: an entry is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("The audit log is append-only: an entry is never deleted.")

    @property
    def action_label(self):
        from portage.audit import action_label

        return action_label(self.action)


class BatchRun(TenantOwned):
    """The outcome of a daily job for one tenant and one day, kept for the operator."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    job = models.CharField(_("job"), max_length=50)
    run_date = models.DateField(_("day"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"))
    summary = models.JSONField(_("summary"), default=dict, encoder=DjangoJSONEncoder)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("batch run")
        verbose_name_plural = _("batch runs")
        ordering = ["-run_date", "job"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "job", "run_date"], name="batchrun_one_per_tenant_job_day"
            )
        ]

    def __str__(self):
        return f"{self.job} {self.run_date}: {self.get_status_display()}"


class ApiKey(TenantOwned):
    """A key an accounting system uses to call the API for one company.

    Shown once when created; only its SHA-256 is kept (the key is 256 random bits, so a
    plain hash is enough). The prefix, kept in clear, finds it. Revoked, it answers 401.
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Read and write")

    name = models.CharField(_("name"), max_length=100, help_text=_("E.g. the accounting tool."))
    prefix = models.CharField(_("prefix"), max_length=16)
    key_hash = models.CharField(max_length=64)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default="read")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "prefix"], name="api_key_prefix_once"),
        ]
        indexes = [models.Index(fields=["prefix"], name="api_key_prefix")]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self):
        return self.revoked_at is None


class IdempotencyRecord(TenantOwned):
    """The first answer to an API POST sent with an `Idempotency-Key`: the same key with
    the same body gets it again without the work being done twice; with another body, 409.
    The unique constraint makes a concurrent twin wait for the first to finish."""

    principal = models.CharField(max_length=40)
    key = models.CharField(max_length=255)
    # The whole key's SHA-256: what the unique constraint compares.
    key_sha256 = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    body_sha256 = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "principal", "key_sha256"], name="idempotency_key_once"
            ),
        ]

    def __str__(self):
        return f"{self.method} {self.path} ({self.key})"


class SignInRecord(models.Model):
    """What sign-in remembers from one request to the next, kept in PostgreSQL so that it
    holds while Redis is down: allauth's rate-limit counts (failed passwords per address and
    per account, sign-ins per address) with their short locks, and the two-factor codes
    already used. `portage.cache` stores here every cache entry allauth makes for them.

    The key is an HMAC of the cache key (which names the address, or the user and the code),
    never the key itself; the value is what allauth stores (a list of timestamps, a marker).
    An expired row counts as absent, and is purged nightly."""

    key = models.CharField(max_length=64, primary_key=True)
    value = models.JSONField()
    expires_at = models.DateTimeField(null=True, db_index=True)

    def __str__(self):
        return self.key
