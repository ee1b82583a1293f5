import datetime
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from portage.models import Membership, Tenant
from portage.money import french_number
from portage.permissions import Role
from portage.templatetags.portage import iban as iban_groups
from portage.validators import compact_bic, compact_iban, compact_siren, compact_vat_number

LOGO_MAX_BYTES = 2_000_000


# Spaces a person or a spreadsheet puts between thousands: ordinary, no-break, narrow
# no-break, thin.
THOUSANDS_SPACES = re.compile("[ \u00a0\u202f\u2009]+")
SIGNED_NUMBER = re.compile(
    r"(?P<sign>[-\u2212]?)(?P<whole>[0-9 ]*?)(?:(?P<mark>[.,])(?P<decimals>[0-9]+))?"
)
WHOLE_GROUPED = re.compile(r"[1-9][0-9]{0,2}( [0-9]{3})+")


class DecimalTextInput(forms.TextInput):
    """A text input with the phone's numeric keyboard (`inputmode="decimal"`), showing a
    stored number the French way ("2,40"); what the person typed is shown back as typed.
    A text input, not `type="number"`: that one reads and writes the browser's language."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
            return f"{Decimal(value):f}".replace(".", ",")
        return super().format_value(value)


class AmountField(forms.DecimalField):
    """An amount as French people type it, whatever the browser's language; parsed here,
    on the server.

    The rule:
    - the thousands may be separated by spaces (ordinary, no-break or narrow), in groups of
      three: "5 000,00", "12 500";
    - the decimals follow a comma, or a dot: "5000,00", "5000.00", "5 000.00";
    - a trailing "€" is allowed ("5 000,00 €"), and a leading minus;
    - refused, with a message that quotes what was typed: a dot and a comma together
      ("5.000,00", "5,000.00": which one is the decimal mark?), more than one mark
      ("1.000.000"), spaces that are not between groups of three ("50 00"), and, in a
      field of at most two decimals, a single mark followed by exactly three digits after
      one to three digits ("5.000", "5,000": five thousand or five?). A field of three
      decimals (a quantity, a percentage of three places) reads "2,500" as 2.5.

    Shown back the French way ("5000,00"), and the bounds in the errors too ("1 234,50").
    """

    widget = DecimalTextInput
    suffixes = ("€",)
    example = "5 000,00"
    default_error_messages = {
        "invalid": _(
            "“%(value)s” is not a number: type digits, with a space between the thousands "
            "and a comma before the decimals, as in %(example)s."
        ),
        "mixed_marks": _(
            "“%(value)s” has both a dot and a comma: separate the thousands with a space "
            "and the decimals with a comma, as in %(example)s."
        ),
        "ambiguous": _(
            "“%(value)s” can be read as %(thousands)s or as %(decimals)s: write "
            "%(thousands_typed)s for thousands, or %(decimals_typed)s."
        ),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
            return Decimal(value)
        typed = str(value).strip()
        text = typed
        for suffix in self.suffixes:
            text = text.removesuffix(suffix).strip()
        if text in self.empty_values:
            return None
        text = THOUSANDS_SPACES.sub(" ", text)
        shown = typed[:40]
        if "." in text and "," in text:
            raise self._error("mixed_marks", shown)
        match = SIGNED_NUMBER.fullmatch(text)
        if not match or (not match["whole"].replace(" ", "") and not match["decimals"]):
            raise self._error("invalid", shown)
        whole, decimals = match["whole"], match["decimals"] or ""
        if " " in whole and not WHOLE_GROUPED.fullmatch(whole):
            raise self._error("invalid", shown)
        whole = whole.replace(" ", "") or "0"
        if (
            len(decimals) == 3
            and whole == match["whole"]
            and len(whole) <= 3
            and not whole.startswith("0")
            and self.decimal_places is not None
            and self.decimal_places < 3
        ):
            raise self._ambiguous(shown, match["sign"], whole, decimals)
        try:
            number = Decimal(f"{match['sign'] and '-'}{whole}.{decimals or '0'}")
        except InvalidOperation:
            raise self._error("invalid", shown) from None
        return number if decimals else number.quantize(Decimal(1))

    def _error(self, code, shown, **params):
        return ValidationError(
            self.error_messages[code],
            code=code,
            params={"value": shown, "example": self.example, **params},
        )

    def _ambiguous(self, shown, sign, whole, decimals):
        sign = "-" if sign else ""
        thousands = Decimal(f"{sign}{whole}{decimals}")
        as_decimals = Decimal(f"{sign}{whole}.{decimals}")
        return self._error(
            "ambiguous",
            shown,
            thousands=french_number(thousands),
            decimals=french_number(as_decimals),
            thousands_typed=french_number(thousands, grouped=False),
            decimals_typed=french_number(as_decimals, self.decimal_places or None),
        )

    def run_validators(self, value):
        """The bounds in the messages written the French way: "1 234,50", not "1234.50"."""
        places = self.decimal_places if self.decimal_places in (0, 1, 2) else None
        try:
            super().run_validators(value)
        except ValidationError as error:
            for each in error.error_list:
                if each.params and isinstance(each.params.get("limit_value"), (Decimal, int)):
                    each.params = {
                        **each.params,
                        "limit_value": french_number(each.params["limit_value"], places),
                    }
            raise


class RateField(AmountField):
    """A rate or a percentage, typed as an amount is (see `AmountField`): "12,40", "0,350";
    a trailing "%" is allowed."""

    suffixes = ("%",)
    example = "12,40"


class QuantityField(AmountField):
    """A quantity (days, hours, units), typed as an amount is (see `AmountField`): "2,5"."""

    suffixes = ()
    example = "2,5"


# A day as French people write it, day first: "05/01/2027", "5/1/2027", "05.01.2027",
# "05-01-2027", "05 01 2027"; eight digits "05012027" (what a numeric keypad without a slash
# types); or ISO, year first, as the addresses of the pages carry it: "2027-01-05".
DAY_FIRST = re.compile(r"(?P<day>\d{1,2})(?P<mark>[/.\- ])(?P<month>\d{1,2})(?P=mark)(?P<year>\d+)")
DAY_FIRST_DIGITS = re.compile(r"(?P<day>\d{2})(?P<month>\d{2})(?P<year>\d{4})")
ISO_DATE = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})")
DATE_FORMAT = "%d/%m/%Y"


class DateTextInput(forms.DateInput):
    """A date typed as text, day first ("05/01/2027"), with the phone's numeric keyboard.
    A text input, not `type="date"`: that one shows the day in the browser's language
    (mm/dd/yyyy in an English browser). A stored date, or an ISO one, is shown day first;
    what the person typed is shown back as typed."""

    input_type = "text"

    def __init__(self, attrs=None):
        defaults = {
            "placeholder": _("dd/mm/yyyy"),
            "inputmode": "numeric",
            "autocomplete": "off",
            "maxlength": "10",
            "size": "10",
        }
        super().__init__(attrs={**defaults, **(attrs or {})}, format=DATE_FORMAT)

    def format_value(self, value):
        if isinstance(value, datetime.date):
            return value.strftime(DATE_FORMAT)
        if isinstance(value, str) and ISO_DATE.fullmatch(value.strip()):
            try:
                return datetime.date.fromisoformat(value.strip()).strftime(DATE_FORMAT)
            except ValueError:
                return value
        return super().format_value(value)


class FrenchDateField(forms.DateField):
    """A date as French people type it, whatever the browser's language; parsed here, on the
    server.

    The rule:
    - day first, then the month, then the year in four digits, separated by slashes, dots,
      dashes or spaces ("05/01/2027", "5/1/2027", "05.01.2027"), or eight digits
      ("05012027");
    - or ISO, year first with dashes ("2027-01-05"), as the pages' addresses carry a date;
    - refused, with a message that quotes what was typed: a year of two digits ("05/01/27":
      which century?), a month beyond 12 where the day could be the month ("01/25/2027",
      typed month first), a day that is not in the calendar ("31/02/2027"), anything else.

    Shown day first ("05/01/2027").
    """

    widget = DateTextInput
    example = "25/01/2027"
    default_error_messages = {
        "invalid": _(
            "“%(value)s” is not a date: type the day, the month and the year, as in %(example)s."
        ),
        "short_year": _("“%(value)s”: type the year with its four digits, as in %(example)s."),
        "month_first": _(
            "“%(value)s” has no month %(month)s: the day comes first, then the month, as in "
            "%(swapped)s."
        ),
        "no_such_day": _("“%(value)s” is not a day of the calendar: check the day and the month."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        typed = str(value).strip()
        shown = typed[:40]
        if typed in self.empty_values:
            return None
        text = THOUSANDS_SPACES.sub(" ", typed)
        match = (
            ISO_DATE.fullmatch(text)
            or DAY_FIRST.fullmatch(text)
            or DAY_FIRST_DIGITS.fullmatch(text)
        )
        if not match:
            raise self._error("invalid", shown)
        day, month, year = match["day"], match["month"], match["year"]
        if len(year) != 4:
            raise self._error("invalid" if len(year) > 4 else "short_year", shown)
        if int(month) > 12 and 1 <= int(day) <= 12:
            mark = match.groupdict().get("mark") or "/"
            swapped = mark.join((month.zfill(2), day.zfill(2), year))
            raise self._error("month_first", shown, month=month, swapped=swapped)
        try:
            return datetime.date(int(year), int(month), int(day))
        except ValueError:
            raise self._error("no_such_day", shown) from None

    def _error(self, code, shown, **params):
        return ValidationError(
            self.error_messages[code],
            code=code,
            params={"value": shown, "example": self.example, **params},
        )


COMPANY_FIELDS = [
    "legal_name",
    "legal_form",
    "share_capital",
    "siren",
    "rcs_city",
    "vat_number",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "iban",
    "bic",
    "logo",
    "invoice_prefix",
    "credit_note_prefix",
    "number_yearly_reset",
    "late_penalty_rate",
    "pay_model",
    "payout_months_after",
    "payout_day",
    "sender_name",
    "sender_email",
    "reply_to_email",
]


class CompactIdentifiersMixin:
    """Identifiers may be typed with spaces or dots: they are stored compact, then checked
    by the model's validators (python-stdnum). Django calls each hook only for the fields
    the form has."""

    def clean_siren(self):
        return compact_siren(self.cleaned_data["siren"])

    def clean_vat_number(self):
        return compact_vat_number(self.cleaned_data["vat_number"])

    def clean_iban(self):
        return compact_iban(self.cleaned_data["iban"])

    def clean_bic(self):
        return compact_bic(self.cleaned_data["bic"])

    def clean_country(self):
        return self.cleaned_data["country"].strip().upper()


class CompanyForm(CompactIdentifiersMixin, forms.ModelForm):
    """The portage company's identity, as printed on its invoices and letters.

    Identifiers may be typed with spaces or dots; they are stored compact, then checked.
    """

    siren = forms.CharField(label=_("SIREN"), max_length=20)
    vat_number = forms.CharField(label=_("VAT number"), max_length=30, required=False)
    iban = forms.CharField(label=_("IBAN"), max_length=50, required=False)
    bic = forms.CharField(label=_("BIC"), max_length=20, required=False)

    class Meta:
        model = Tenant
        fields = COMPANY_FIELDS
        field_classes = {"share_capital": AmountField, "late_penalty_rate": RateField}
        widgets = {"logo": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Shown in groups of four, as printed on the company's documents; stored compact.
        if self.initial.get("iban"):
            self.initial["iban"] = iban_groups(self.initial["iban"])

    def clean_country(self):
        country = super().clean_country()
        if not (len(country) == 2 and country.isalpha() and country.isascii()):
            raise forms.ValidationError(
                _("Give the country as its two-letter ISO code, such as FR or BE.")
            )
        return country

    def clean_logo(self):
        logo = self.cleaned_data["logo"]
        if isinstance(logo, UploadedFile):
            if logo.size > LOGO_MAX_BYTES:
                raise forms.ValidationError(
                    _("The logo is too large (%(size)s MB); keep it under 2 MB."),
                    params={"size": french_number(Decimal(logo.size) / 1_000_000, 1)},
                )
            if logo.image.format not in {"PNG", "JPEG"}:
                raise forms.ValidationError(_("The logo must be a PNG or JPEG image."))
        return logo


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class MemberRoleForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role"]


def add_service_error(form, error):
    """Put a service's refusal (a ValidationError) on the form, on the field it names when
    it names one of the form's fields, else on the form as a whole."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
