"""The PA connectors: the HTTP one against the local PA simulator (deposits that never happen
twice, refusals, lifecycle statuses by flow, by search and by webhook, the directory), the
manual one's receipts and CSV files."""

import csv
import io
import json
import socket
import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from einvoicing.connectors import (
    DirectoryEntry,
    InvoiceFlow,
    PaymentReport,
    Refused,
    ReportedPayment,
    StatusMessage,
    TemporaryFailure,
    get_connector,
)
from einvoicing.connectors.http import HttpConnector
from einvoicing.connectors.manual import ManualConnector, payment_report_csv, status_csv
from tests.einvoicing.simulator import PlatformSimulator

SELLER = "552100554"
BUYER = "732829320"
BUYER_SIRET = "73282932000074"
PDF = b"%PDF-1.7\n% a Factur-X invoice\n\x00\x01\x02binary\r\n--not-a-boundary\r\n"


class Clock:
    """The simulator's time: one second later at each reading, so that every flow and
    status has its own moment."""

    def __init__(self):
        self.now = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)

    def __call__(self):
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def platform():
    with PlatformSimulator(clock=Clock()) as simulator:
        yield simulator


@pytest.fixture
def sleeps():
    """The backoff delays the connector asked for, instead of sleeping them."""
    return []


@pytest.fixture
def connect(platform, sleeps):
    def connect(**options):
        settings = {
            "base_url": platform.base_url,
            "api_key": platform.api_key,
            "secret": platform.secret,
            "timeout": 2,
            "sleep": sleeps.append,
            **options,
        }
        return HttpConnector(**settings)

    return connect


def invoice_flow(reference="DEP-2026-0042", number="F-2026-0042", content=PDF):
    return InvoiceFlow(
        reference=reference,
        invoice_number=number,
        issue_date=date(2026, 9, 30),
        seller_siren=SELLER,
        buyer_siren=BUYER,
        buyer_address=BUYER,
        filename=f"{number}.pdf",
        content=content,
    )


def collected(
    *,
    reference="212-2026-0001",
    number="F-2026-0042",
    by_rate=(("20.00", "1134.50"), ("10.00", "100.00")),
    corrects="",
):
    """A 212 on the invoice of `invoice_flow`: 1 234,50 collected, 1 134,50 at 20 % and
    100,00 at 10 %."""
    amounts = tuple((Decimal(rate), Decimal(amount)) for rate, amount in by_rate)
    return StatusMessage(
        reference=reference,
        invoice_number=number,
        invoice_issue_date=date(2026, 9, 30),
        seller_siren=SELLER,
        buyer_siren=BUYER,
        buyer_address=BUYER,
        code="212",
        amount=sum(amount for _rate, amount in amounts),
        amounts_by_rate=amounts,
        collected_on=date(2026, 10, 15),
        issued_at=datetime(2026, 10, 15, 9, 30, tzinfo=UTC),
        corrects=corrects,
    )


def correction(reference="212-2026-0002", corrects="212-2026-0001"):
    return collected(
        reference=reference,
        by_rate=(("20.00", "-1134.50"), ("10.00", "-100.00")),
        corrects=corrects,
    )


def payment_report(reference="ERP-2026-10"):
    return PaymentReport(
        reference=reference,
        seller_siren=SELLER,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        payments=(
            ("F-2026-0050", date(2026, 9, 2), date(2026, 10, 3), Decimal("600.00")),
            ReportedPayment(
                "F-2026-0051",
                date(2026, 9, 9),
                date(2026, 10, 20),
                Decimal("645.67"),
                amounts_by_rate=(
                    (Decimal("20.00"), Decimal("545.67")),
                    (Decimal("10.00"), Decimal("100.00")),
                ),
            ),
        ),
        total=Decimal("1245.67"),
    )


# Deposits


def test_an_invoice_is_deposited_with_its_flow_info(platform, connect):
    receipt = connect().submit_invoice(invoice_flow())

    flow = platform.flow_of("DEP-2026-0042")
    assert receipt.status == "deposited"
    assert receipt.flow_id == flow.flow_id
    assert receipt.received_at is not None
    assert flow.content == PDF
    assert flow.flow_type == "CustomerInvoice"
    assert flow.info["trackingId"] == "DEP-2026-0042"
    assert flow.info["name"] == "F-2026-0042.pdf"
    assert (flow.info["flowSyntax"], flow.info["flowProfile"]) == ("Factur-X", "CIUS")
    assert platform.received[0].headers["Authorization"] == "Bearer sim-key"
    assert len(platform.flows("CustomerInvoice")) == 1


def test_a_deposit_is_answered_with_200_deposee(platform, connect):
    connector = connect()
    receipt = connector.submit_invoice(invoice_flow())

    (status,) = connector.flow_statuses(receipt.flow_id)

    assert (status.code, status.sender) == ("200", "platform")
    assert status.flow_id == receipt.flow_id
    assert status.event_id == platform.statuses(receipt.flow_id)[0]["flowId"]
    assert status.invoice_number == "F-2026-0042"
    assert status.reference == "DEP-2026-0042"


def test_a_retry_after_a_500_deposits_once(platform, connect, sleeps):
    platform.fail_next(2, "500")

    receipt = connect().submit_invoice(invoice_flow())

    assert len(platform.flows("CustomerInvoice")) == 1
    assert receipt.flow_id == platform.flow_of("DEP-2026-0042").flow_id
    assert sleeps == [0.5, 2]


def test_a_retry_after_a_timeout_deposits_once(platform, connect, sleeps):
    platform.fail_next(1, "timeout")

    receipt = connect(timeout=0.2).submit_invoice(invoice_flow())
    platform.wait_until_idle()  # the slow first answer also ran to its end

    assert len(platform.received) == 2
    assert len(platform.flows("CustomerInvoice")) == 1
    assert receipt.flow_id == platform.flow_of("DEP-2026-0042").flow_id
    assert sleeps == [0.5]


def test_a_retry_after_a_lost_answer_returns_the_first_flow(platform, connect, sleeps):
    platform.fail_next(1, "drop_after_store")

    receipt = connect().submit_invoice(invoice_flow())

    first = platform.flow_of("DEP-2026-0042")
    assert len(platform.flows("CustomerInvoice")) == 1
    assert receipt.flow_id == first.flow_id
    assert receipt.received_at.isoformat() == first.resource["submittedAt"]
    assert len(platform.statuses(first.flow_id)) == 1
    assert sleeps == [0.5]


def test_depositing_the_same_invoice_twice_keeps_one_flow(platform, connect):
    connector = connect()

    first = connector.submit_invoice(invoice_flow())
    second = connector.submit_invoice(invoice_flow())

    assert second == first
    assert len(platform.flows("CustomerInvoice")) == 1


def test_the_same_reference_with_another_file_is_refused(platform, connect):
    connector = connect()
    connector.submit_invoice(invoice_flow())

    with pytest.raises(Refused) as refusal:
        connector.submit_invoice(invoice_flow(content=PDF + b"changed"))

    assert refusal.value.status_code == 422
    assert platform.flow_of("DEP-2026-0042").content == PDF


def test_a_refusal_carries_the_platforms_reason_and_is_not_retried(platform, connect, sleeps):
    platform.fail_next(1, "refuse", reason="Fichier Factur-X illisible")

    with pytest.raises(Refused) as refusal:
        connect().submit_invoice(invoice_flow())

    assert refusal.value.reason == "Fichier Factur-X illisible"
    assert refusal.value.status_code == 400
    assert len(platform.received) == 1
    assert sleeps == []


def test_a_file_that_is_not_a_pdf_is_refused_as_factur_x(connect):
    with pytest.raises(Refused, match="a Factur-X file is a PDF"):
        connect().submit_invoice(invoice_flow(content=b"<xml/>"))


def test_too_many_requests_are_retried(platform, connect, sleeps):
    platform.fail_next(2, "429")

    receipt = connect().submit_invoice(invoice_flow())

    assert receipt.status == "deposited"
    assert len(platform.flows("CustomerInvoice")) == 1
    assert sleeps == [0.5, 2]


def test_every_attempt_failing_is_a_temporary_failure_after_the_backoff(platform, connect, sleeps):
    platform.fail_next(4, "500")

    with pytest.raises(TemporaryFailure):
        connect().submit_invoice(invoice_flow())

    assert len(platform.received) == 4
    assert sleeps == [0.5, 2, 8]
    assert platform.flows() == []


def test_a_platform_refusing_connections_is_a_temporary_failure(connect, sleeps):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    with pytest.raises(TemporaryFailure):
        connect(base_url=f"http://127.0.0.1:{closed_port}").submit_invoice(invoice_flow())

    assert sleeps == [0.5, 2, 8]


def test_a_wrong_secret_is_refused_without_retry(platform, connect, sleeps):
    with pytest.raises(Refused) as refusal:
        connect(secret="not-the-secret").submit_invoice(invoice_flow())

    assert refusal.value.status_code == 401
    assert refusal.value.reason == "invalid signature"
    assert platform.flows() == []
    assert sleeps == []


def test_a_stale_timestamp_is_refused(platform, connect):
    an_hour_ago = time.time() - 3600

    with pytest.raises(Refused, match="stale timestamp"):
        connect(clock=lambda: an_hour_ago).submit_invoice(invoice_flow())

    assert platform.flows() == []


# Lifecycle statuses


def test_an_invoice_failing_the_platforms_checks_is_rejected_with_its_reason(platform, connect):
    platform.reject(
        lambda info, content: info["name"].startswith("F-2026-0666"),
        reason_code="REJ_SEMAN",
        reason_text="SIREN de l'acheteur absent",
    )
    connector = connect()
    kept = connector.submit_invoice(invoice_flow())
    rejected = connector.submit_invoice(
        invoice_flow(reference="DEP-2026-0666", number="F-2026-0666")
    )

    (status,) = connector.flow_statuses(rejected.flow_id)

    assert (status.code, status.sender) == ("213", "platform")
    assert (status.reason_code, status.reason_text) == ("REJ_SEMAN", "SIREN de l'acheteur absent")
    assert [s.code for s in connector.flow_statuses(kept.flow_id)] == ["200"]


def test_the_statuses_of_a_flow_carry_their_sender_reason_and_amount(platform, connect):
    connector = connect()
    flow_id = connector.submit_invoice(invoice_flow()).flow_id
    platform.emit_status(flow_id, "206", sender="buyer", amount=Decimal("1000.10"))
    platform.emit_status(
        flow_id, "207", sender="buyer", reason_code="LITIGE", reason_text="Jours contestés"
    )
    platform.emit_status(
        flow_id, "210", sender="buyer", reason_code="DEST_ERR", reason_text="Pas notre commande"
    )

    deposited, partly, disputed, refused = connector.flow_statuses(flow_id)

    assert deposited.code == "200"
    assert (partly.code, partly.amount) == ("206", Decimal("1000.10"))
    assert (disputed.code, disputed.sender, disputed.reason_code) == ("207", "buyer", "LITIGE")
    assert disputed.reason_text == "Jours contestés"
    assert (refused.code, refused.reason_code) == ("210", "DEST_ERR")
    assert refused.reason_text == "Pas notre commande"
    assert refused.issued_at > disputed.issued_at > deposited.issued_at
    assert len({s.event_id for s in (deposited, partly, disputed, refused)}) == 4


def test_a_status_code_the_platform_does_not_know_is_left_out(platform, connect):
    connector = connect()
    flow_id = connector.submit_invoice(invoice_flow()).flow_id
    platform.emit_status(flow_id, "225", sender="seller")

    assert [status.code for status in connector.flow_statuses(flow_id)] == ["200"]


def test_the_status_of_an_unknown_flow_is_refused(connect):
    with pytest.raises(Refused) as refusal:
        connect().flow_statuses("FLOW-NEVER")

    assert refusal.value.status_code == 404


def test_statuses_since_returns_only_the_newer_ones(platform, connect):
    connector = connect()
    flow_id = connector.submit_invoice(invoice_flow()).flow_id
    since = platform.clock()
    taken = platform.emit_status(flow_id, "204", sender="buyer")
    disputed = platform.emit_status(flow_id, "207", sender="buyer", reason_code="LITIGE")

    statuses = connector.statuses_since(since)

    assert [(s.code, s.event_id) for s in statuses] == [("204", taken), ("207", disputed)]
    assert statuses[1].reason_code == "LITIGE"
    assert all(status.flow_id == flow_id for status in statuses)


def test_statuses_since_reads_every_page(platform, connect):
    connector = connect()
    flow_id = connector.submit_invoice(invoice_flow()).flow_id
    for _ in range(120):
        platform.emit_status(flow_id, "211", sender="buyer")

    statuses = connector.statuses_since(datetime(2026, 1, 1, tzinfo=UTC))

    assert len(statuses) == 121
    assert len(platform.received) == 3  # the deposit and two pages


def test_statuses_since_leaves_out_the_flows_the_company_sent(platform, connect):
    connector = connect()
    connector.submit_invoice(invoice_flow())
    since = platform.clock()
    connector.send_status(collected())

    assert connector.statuses_since(since) == ()


# The seller's statuses and the payment e-reporting


def test_a_212_is_sent_as_a_cdar_lifecycle_flow_with_its_amount_per_vat_rate(platform, connect):
    connector = connect()
    connector.submit_invoice(invoice_flow())

    receipt = connector.send_status(collected())

    (flow,) = platform.flows("CustomerInvoiceLC")
    assert receipt.flow_id == flow.flow_id
    assert flow.info["flowSyntax"] == "CDAR"
    assert flow.info["trackingId"] == "212-2026-0001"
    assert flow.info["name"] == "212-2026-0001.xml"
    assert flow.content.startswith(b"<?xml")
    document = flow.document()
    assert document["guideline"] == "urn.cpro.gouv.fr:1p0:CDV:invoice"
    assert document["statusCode"] == "212"
    assert (document["invoiceId"], document["invoiceIssueDate"]) == ("F-2026-0042", "20260930")
    assert (document["sellerSiren"], document["buyerSiren"]) == (SELLER, BUYER)
    assert document["collectedOn"] == "20261015"
    assert document["amounts"] == [("20.00", "1134.50", "EUR"), ("10.00", "100.00", "EUR")]
    assert document["amount"] == "1234.50"


def test_a_212_correction_has_the_opposite_amounts_and_names_the_212_it_corrects(platform, connect):
    connector = connect()
    connector.submit_invoice(invoice_flow())
    connector.send_status(collected())

    connector.send_status(correction())

    document = platform.flow_of("212-2026-0002").document()
    assert document["amounts"] == [("20.00", "-1134.50", "EUR"), ("10.00", "-100.00", "EUR")]
    assert document["corrects"] == "212-2026-0001"
    assert len(platform.flows("CustomerInvoiceLC")) == 2


def test_a_negative_212_naming_no_212_is_refused(connect):
    connector = connect()
    connector.submit_invoice(invoice_flow())

    with pytest.raises(Refused, match="must name the 212 it corrects"):
        connector.send_status(correction(corrects=""))


def test_a_correction_that_does_not_cancel_its_212_is_refused(connect):
    connector = connect()
    connector.submit_invoice(invoice_flow())
    connector.send_status(collected())

    with pytest.raises(Refused, match=r"does not cancel the 1234\.50 of its 212"):
        connector.send_status(
            collected(
                reference="212-2026-0002", by_rate=(("20.00", "-10.00"),), corrects="212-2026-0001"
            )
        )


def test_a_212_about_an_invoice_never_deposited_is_refused(connect):
    with pytest.raises(Refused, match="unknown invoice F-2026-0042"):
        connect().send_status(collected())


def test_a_212_sent_again_after_a_lost_answer_is_sent_once(platform, connect):
    connector = connect()
    connector.submit_invoice(invoice_flow())
    platform.fail_next(1, "drop_after_store")

    receipt = connector.send_status(collected())

    assert [flow.flow_id for flow in platform.flows("CustomerInvoiceLC")] == [receipt.flow_id]


def test_a_payment_report_is_sent_once(platform, connect):
    connector = connect()
    platform.fail_next(1, "drop_after_store")

    first = connector.send_payment_report(payment_report())
    second = connector.send_payment_report(payment_report())

    (flow,) = platform.flows("UnitaryCustomerPaymentReport")
    document = flow.document()
    assert first.flow_id == second.flow_id == flow.flow_id
    assert flow.info["flowSyntax"] == "FRR"
    assert document["total"] == "1245.67"
    assert [p["amount"] for p in document["payments"]] == ["600.00", "645.67"]
    assert [p["amountsByRate"] for p in document["payments"]] == [
        [],
        [{"rate": "20.00", "amount": "545.67"}, {"rate": "10.00", "amount": "100.00"}],
    ]


def test_a_payment_report_line_whose_amounts_per_rate_do_not_add_up_is_never_made():
    line = (
        payment_report()
        .payments[1]
        ._replace(amounts_by_rate=((Decimal("20.00"), Decimal("600.00")),))
    )

    with pytest.raises(ValueError, match="do not add up"):
        PaymentReport(**{**payment_report().__dict__, "payments": (line,)})


# The directory


def test_a_siren_in_the_directory_gives_its_address_and_platform(platform, connect):
    platform.add_directory_entry(BUYER, f"{BUYER}_FACT", routing_code="FACT", siret=BUYER_SIRET)
    platform.add_directory_entry(BUYER, BUYER, platform="0107")

    entry = connect().directory_lookup(BUYER)

    assert entry == DirectoryEntry(siren=BUYER, address=BUYER, scheme="0225", platform="0107")


def test_a_directory_line_with_a_routing_code_only(platform, connect):
    platform.add_directory_entry(BUYER, f"{BUYER}_FACT", routing_code="FACT", siret=BUYER_SIRET)

    entry = connect().directory_lookup(BUYER)

    assert (entry.address, entry.routing_code) == (f"{BUYER}_FACT", "FACT")
    assert (entry.siret, entry.platform) == (BUYER_SIRET, "0002")


def test_a_siren_not_in_the_directory_is_none(connect):
    assert connect().directory_lookup("999999999") is None


def test_a_directory_failing_is_a_temporary_failure(platform, connect, sleeps):
    platform.add_directory_entry(BUYER, BUYER)
    platform.fail_next(4, "500")

    with pytest.raises(TemporaryFailure):
        connect().directory_lookup(BUYER)

    assert sleeps == [0.5, 2, 8]


# Webhooks


def test_a_signed_webhook_is_parsed_into_its_status(platform, connect):
    connector = connect()
    flow_id = connector.submit_invoice(invoice_flow()).flow_id
    event_id = platform.emit_status(
        flow_id, "210", sender="buyer", reason_code="DEST_ERR", reason_text="Pas chez nous"
    )
    call = platform.webhook_calls[-1]
    lowercase = {name.lower(): value for name, value in call.headers.items()}

    (status,) = connector.parse_webhook(lowercase, call.body)

    assert (status.event_id, status.flow_id, status.code) == (event_id, flow_id, "210")
    assert (status.sender, status.reason_code, status.reason_text) == (
        "buyer",
        "DEST_ERR",
        "Pas chez nous",
    )
    assert status.reference == "DEP-2026-0042"


def test_a_webhook_with_a_wrong_signature_is_refused(platform, connect):
    connector = connect()
    connector.submit_invoice(invoice_flow())
    call = platform.webhook_calls[-1]
    body = call.body.replace(b'"200"', b'"212"')

    with pytest.raises(Refused, match="invalid signature"):
        connector.parse_webhook(call.headers, body)


def test_a_stale_webhook_is_refused(platform, connect):
    connect().submit_invoice(invoice_flow())
    call = platform.webhook_calls[-1]
    in_an_hour = time.time() + 3600

    with pytest.raises(Refused, match="stale timestamp"):
        connect(clock=lambda: in_an_hour).parse_webhook(call.headers, call.body)


def test_a_webhook_sent_twice_has_the_same_event_id(platform, connect):
    connector = connect()
    flow_id = connector.submit_invoice(invoice_flow()).flow_id

    platform.emit_status(flow_id, "205", sender="buyer", duplicate=True)

    first, second = platform.webhook_calls[-2:]
    (one,) = connector.parse_webhook(first.headers, first.body)
    (other,) = connector.parse_webhook(second.headers, second.body)
    assert one == other
    assert one.code == "205"


def test_webhooks_are_posted_to_the_webhook_url(platform, connect):
    posted = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            posted.append((dict(self.headers), self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format, *args):
            """Quiet."""

    with ThreadingHTTPServer(("127.0.0.1", 0), Receiver) as receiver:
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        platform.webhook_url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        connector = connect()
        flow_id = connector.submit_invoice(invoice_flow()).flow_id
        receiver.shutdown()

    (headers, body) = posted[0]
    (status,) = connector.parse_webhook(headers, body)
    assert (status.flow_id, status.code) == (flow_id, "200")
    assert json.loads(body)["eventId"] == status.event_id
    assert platform.webhook_answers == [200]


# The manual connector


def test_manual_flows_are_to_upload():
    connector = ManualConnector()

    receipts = [
        connector.submit_invoice(invoice_flow()),
        connector.send_status(collected()),
        connector.send_payment_report(payment_report()),
    ]

    assert [(r.status, r.flow_id) for r in receipts] == [("to_upload", "")] * 3
    assert [r.reference for r in receipts] == ["DEP-2026-0042", "212-2026-0001", "ERP-2026-10"]


def test_manual_statuses_and_directory_entries_are_entered_by_hand():
    connector = ManualConnector()

    assert connector.flow_statuses("FLOW-1") == ()
    assert connector.statuses_since(datetime(2026, 1, 1, tzinfo=UTC)) == ()
    assert connector.directory_lookup(BUYER) is None
    with pytest.raises(Refused):
        connector.parse_webhook({}, b"{}")


def _rows(content):
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_the_manual_212_csv_has_one_row_per_vat_rate():
    content = status_csv(correction())

    assert content.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in content
    common = ["212-2026-0002", "F-2026-0042", "30/09/2026", SELLER, BUYER, "212", "Encaissée"]
    after = ["EUR", "15/10/2026", "212-2026-0001"]
    assert _rows(content) == [
        [
            "Référence",
            "N° facture",
            "Date de facture",
            "SIREN vendeur",
            "SIREN acheteur",
            "Code statut",
            "Statut",
            "Montant encaissé",
            "Taux de TVA",
            "Montant encaissé au taux",
            "Devise",
            "Date d'encaissement",
            "Corrige la référence",
        ],
        [*common, "-1234,50", "20,00", "-1134,50", *after],
        [*common, "-1234,50", "10,00", "-100,00", *after],
    ]


def test_the_manual_payment_report_csv_has_one_row_per_payment():
    content = payment_report_csv(payment_report())

    assert content.startswith(b"\xef\xbb\xbf")
    rows = _rows(content)
    assert rows[0][-2:] == ["Montant encaissé TTC", "Devise"]
    assert rows[1:] == [
        [
            "ERP-2026-10",
            SELLER,
            "01/10/2026",
            "31/10/2026",
            "F-2026-0050",
            "02/09/2026",
            "03/10/2026",
            "600,00",
            "EUR",
        ],
        [
            "ERP-2026-10",
            SELLER,
            "01/10/2026",
            "31/10/2026",
            "F-2026-0051",
            "09/09/2026",
            "20/10/2026",
            "645,67",
            "EUR",
        ],
    ]


# Settings


def test_plain_http_is_only_for_the_local_simulator():
    with pytest.raises(ValueError, match="HTTPS"):
        HttpConnector("http://api.pa.example", api_key="k", secret="s")
    with pytest.raises(ValueError, match="HTTPS"):
        HttpConnector(
            "https://api.pa.example", api_key="k", secret="s", directory_url="http://dir.example"
        )
    assert HttpConnector("https://api.pa.example/afnor-flow/v1", api_key="k", secret="s")


def test_get_connector_builds_each_kind(platform):
    http = get_connector("http", base_url=platform.base_url, api_key="k", secret="s")

    assert isinstance(http, HttpConnector)
    assert isinstance(get_connector("manual"), ManualConnector)
    with pytest.raises(ValueError, match="unknown connector kind"):
        get_connector("fax")


def test_an_invoice_profile_is_one_of_xp_z12_013():
    with pytest.raises(ValueError, match="profile"):
        InvoiceFlow(**{**invoice_flow().__dict__, "profile": "MINIMUM"})


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        StatusMessage(**{**collected().__dict__, "amount": 1234.5})
    with pytest.raises(TypeError):
        StatusMessage(**{**collected().__dict__, "amounts_by_rate": ((20.0, 1234.5),)})


def test_a_212_whose_amounts_per_rate_do_not_add_up_or_are_missing_is_never_made():
    with pytest.raises(ValueError, match=r"do not add up to 1234\.50"):
        StatusMessage(
            **{
                **collected().__dict__,
                "amount": Decimal("1234.50"),
                "amounts_by_rate": ((Decimal("20.00"), Decimal("1234.49")),),
            }
        )
    with pytest.raises(ValueError, match="states no amount per VAT rate"):
        StatusMessage(**{**collected().__dict__, "amounts_by_rate": ()})


def test_the_directory_is_read_under_its_own_root_and_flows_under_theirs():
    roots = {"flow_root": "/afnor-flow/v1", "directory_root": "/afnor-directory/v1"}
    with PlatformSimulator(clock=Clock(), **roots) as platform:
        platform.add_directory_entry(BUYER, BUYER)
        settings = {"api_key": platform.api_key, "secret": platform.secret, "timeout": 2}
        both = HttpConnector(
            base_url=platform.base_url, directory_url=platform.directory_url, **settings
        )
        one_root = HttpConnector(base_url=platform.base_url, max_attempts=1, **settings)

        assert both.directory_lookup(BUYER).address == BUYER
        assert both.submit_invoice(invoice_flow()).status == "deposited"
        # Without its own address, the directory is looked for under the flows' root, where
        # nothing answers but a 404: it reads as "not in the directory", which is why the
        # settings page has a connection test that looks up the company's own SIREN.
        assert one_root.directory_lookup(BUYER) is None
