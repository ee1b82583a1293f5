"""An invoice's amounts from its lines (invoices.totals): no database."""

from decimal import Decimal

from invoices.totals import compute_totals

D = Decimal


class Line:
    def __init__(self, total_ht, vat_rate):
        self.total_ht, self.vat_rate = D(total_ht), D(vat_rate)


def test_vat_is_computed_once_per_rate_on_the_lines_rounded_to_the_cent():
    totals = compute_totals([Line("33.33", "20"), Line("33.33", "20"), Line("10.01", "5.5")])
    assert totals.vat_breakdown == (
        (D("20"), D("66.66"), D("13.33")),
        (D("5.5"), D("10.01"), D("0.55")),
    )
    assert (totals.ht, totals.vat, totals.ttc) == (D("76.67"), D("13.88"), D("90.55"))
