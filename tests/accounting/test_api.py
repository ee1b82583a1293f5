"""The accounting export through the API: entries as JSON, page by page, and the FEC file;
bad periods answer 400 in the house's error shape; each company sees its own entries."""

from datetime import date

import pytest

from portage.permissions import Role
from portage.tenancy import PLATFORM_DB
from tests.factories import make_client, make_invoice, make_member
from tests.helpers import api, key_for

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])

MARCH = "date_from=2026-03-01&date_to=2026-03-31"


def test_the_entries_of_a_period_come_page_by_page(tenant_a):
    client = make_client(tenant_a)
    first = make_invoice(tenant_a, client=client, issued_on=date(2026, 3, 2))
    second = make_invoice(tenant_a, client=client, issued_on=date(2026, 3, 3))
    _key, full = key_for(tenant_a)
    page = api(full).get(f"/api/v1/accounting/entries/?{MARCH}&page_size=1").json()
    (entry,) = page["results"]
    assert (entry["number"], entry["piece_ref"], entry["date"]) == (
        "VT000001",
        first.number,
        "2026-03-02",
    )
    assert [(line["account"], line["debit"], line["credit"]) for line in entry["lines"]] == [
        ("411000", "7200.00", "0.00"),
        ("706000", "0.00", "6000.00"),
        ("445711", "0.00", "1200.00"),
    ]
    assert entry["lines"][0]["aux_account"] == f"C{client.pk:06d}"
    assert page["previous"] is None
    following = api(full).get(page["next"]).json()
    assert [e["piece_ref"] for e in following["results"]] == [second.number]
    assert following["next"] is None
    assert api(full).get(following["previous"]).json()["results"] == page["results"]


def test_the_fec_comes_as_an_attachment_named_after_the_siren_and_the_closing_date(tenant_a):
    make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    _key, full = key_for(tenant_a)
    response = api(full).get(f"/api/v1/accounting/fec/?{MARCH}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=iso-8859-15"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{tenant_a.siren}FEC20260331.txt"'
    )
    lines = response.content.decode("iso8859_15").split("\r\n")
    assert lines[0].startswith("JournalCode\tJournalLib\tEcritureNum")
    assert [len(line.split("\t")) for line in lines[1:-1]] == [18, 18, 18]


# A missing or invalid date breaks the schema (400); two dates in the wrong order or over
# two years apart break the export's rule (422).
BAD_PERIODS = [
    ("date_to=2026-03-31", "date_from", 400, "invalid"),
    ("date_from=2026-03-01", "date_to", 400, "invalid"),
    ("date_from=2026-13-01&date_to=2026-03-31", "date_from", 400, "invalid"),
    ("date_from=2026-03-31&date_to=2026-03-01", "date_to", 422, "refused"),
    ("date_from=2020-01-01&date_to=2026-03-01", "date_to", 422, "refused"),
]


def test_a_missing_invalid_inverted_or_too_long_period_is_refused(tenant_a):
    _key, full = key_for(tenant_a)
    for route in ("entries", "fec"):
        for query, field, status, code in BAD_PERIODS:
            response = api(full).get(f"/api/v1/accounting/{route}/?{query}")
            assert response.status_code == status, (route, query)
            error = response.json()["error"]
            assert error["code"] == code and field in error["fields"], (route, query)


def test_a_cursor_that_was_not_given_answers_404(tenant_a):
    # As on every list: a cursor (any string, for the schema) that names no page.
    _key, full = key_for(tenant_a)
    for cursor in ("nonsense", "%18", "bz0tMQ=="):
        response = api(full).get(f"/api/v1/accounting/entries/?{MARCH}&cursor={cursor}")
        assert response.status_code == 404, cursor
        assert response.json()["error"]["code"] == "not_found", cursor


def test_each_company_s_key_exports_its_own_entries(tenant_a, tenant_b):
    mine = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    theirs = make_invoice(tenant_b, issued_on=date(2026, 3, 2))
    _key, full_a = key_for(tenant_a)
    _key, full_b = key_for(tenant_b)
    a = api(full_a).get(f"/api/v1/accounting/entries/?{MARCH}").json()["results"]
    b = api(full_b).get(f"/api/v1/accounting/entries/?{MARCH}").json()["results"]
    assert [e["piece_ref"] for e in a] == [mine.number]
    assert [e["piece_ref"] for e in b] == [theirs.number]
    fec_a = api(full_a).get(f"/api/v1/accounting/fec/?{MARCH}").content
    assert f"C{theirs.client_id:06d}".encode() not in fec_a


def test_a_consultant_signed_in_cannot_read_the_entries(tenant_a, client):
    client.force_login(make_member(tenant_a, Role.CONSULTANT).user)
    response = client.get(f"/api/v1/accounting/entries/?{MARCH}")
    assert response.status_code == 403
    assert client.get(f"/api/v1/accounting/fec/?{MARCH}").status_code == 403


def test_the_chart_is_read_and_changed_by_a_read_write_key_only(tenant_a, tenant_b):
    _key, read = key_for(tenant_a, "read")
    _key, write = key_for(tenant_a, "write")
    _key, other = key_for(tenant_b, "read")
    assert api(read).get("/api/v1/accounting/chart/").json()["client_account"] == "411000"
    change = {"client_account": "411100", "vat_account_10": "445711"}
    assert api(read).put("/api/v1/accounting/chart/", change, format="json").status_code == 403
    response = api(write).put("/api/v1/accounting/chart/", change, format="json")
    assert response.status_code == 200
    assert (response.json()["client_account"], response.json()["sales_account"]) == (
        "411100",
        "706000",
    )
    assert api(other).get("/api/v1/accounting/chart/").json()["client_account"] == "411000"
    refused = api(write).put(
        "/api/v1/accounting/chart/",
        {"sales_account": "411000", "bank_account": "5x"},
        format="json",
    )
    assert refused.status_code == 400
    assert set(refused.json()["error"]["fields"]) == {"bank_account"}
    # Digits, as the schema states, but not of the sales class (7): the chart's rule, 422.
    refused = api(write).put(
        "/api/v1/accounting/chart/", {"sales_account": "411000"}, format="json"
    )
    assert refused.status_code == 422
    assert set(refused.json()["error"]["fields"]) == {"sales_account"}
