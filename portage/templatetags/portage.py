import re
from datetime import date
from decimal import Decimal

from django import template
from django.utils.safestring import mark_safe

from portage.audit import field_label
from portage.money import french_number, to_cents

register = template.Library()

NBSP = "\u00a0"


@register.filter
def audit_changes(entry):
    """Rows (field, before, after) of an audit entry, in a stable order, each field by its
    label (`portage.audit.field_label`), the numbers and dates written the French way."""
    before = entry.before or {}
    after = entry.after or {}
    names = list(before) + [name for name in after if name not in before]
    return [
        (
            field_label(entry.object_type, name),
            _audit_value(before.get(name)),
            _audit_value(after.get(name)),
        )
        for name in names
    ]


STORED_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+")
STORED_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _audit_value(value):
    """An audit entry keeps its values as JSON: "5000.00" and "2026-03-31" are shown
    "5 000,00" and "31/03/2026"; a mapping as "FA-2026-000001 : 5 000,00", a list joined."""
    if isinstance(value, dict):
        return ", ".join(f"{key} : {_audit_value(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(str(_audit_value(item)) for item in value)
    if isinstance(value, str) and STORED_DECIMAL.fullmatch(value):
        return french_number(Decimal(value), len(value.partition(".")[2]))
    if isinstance(value, str) and STORED_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return value


@register.filter
def euros(value):
    """1234.5 → "1 234,50 €" (French typography, narrow spaces)."""
    if value is None or value == "":
        return ""
    return f"{french_number(to_cents(value), 2)}{NBSP}€"


@register.filter
def amount(value):
    """Like `euros`, without the currency sign (for tables headed in euros)."""
    if value is None or value == "":
        return ""
    return french_number(to_cents(value), 2)


@register.filter
def percent(value):
    """20.00 → "20 %", 5.50 → "5,5 %"."""
    number = Decimal(value).normalize()
    text = f"{number:f}".replace(".", ",")
    return f"{text}{NBSP}%"


@register.filter
def rate(value):
    """An interest rate with its two decimals, as the rates are published: 12.4 → "12,40 %"."""
    return f"{french_number(Decimal(value), 2)}{NBSP}%"


@register.filter
def quantity(value):
    """2.500 → "2,5", 10.000 → "10"."""
    number = Decimal(value).normalize()
    return f"{number:f}".replace(".", ",")


@register.filter
def iban(value):
    """The IBAN in groups of four, as printed on documents."""
    value = (value or "").replace(" ", "")
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


@register.simple_tag(takes_context=True)
def page_url(context, number):
    """The current URL with `page` set to `number`, keeping the other parameters (filters)."""
    query = context["request"].GET.copy()
    query["page"] = number
    return f"?{query.urlencode()}"


STATUS_TONES = {
    "draft": "muted",
    "issued": "neutral",
    "partially_paid": "warn",
    "paid": "ok",
    "credited": "muted",
    "active": "ok",
    "reversed": "danger",
    "unmatched": "warn",
    "suggested": "neutral",
    "confirmed": "ok",
    "dismissed": "muted",
    "left": "muted",
    # Collections: cases, messages, letters, litigation files.
    "paused": "neutral",
    "disputed": "warn",
    "litigation": "danger",
    "time_barred": "muted",
    "below_minimum": "muted",
    "failed": "danger",
    "closed": "muted",
    "insurer": "neutral",
    "queued": "neutral",
    "sent": "ok",
    "to_post": "warn",
    "posted": "ok",
    "opened": "warn",
    "order_requested": "warn",
    "order_obtained": "warn",
    "enforcement": "danger",
    "settled": "ok",
    "lost": "danger",
}


@register.inclusion_tag("includes/badge.html")
def status_badge(obj, field="status"):
    """A coloured badge for the object's status (its display label, its tone)."""
    value = getattr(obj, field)
    return {"label": getattr(obj, f"get_{field}_display")(), "tone": STATUS_TONES.get(value)}


@register.filter
def overdue_days(invoice, today):
    """Days past the due date on `today` (0 when not due yet)."""
    if not invoice.due_date or not invoice.is_open:
        return 0
    return max((today - invoice.due_date).days, 0)


@register.filter
def pay_total(status, name):
    """The total of one column of a pay status."""
    return status.total(name)


@register.filter
def isodate(value):
    """ "2026-03-31" (as stored in JSON) → a date, for the `date` filter."""
    if not value:
        return None
    return value if isinstance(value, date) else date.fromisoformat(value)


@register.filter
def css_string(value):
    """`value` inside a double-quoted CSS string of a <style> block (a PDF's page footer):
    the HTML escapes would print as they are there ("L&#x27;Atelier"), so the text is
    escaped for CSS instead; `<` too, so it cannot close the block."""
    escaped = (
        str(value)
        .replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\A ")
        .replace("<", "\\3C ")
    )
    return mark_safe(escaped)  # noqa: S308 - escaped for the CSS string it goes into
