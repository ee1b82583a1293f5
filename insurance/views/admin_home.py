"""Credit insurance's figures on the administrator's home."""

from insurance.selectors.figures import claims_expected_and_received, insured_share
from portage.signals import HomePanel


def admin_home_panels(sender, request, **kwargs):
    """Credit insurance's part of the administrator's home (answers `home_panels`): the
    insured share of what clients owe, and the claims' expected and received indemnities."""
    covered, owed, percent = insured_share(tenant=request.tenant)
    expected, received = claims_expected_and_received(tenant=request.tenant)
    context = {
        "covered": covered,
        "owed": owed,
        "percent": percent,
        "expected": expected,
        "received": received,
    }
    return [HomePanel(order=17, template="insurance/home/admin.html", context=context)]
