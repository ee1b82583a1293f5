"""Browser journey: a consultant on a 390 px phone reads where an invoice stands and when its
money is paid out, then their pay month by month and the notices of their clients' payments;
every page is as wide as the phone, the navigation a menu, the header readable."""

import re

from django.utils import translation
from django.utils.formats import date_format
from playwright.sync_api import expect

from invoices.pay import tenant_payout_date
from tests.browser.conftest import journey
from tests.browser.test_journeys import sign_in

pytestmark = journey
PHONE = {"width": 390, "height": 844}


def page_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def _luminance(rgb):
    channels = []
    for value in rgb:
        value /= 255
        channels.append(value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(page, selector):
    """The WCAG contrast ratio of the text of `selector` on the header's background."""
    colours = page.evaluate(
        """(selector) => {
          const rgb = (value) => value.match(/[\\d.]+/g).slice(0, 3).map(Number);
          const text = document.querySelector(selector);
          const style = getComputedStyle(text);
          return {
            text: rgb(style.color),
            opacity: Number(style.opacity),
            background: rgb(getComputedStyle(document.querySelector(".topbar")).backgroundColor),
          };
        }""",
        selector,
    )
    background = colours["background"]
    text = [
        colours["opacity"] * t + (1 - colours["opacity"]) * b
        for t, b in zip(colours["text"], background, strict=True)
    ]
    light, dark = sorted((_luminance(text), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_a_consultant_on_a_phone_reads_an_invoice_s_status_and_its_expected_pay_out_date(
    world, page, shots
):
    page.set_viewport_size(PHONE)
    sign_in(page, "consultant@horizon.example")
    expect(page.get_by_role("heading", name="Mes factures")).to_be_visible()
    assert page_width(page) == 390
    for selector in (".brand", ".tenant-name", ".usermenu .who", ".usermenu a"):
        assert contrast(page, selector) >= 4.5, selector
    shots("phone-home")

    # The navigation is a menu behind the header's button.
    menu = page.get_by_role("button", name="Menu")
    expect(page.locator("nav.sidenav")).to_be_hidden()
    menu.click()
    expect(page.locator("nav.sidenav").get_by_role("link", name="Ma rémunération")).to_be_visible()
    assert page_width(page) == 390
    shots("phone-menu")
    menu.click()
    expect(page.locator("nav.sidenav")).to_be_hidden()

    # An invoice the client is late to pay: where it stands, in words, and when it is paid out.
    late = page.locator("table.portal-invoices tbody tr").filter(
        has_text=re.compile(r"En attente du client depuis \d+ jours")
    )
    late.first.get_by_role("link", name=re.compile(r"FA-\d{4}-\d{6}")).click()
    story = page.locator("#where-it-stands")
    expect(story).to_contain_text(re.compile(r"En attente du client depuis \d+ jours"))
    expect(story).to_contain_text("Votre net")
    expect(story).to_contain_text("À risque")
    # Late, so paid out at the earliest by the rule applied to today: the last day of the
    # month after it.
    payout_on = tenant_payout_date(world["tenant"], world["today"])
    with translation.override("fr"):
        day = date_format(payout_on, "DATE_FORMAT")
    expect(story).to_contain_text(f"Versement prévu : le {day} au plus tôt")
    assert page_width(page) == 390
    shots("phone-invoice")

    # The pay page: month by month, each amount with its date and why it waits; the notices.
    menu.click()
    page.locator("nav.sidenav").get_by_role("link", name="Ma rémunération").click()
    expect(page.get_by_role("heading", name="Mois par mois")).to_be_visible()
    expected = page.locator("#month-by-month table.pay-expected tbody tr")
    # Each amount with its date and its reason (the column names are drawn by the style).
    expect(expected.first).to_contain_text(re.compile(r"\d{1,2} \w+ \d{4}"))
    expect(expected.filter(has_text="Attend le paiement du client").first).to_be_visible()
    notices = page.locator("#payment-notices")
    expect(notices).to_contain_text("L1254-25")
    expect(notices.locator("tbody tr").first).to_contain_text(re.compile(r"FA-\d{4}-\d{6}"))
    assert page_width(page) == 390
    shots("phone-pay")

    # The same pages on a laptop: the menu button is gone, the navigation is beside them.
    page.set_viewport_size({"width": 1366, "height": 900})
    expect(menu).to_be_hidden()
    expect(page.locator("nav.sidenav")).to_be_visible()
    assert page_width(page) == 1366
    shots("laptop-pay")
    page.locator("#payment-notices tbody tr").first.get_by_role("link").click()
    expect(page.locator("#where-it-stands")).to_be_visible()
    shots("laptop-invoice")
