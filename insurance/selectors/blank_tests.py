"""Reads of a blank test (test à blanc): the comparison of the insurers' answers, client by
client, that shows which insurer covers the test's clients best, and the same as CSV rows."""

from dataclasses import dataclass, field
from decimal import Decimal

from insurance.models import BlankTestAnswer, BlankTestClient, Insurer
from portage.money import ZERO, to_cents


@dataclass
class Cell:
    """One insurer's answer for one client: `limit` None when it has not answered."""

    limit: Decimal | None
    grade: str
    covered: Decimal

    @property
    def refused(self):
        return self.limit == ZERO


@dataclass
class Row:
    client: BlankTestClient
    cells: list


@dataclass
class InsurerTotal:
    insurer: Insurer
    granted: Decimal = ZERO
    covered: Decimal = ZERO
    share: Decimal | None = None
    refused: int = 0
    answered: int = 0
    is_best: bool = False


@dataclass
class Comparison:
    insurers: list
    rows: list
    totals: list
    total_exposure: Decimal = ZERO
    best: list = field(default_factory=list)


def comparison(test, insurers=None):
    """The clients side by side: each one's exposure, each insurer's limit and what it would
    cover, min(limit, exposure); per insurer, the limits granted in total, the exposure
    covered and its share of the whole exposure (in percent, two places), the clients
    refused (limit 0). The best insurer covers the largest share; equal shares are all
    best; none is best while no insurer covers anything."""
    if insurers is None:
        insurers = list(Insurer.objects.order_by("name"))
    answers = {
        (answer.client_id, answer.insurer_id): answer
        for answer in BlankTestAnswer.objects.filter(client__test=test)
    }
    totals = [InsurerTotal(insurer) for insurer in insurers]
    rows = []
    total_exposure = ZERO
    for client in test.clients.order_by("-exposure", "name"):
        total_exposure += client.exposure
        cells = []
        for insurer, total in zip(insurers, totals, strict=True):
            answer = answers.get((client.pk, insurer.pk))
            if answer is None:
                cells.append(Cell(None, "", ZERO))
                continue
            covered = min(answer.amount, client.exposure)
            cells.append(Cell(answer.amount, answer.grade, covered))
            total.answered += 1
            total.granted += answer.amount
            total.covered += covered
            if answer.amount == ZERO:
                total.refused += 1
        rows.append(Row(client, cells))
    for total in totals:
        if total_exposure > ZERO:
            total.share = to_cents(total.covered * 100 / total_exposure)
    best_covered = max((total.covered for total in totals), default=ZERO)
    best = []
    if best_covered > ZERO:
        for total in totals:
            total.is_best = total.covered == best_covered
            if total.is_best:
                best.append(total.insurer)
    return Comparison(
        insurers=list(insurers),
        rows=rows,
        totals=totals,
        total_exposure=total_exposure,
        best=best,
    )


def _decimal_comma(amount):
    return "" if amount is None else f"{amount:.2f}".replace(".", ",")


def comparison_csv_rows(test):
    """The comparison as CSV rows of text, with French headers: one row per client, then
    the totals, the share covered and the clients refused per insurer."""
    found = comparison(test)
    header = ["SIREN", "Client", "Encours"]
    for insurer in found.insurers:
        header += [f"{insurer.name} limite", f"{insurer.name} note", f"{insurer.name} couvert"]
    rows = [header]
    for row in found.rows:
        line = [row.client.siren, row.client.name, _decimal_comma(row.client.exposure)]
        for cell in row.cells:
            covered = None if cell.limit is None else cell.covered
            line += [_decimal_comma(cell.limit), cell.grade, _decimal_comma(covered)]
        rows.append(line)
    totals = ["", "Total", _decimal_comma(found.total_exposure)]
    shares = ["", "Part de l'encours couverte (%)", ""]
    refused = ["", "Clients refusés", ""]
    for total in found.totals:
        totals += [_decimal_comma(total.granted), "", _decimal_comma(total.covered)]
        shares += ["", "", _decimal_comma(total.share)]
        refused += ["", "", str(total.refused)]
    rows += [totals, shares, refused]
    return rows
