"""The pages read in French: the catalogue has every entry translated, and the main pages of
each role, rendered in French, show no English string of the catalogue."""

import html
import json
import re
from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse

from portage.models import Membership
from portage.permissions import Role
from tests.factories import (
    UserFactory,
    make_client,
    make_consultant,
    make_invoice,
    make_member,
    totp_secret_for,
)

pytestmark = pytest.mark.django_db

CATALOGUE = settings.BASE_DIR / "locale" / "fr" / "LC_MESSAGES" / "django.po"
ENTRY_LINE = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) (".*")$')
# What a translation fills in: %(name)s, %s, %%, {name}, and the HTML of a blocktranslate.
PLACEHOLDER = re.compile(r"%\([^)]*\)[sdf]|%[sdf]|%%|\{[a-z_]+\}|<[^>]+>")


def catalogue_entries():
    """The entries of the French catalogue, as dicts of their keys and `flags`."""
    entries, entry, key = [], None, None
    for line in [*CATALOGUE.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry and "msgid" in entry:
                entries.append(entry)
            entry, key = None, None
            continue
        entry = entry or {"flags": []}
        if line.startswith("#,"):
            entry["flags"] += [flag.strip() for flag in line[2:].split(",")]
        elif match := ENTRY_LINE.match(line):
            key = match[1]
            entry[key] = json.loads(match[2])
        elif line.startswith('"') and key:
            entry[key] += json.loads(line)
    return [entry for entry in entries if entry["msgid"]]


def english_fragments():
    """The English a page would show were its entry left untranslated: each msgid's parts
    between its placeholders, of two words at least, that its French does not contain."""
    fragments = set()
    for entry in catalogue_entries():
        french = " ".join(value for key, value in entry.items() if key.startswith("msgstr"))
        for msgid in (entry["msgid"], entry.get("msgid_plural", "")):
            for part in PLACEHOLDER.split(msgid):
                part = " ".join(part.split()).strip(" .,:;()«»“”—-")
                if len(part.split()) >= 2 and len(part) >= 10 and part not in french:
                    fragments.add(part)
    return fragments


def page_text(content):
    """What a person reads on the page: its text and the labels of its controls, not what
    the fields hold (a dunning step's English email is English on purpose)."""
    content = re.sub(r"(?s)<(script|style|textarea)\b.*?</\1>", " ", content)
    labels = re.findall(r'\b(?:title|aria-label|placeholder|alt)="([^"]*)"', content)
    text = re.sub(r"<[^>]+>", " ", content)
    return " ".join(html.unescape(" ".join([text, *labels])).split())


def test_every_entry_of_the_catalogue_is_translated():
    left = [
        entry["msgid"]
        for entry in catalogue_entries()
        if "fuzzy" in entry["flags"]
        or not all(value for key, value in entry.items() if key.startswith("msgstr"))
    ]
    assert left == []


def test_the_catalogue_reader_finds_the_english_of_an_entry():
    fragments = english_fragments()
    assert "Receiving the events" in fragments  # a webhook page's heading
    assert "Reply" not in fragments  # one word: too short to tell English from French


@pytest.fixture
def world(tenant_a, in_tenant):
    """A company with a consultant, a client and an overdue invoice."""
    consultant = make_consultant(tenant_a, full_name="Claire Martin")
    client = make_client(tenant_a, legal_name="Atelier Numérique")
    invoice = make_invoice(
        tenant_a, client=client, consultant=consultant, issued_on=date(2026, 1, 5)
    )
    return {"consultant": consultant, "client": client, "invoice": invoice}


def pages(role, world):
    invoice, client = world["invoice"], world["client"]
    by_role = {
        Role.ADMIN: [
            "dashboard",
            "company",
            "company_edit",
            "team",
            "member_invite",
            "audit_log",
            "api_key_list",
            "webhook_list",
            "consultant_list",
            "dunning_policy_list",
            "dunning_policy_create",
            "dunning_rates",
            "insurance_insurer_list",
            "insurance_policy_list",
            "insurance_policy_create",
            "insurance_blank_test_list",
            "accounting_chart",
            "einvoicing_settings",
        ],
        Role.COLLECTOR: [
            "dashboard",
            "dunning_worklist",
            "dunning_aging",
            ("dunning_client", client.pk),
            "dunning_letter_list",
            "dunning_message_list",
            "dunning_litigation_list",
            "invoice_list",
            ("invoice_detail", invoice.pk),
            "client_list",
            ("client_detail", client.pk),
            "payment_list",
            "payment_create",
            "bank_queue",
            "insurance_home",
            "insurance_declaration_list",
            "insurance_claim_list",
            "insurance_limit_list",
            "insurance_prospect_list",
            "einvoicing_board",
        ],
        Role.ACCOUNTANT: ["dashboard", "accounting_fec_export"],
        Role.CONSULTANT: [
            "dashboard",
            "portal_pay",
            ("portal_invoice", invoice.pk),
            "dunning_portal_tasks",
            "insurance_portal_prospects",
        ],
    }
    for page in by_role[role]:
        name, *args = page if isinstance(page, tuple) else (page,)
        yield reverse(name, args=args)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COLLECTOR, Role.ACCOUNTANT, Role.CONSULTANT])
def test_the_main_pages_of_each_role_show_no_english_of_the_catalogue(
    role, world, tenant_a, signed_in, in_tenant
):
    if role == Role.CONSULTANT:
        with in_tenant(tenant_a):
            membership = Membership.objects.get(user=world["consultant"].user, tenant=tenant_a)
    else:
        membership = make_member(tenant_a, role)
    browser = signed_in(membership)
    fragments = english_fragments()
    english = {}
    for url in pages(role, world):
        response = browser.get(url)
        assert response.status_code == 200, url
        text = page_text(response.content.decode())
        found = sorted(fragment for fragment in fragments if fragment in text)
        if found:
            english[url] = found
    assert english == {}


def test_the_platform_admin_speaks_french(client, db):
    operator = UserFactory(is_staff=True, is_superuser=True)
    totp_secret_for(operator)
    client.force_login(operator)
    text = page_text(client.get(reverse("admin:index")).content.decode())
    assert "Double authentification" in text
    assert "Authentificateurs" in text
    assert "MFA" not in text.split()
    assert "Authenticators" not in text


def test_a_page_shown_in_english_is_caught(signed_in, admin_a, client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = page_text(signed_in(admin_a).get(reverse("webhook_list")).content.decode())
    assert "Receiving the events" in {
        fragment for fragment in english_fragments() if fragment in text
    }


def test_the_webhook_signature_header_is_shown_as_written(signed_in, admin_a):
    page = signed_in(admin_a).get(reverse("webhook_list")).content.decode()
    assert "Portage-Signature: t=&lt;horodatage&gt;,v1=&lt;signature&gt;" in page


@pytest.mark.parametrize("name", ["dunning_aging", "dunning_message_list", "invoice_list"])
def test_the_filters_empty_choice_reads_all(name, signed_in, collector):
    page = signed_in(collector).get(reverse(name)).content.decode()
    assert '<option value="" selected>Tous</option>' in page
    assert "---------" not in page
