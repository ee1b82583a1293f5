"""The insurer connectors: the HTTP one against the local simulator (signatures, retries that
never file twice, refusals, exact amounts), the manual one's CSV and PDF."""

import csv
import io
import socket
import time
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from insurance.connectors import (
    ClaimFiling,
    ConnectorError,
    LimitRequest,
    OverdueNotice,
    Refused,
    TemporaryFailure,
    get_connector,
)
from insurance.connectors.http import HttpConnector
from insurance.connectors.manual import ManualConnector
from tests.insurance.simulator import InsurerSimulator

TODAY = date(2025, 6, 2)


@pytest.fixture
def insurer():
    with InsurerSimulator(today=TODAY) as simulator:
        yield simulator


@pytest.fixture
def sleeps():
    """The backoff delays the connector asked for, instead of sleeping them."""
    return []


@pytest.fixture
def connect(insurer, sleeps):
    def connect(**options):
        settings = {
            "base_url": insurer.base_url,
            "api_key": insurer.api_key,
            "secret": insurer.secret,
            "timeout": 2,
            "sleep": sleeps.append,
            **options,
        }
        return HttpConnector(**settings)

    return connect


def overdue_notice(reference="OVD-2025-0001", total="1234.50"):
    return OverdueNotice(
        reference=reference,
        client_siren="552100554",
        client_name="Durand Ingénierie",
        invoices=(("F-2025-0042", date(2025, 4, 30), Decimal(total)),),
        total=Decimal(total),
    )


def claim_filing(reference="CLM-2025-0001", client_name="Durand Ingénierie"):
    return ClaimFiling(
        reference=reference,
        client_siren="552100554",
        client_name=client_name,
        invoices=(
            ("F-2025-0001", date(2025, 1, 10), date(2025, 2, 9), Decimal("7200.00")),
            ("F-2025-0007", date(2025, 2, 10), date(2025, 3, 12), Decimal("5145.67")),
        ),
        total=Decimal("12345.67"),
        declared_on=TODAY,
    )


def limit_request(siren, amount="50000.00"):
    return LimitRequest(
        reference=f"LIM-{siren}",
        client_siren=siren,
        client_name="Durand Ingénierie",
        client_country="FR",
        amount=Decimal(amount),
    )


def test_a_signed_declaration_is_received(insurer, connect):
    receipt = connect().declare_overdue(overdue_notice())

    assert receipt.status == "received"
    assert (
        receipt.insurer_reference
        == insurer.answer("overdues", "OVD-2025-0001")["insurer_reference"]
    )
    assert receipt.received_at is not None
    assert insurer.received[0].headers["Idempotency-Key"] == "OVD-2025-0001"
    assert len(insurer.filings("overdues")) == 1


def test_a_wrong_secret_is_refused_without_retry(insurer, connect, sleeps):
    with pytest.raises(Refused) as refusal:
        connect(secret="not-the-secret").declare_overdue(overdue_notice())

    assert refusal.value.status_code == 401
    assert refusal.value.reason == "invalid signature"
    assert insurer.filings("overdues") == []
    assert len(insurer.received) == 1
    assert sleeps == []


def test_a_stale_timestamp_is_refused(insurer, connect):
    an_hour_ago = time.time() - 3600

    with pytest.raises(Refused, match="stale timestamp"):
        connect(clock=lambda: an_hour_ago).file_claim(claim_filing())

    assert insurer.filings("claims") == []


def test_a_retry_after_a_500_files_once(insurer, connect, sleeps):
    insurer.fail_next(2, "500")

    receipt = connect().file_claim(claim_filing())

    assert len(insurer.filings("claims")) == 1
    assert (
        receipt.insurer_reference == insurer.answer("claims", "CLM-2025-0001")["insurer_reference"]
    )
    assert sleeps == [0.5, 2]


def test_a_retry_after_a_timeout_files_once(insurer, connect, sleeps):
    insurer.fail_next(1, "timeout")

    receipt = connect(timeout=0.2).file_claim(claim_filing())
    insurer.wait_until_idle()  # the slow first answer also ran to its end

    assert len(insurer.received) == 2
    assert len(insurer.filings("claims")) == 1
    assert (
        receipt.insurer_reference == insurer.answer("claims", "CLM-2025-0001")["insurer_reference"]
    )
    assert sleeps == [0.5]


def test_a_retry_after_a_lost_answer_returns_the_first_receipt(insurer, connect, sleeps):
    insurer.fail_next(1, "drop_after_store")

    receipt = connect().file_claim(claim_filing())

    kept = insurer.answer("claims", "CLM-2025-0001")
    assert len(insurer.filings("claims")) == 1
    assert receipt.insurer_reference == kept["insurer_reference"]
    assert receipt.received_at.isoformat() == kept["received_at"]
    assert sleeps == [0.5]


def test_sending_the_same_claim_twice_files_it_once(insurer, connect):
    connector = connect()

    first = connector.file_claim(claim_filing())
    second = connector.file_claim(claim_filing())

    assert second == first
    assert len(insurer.filings("claims")) == 1


def test_the_same_reference_with_another_content_is_refused(insurer, connect):
    connector = connect()
    connector.declare_overdue(overdue_notice(total="1234.50"))

    with pytest.raises(Refused) as refusal:
        connector.declare_overdue(overdue_notice(total="999.00"))

    assert refusal.value.status_code == 422
    assert insurer.filings("overdues")[0]["total"] == "1234.50"


def test_a_refusal_carries_the_insurers_reason_and_is_not_retried(insurer, connect, sleeps):
    insurer.fail_next(1, "refuse", reason="Acheteur en procédure collective")

    with pytest.raises(Refused) as refusal:
        connect().file_claim(claim_filing())

    assert refusal.value.reason == "Acheteur en procédure collective"
    assert refusal.value.status_code == 400
    assert len(insurer.received) == 1
    assert sleeps == []


def test_every_attempt_failing_is_a_temporary_failure_after_the_backoff(insurer, connect, sleeps):
    insurer.fail_next(4, "500")

    with pytest.raises(TemporaryFailure):
        connect().declare_overdue(overdue_notice())

    assert len(insurer.received) == 4
    assert sleeps == [0.5, 2, 8]
    assert insurer.filings("overdues") == []


def test_more_attempts_than_delays_repeat_the_last_delay(insurer, connect, sleeps):
    insurer.fail_next(6, "500")

    with pytest.raises(TemporaryFailure):
        connect(max_attempts=6).declare_overdue(overdue_notice())

    assert sleeps == [0.5, 2, 8, 8, 8]


def test_an_insurer_refusing_connections_is_a_temporary_failure(connect, sleeps):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    with pytest.raises(TemporaryFailure):
        connect(base_url=f"http://127.0.0.1:{closed_port}").declare_overdue(overdue_notice())

    assert sleeps == [0.5, 2, 8]


@pytest.mark.parametrize(
    ("siren", "status", "amount", "grade"),
    [
        ("552100554", "granted", Decimal("50000.00"), "3"),
        ("552100553", "partial", Decimal("25000.00"), "6"),
        ("552100550", "refused", Decimal("0.00"), "9"),
    ],
)
def test_limit_decisions_come_back_from_the_insurer(connect, siren, status, amount, grade):
    decision = connect().request_limit(limit_request(siren))

    assert (decision.status, decision.amount, decision.grade) == (status, amount, grade)
    assert decision.reference == f"LIM-{siren}"
    assert decision.insurer_reference.startswith("LIM-")
    if status == "refused":
        assert decision.valid_from is None
    else:
        assert (decision.valid_from, decision.valid_until) == (TODAY, date(2026, 6, 2))


def test_amounts_travel_as_strings_and_come_back_exactly(insurer, connect):
    decision = connect().request_limit(limit_request("552100554", amount="12345.67"))

    assert insurer.filings("limits")[0]["amount"] == "12345.67"
    assert decision.amount == Decimal("12345.67")
    assert str(decision.amount) == "12345.67"


def test_claim_status_round_trip(insurer, connect):
    connector = connect()
    receipt = connector.file_claim(claim_filing())
    assert connector.claim_status("CLM-2025-0001").status == "filed"

    insurer.decide_claim(
        "CLM-2025-0001",
        status="partially_indemnified",
        indemnity_amount=Decimal("9610.10"),
        paid_on=date(2025, 9, 15),
        reason="Franchise de 1 500 € déduite",
    )
    status = connector.claim_status("CLM-2025-0001")

    assert status.insurer_reference == receipt.insurer_reference
    assert status.status == "partially_indemnified"
    assert status.indemnity_amount == Decimal("9610.10")
    assert status.paid_on == date(2025, 9, 15)
    assert status.reason == "Franchise de 1 500 € déduite"


def test_the_status_of_an_unknown_claim_is_refused(connect):
    with pytest.raises(Refused) as refusal:
        connect().claim_status("CLM-NEVER-FILED")

    assert refusal.value.status_code == 404


def test_plain_http_is_only_for_the_local_simulator():
    with pytest.raises(ValueError, match="HTTPS"):
        HttpConnector("http://api.insurer.example", api_key="k", secret="s")


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        LimitRequest("LIM-1", "552100554", "Durand", "FR", amount=50000.0)


def test_get_connector_builds_each_kind(insurer):
    http = get_connector("http", base_url=insurer.base_url, api_key="k", secret="s")
    manual = get_connector("manual", company_name="Alpha Portage")

    assert isinstance(http, HttpConnector)
    assert isinstance(manual, ManualConnector)
    with pytest.raises(ValueError, match="unknown connector kind"):
        get_connector("fax")


def test_a_manual_limit_request_waits_for_a_person():
    decision = ManualConnector().request_limit(limit_request("552100554"))

    assert decision.status == "pending"
    assert decision.amount == Decimal("0.00")


def test_manual_declarations_and_claims_are_to_send():
    connector = ManualConnector()

    assert connector.declare_overdue(overdue_notice()).status == "to_send"
    assert connector.file_claim(claim_filing()).status == "to_send"


def test_a_manual_claim_status_is_entered_by_hand():
    with pytest.raises(ConnectorError, match="entered by hand"):
        ManualConnector().claim_status("CLM-2025-0001")


def test_the_manual_claim_csv_reads_back():
    content = ManualConnector().documents_csv(claim_filing(client_name='Durand; "Fils" SARL'))

    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        [
            "Référence",
            "SIREN client",
            "Client",
            "N° facture",
            "Date de facture",
            "Échéance",
            "Montant impayé (EUR)",
            "Date de déclaration",
        ],
        [
            "CLM-2025-0001",
            "552100554",
            'Durand; "Fils" SARL',
            "F-2025-0001",
            "10/01/2025",
            "09/02/2025",
            "7200,00",
            "02/06/2025",
        ],
        [
            "CLM-2025-0001",
            "552100554",
            'Durand; "Fils" SARL',
            "F-2025-0007",
            "10/02/2025",
            "12/03/2025",
            "5145,67",
            "02/06/2025",
        ],
    ]


def test_the_manual_overdue_csv_has_one_row_per_invoice():
    content = ManualConnector().documents_csv(overdue_notice())

    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][-2:] == ["Échéance", "Montant impayé (EUR)"]
    assert rows[1:] == [
        ["OVD-2025-0001", "552100554", "Durand Ingénierie", "F-2025-0042", "30/04/2025", "1234,50"]
    ]


def test_the_manual_claim_pdf_lists_the_invoices_and_the_total():
    connector = ManualConnector(company_name="Alpha Portage", insurer_name="Allianz Trade")

    content = connector.documents_pdf(claim_filing(client_name="Durand & <Fils>"))

    assert content.startswith(b"%PDF")
    text = " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split()
    )
    assert "Déclaration de sinistre" in text
    assert "Alpha Portage" in text
    assert "Durand & <Fils>" in text
    assert "F-2025-0001" in text
    assert "F-2025-0007" in text
    assert "12 345,67 €" in text
