"""Dates typed as French people type them, day first, read on the server whatever the
browser's language (portage.forms.FrenchDateField); cases worked by hand, and the pages that
take a date."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from invoices.models import Payment
from portage.forms import FrenchDateField
from tests.factories import make_invoice

NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def _french():
    with translation.override("fr"):
        yield


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("05/01/2027", date(2027, 1, 5)),
        ("5/1/2027", date(2027, 1, 5)),
        ("05.01.2027", date(2027, 1, 5)),
        ("05-01-2027", date(2027, 1, 5)),
        ("05 01 2027", date(2027, 1, 5)),
        (f"05{NBSP}01{NBSP}2027", date(2027, 1, 5)),
        ("05012027", date(2027, 1, 5)),
        ("  31/12/2026 ", date(2026, 12, 31)),
        ("29/02/2028", date(2028, 2, 29)),
        ("2027-01-05", date(2027, 1, 5)),
    ],
)
def test_a_date_is_read_day_first_or_in_iso(typed, day):
    assert FrenchDateField().clean(typed) == day


def test_a_date_or_a_datetime_given_as_such_is_kept():
    assert FrenchDateField().clean(date(2027, 1, 5)) == date(2027, 1, 5)
    assert FrenchDateField().clean(datetime(2027, 1, 5, 14, 30)) == date(2027, 1, 5)


def test_an_empty_date_is_none_or_required():
    assert FrenchDateField(required=False).clean("  ") is None
    with pytest.raises(forms.ValidationError) as error:
        FrenchDateField().clean("")
    assert [each.code for each in error.value.error_list] == ["required"]


def messages(typed):
    with pytest.raises(forms.ValidationError) as error:
        FrenchDateField().clean(typed)
    return [(each.code, str(each.message % each.params)) for each in error.value.error_list]


def test_a_year_of_two_digits_is_refused_as_ambiguous():
    assert messages("05/01/27") == [
        (
            "short_year",
            "« 05/01/27 » : tapez l'année avec ses quatre chiffres, comme dans 25/01/2027.",
        )
    ]


def test_a_date_typed_month_first_is_refused_with_the_day_first_version():
    assert messages("01/25/2027") == [
        (
            "month_first",
            "« 01/25/2027 » n'a pas de mois 25 : le jour vient d'abord, puis le mois, "
            "comme dans 25/01/2027.",
        )
    ]


@pytest.mark.parametrize("typed", ["31/02/2027", "29/02/2027", "00/01/2027", "32/13/2027"])
def test_a_day_that_is_not_in_the_calendar_is_refused(typed):
    assert messages(typed) == [
        (
            "no_such_day",
            f"« {typed} » n'est pas un jour du calendrier : vérifiez le jour et le mois.",
        )
    ]


@pytest.mark.parametrize(
    "typed",
    ["05/01", "janvier 2027", "2027/01/05", "05/01-2027", "05/01/02027", "2027-1-5", "1/1"],
)
def test_what_is_not_a_date_is_refused_naming_what_was_typed(typed):
    assert messages(typed) == [
        (
            "invalid",
            f"« {typed} » n'est pas une date : tapez le jour, le mois puis l'année, "
            "comme dans 25/01/2027.",
        )
    ]


def test_the_input_is_a_text_input_with_the_numeric_keyboard_showing_the_day_first():
    class Form(forms.Form):
        on = FrenchDateField()

    html = str(Form(initial={"on": date(2027, 1, 5)})["on"])
    assert 'type="text"' in html and 'type="date"' not in html
    assert 'inputmode="numeric"' in html
    assert 'placeholder="jj/mm/aaaa"' in html
    assert 'value="05/01/2027"' in html
    # A date the page's address carries in ISO is shown day first too.
    assert 'value="05/01/2027"' in str(Form(initial={"on": "2027-01-05"})["on"])
    # What was typed is shown back as typed, with the error.
    bound = Form(data={"on": "01/25/2027"})
    assert not bound.is_valid()
    assert 'value="01/25/2027"' in str(bound["on"])


def test_the_placeholder_follows_the_page_s_language_but_the_order_stays_day_first():
    with translation.override("en"):
        field = FrenchDateField()
        html = field.widget.render("on", date(2027, 1, 5))
        assert 'placeholder="dd/mm/yyyy"' in html and 'value="05/01/2027"' in html
        assert field.clean("05/01/2027") == date(2027, 1, 5)


# The pages


@pytest.mark.django_db
def test_a_payment_typed_05_01_2027_in_an_english_browser_is_received_on_5_january_2027(
    signed_in, collector, tenant_a, in_tenant
):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 12, 1))
    browser = signed_in(collector)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = browser.get(reverse("payment_create") + f"?client={invoice.client_id}")
    html = page.content.decode()
    assert 'name="received_on"' in html and 'placeholder="dd/mm/yyyy"' in html
    assert 'type="date"' not in html
    response = browser.post(
        reverse("payment_create") + f"?client={invoice.client_id}",
        {
            "amount": "100,00",
            "received_on": "05/01/2027",
            "method": "transfer",
            "reference": "VIR 1",
            f"allocate_{invoice.pk}": "100,00",
        },
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        payment = Payment.objects.get()
    assert (payment.received_on, payment.amount) == (date(2027, 1, 5), Decimal("100.00"))


@pytest.mark.django_db
def test_a_payment_typed_month_first_is_refused_and_nothing_is_recorded(
    signed_in, collector, tenant_a, in_tenant
):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 12, 1))
    response = signed_in(collector).post(
        reverse("payment_create") + f"?client={invoice.client_id}",
        {
            "amount": "100,00",
            "received_on": "01/25/2027",
            "method": "transfer",
            f"allocate_{invoice.pk}": "100,00",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["received_on"] == [
        "« 01/25/2027 » n'a pas de mois 25 : le jour vient d'abord, puis le mois, "
        "comme dans 25/01/2027."
    ]
    assert "pas de mois 25" in response.content.decode()
    with in_tenant(tenant_a):
        assert not Payment.objects.exists()


@pytest.mark.django_db
def test_the_invoice_list_filters_on_a_due_date_typed_day_first(signed_in, collector, tenant_a):
    early = make_invoice(tenant_a, issued_on=date(2026, 11, 2))
    late = make_invoice(tenant_a, issued_on=date(2026, 12, 20))
    browser = signed_in(collector)
    page = browser.get(reverse("invoice_list"), {"due_after": "05/01/2027"})
    assert page.status_code == 200
    shown = {invoice.pk for invoice in page.context["page"].object_list}
    assert (early.due_date < date(2027, 1, 5) <= late.due_date) is True
    assert shown == {late.pk}
    assert 'value="05/01/2027"' in page.content.decode()
