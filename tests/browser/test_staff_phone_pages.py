"""Browser check: an administrator and a collector on a 390 px phone open every page of
their navigation menu, and the pages those link to, and no page is wider than the phone
(lists are stacked rows, other tables scroll inside their card); on a 1366 px laptop the
same pages are as wide as the window."""

import re

from tests.browser.conftest import journey
from tests.browser.test_einvoicing_journey import sign_in_with_totp

pytestmark = journey
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
# Links that download a file or leave the company's pages.
NOT_A_PAGE = re.compile(
    r"(pdf|csv|export|download|xml|zip|fec|/admin/|/api/|/media/|/accounts/|/mfa/|/i18n/)", re.I
)


def links(page, selector):
    return page.evaluate(
        "(selector) => [...document.querySelectorAll(selector)].map(a => a.getAttribute('href'))",
        selector,
    )


def width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def pattern(url):
    """One page of each kind: /factures/7/ and /factures/9/ are the same page."""
    path, _, query = url.partition("?")
    keys = sorted(part.partition("=")[0] for part in query.split("&") if part)
    return re.sub(r"\d+", "N", path), tuple(keys)


def pages_of_the_menu(page):
    """The menu's pages, then one page of each kind they link to."""
    menu = links(page, "nav.sidenav a[href]")
    assert len(menu) >= 8, menu
    pages, seen = [], set()
    for url in menu:
        if pattern(url) not in seen:
            seen.add(pattern(url))
            pages.append(url)
    for url in menu:
        page.goto(url)
        for link in links(page, "main a[href]"):
            link = link.split("#")[0]
            if not link.startswith("/") or NOT_A_PAGE.search(link) or pattern(link) in seen:
                continue
            seen.add(pattern(link))
            pages.append(link)
    return menu, pages


def too_wide(page, url, viewport):
    response = page.goto(url)
    assert response.status == 200, url
    wide = width(page)
    return [f"{url}: {wide} px"] if wide > viewport["width"] else []


def check_every_page(page, email, secret, shots):
    page.set_viewport_size(PHONE)
    sign_in_with_totp(page, email, secret)
    menu, pages = pages_of_the_menu(page)
    wide = []
    for url in pages:
        wide += too_wide(page, url, PHONE)
    assert wide == [], f"wider than a 390 px phone: {wide}"
    page.goto(menu[1])
    shots("phone-" + email.partition("@")[0])

    page.set_viewport_size(LAPTOP)
    wide = []
    for url in menu:
        wide += too_wide(page, url, LAPTOP)
    assert wide == [], f"wider than a 1366 px laptop: {wide}"
    return menu, pages


def test_every_page_of_the_admin_s_menu_fits_a_phone(world, page, shots):
    menu, pages = check_every_page(page, "admin@horizon.example", world["totp"]["admin"], shots)
    # The administrator's menu reaches the company's settings; beyond it, the detail pages.
    assert {"/recouvrement/politiques/", "/equipe/", "/journal/"} <= set(menu)
    assert len(pages) > len(menu) + 20


def test_every_page_of_the_collector_s_menu_fits_a_phone(world, page, shots):
    menu, pages = check_every_page(
        page, "recouvrement@horizon.example", world["totp"]["recouvrement"], shots
    )
    assert "/recouvrement/" in menu and "/equipe/" not in menu
    # The worklist leads to a client's timeline, an invoice, the emails, the aging balance.
    reached = {pattern(url)[0] for url in pages}
    assert {"/recouvrement/clients/N/", "/factures/N/", "/recouvrement/emails/"} <= reached
