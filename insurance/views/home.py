"""Credit insurance's home page, and its part of the collector's home."""

from django.shortcuts import render

from insurance.models import Claim
from insurance.selectors import declaration_counts, policy_in_force
from portage.batch import paris_today
from portage.permissions import Perm, permission_required
from portage.signals import HomePanel


def collector_home_panels(sender, request, **kwargs):
    """Credit insurance's part of the collector's home (answers `home_panels`): overdue
    declarations whose cover is lost and those to make, claims to file."""
    insurance = {
        "declarations": declaration_counts(today=paris_today()),
        "claims_to_file": Claim.objects.filter(state=Claim.State.TO_FILE).count(),
    }
    return [
        HomePanel(
            order=30, template="insurance/home/collector.html", context={"insurance": insurance}
        )
    ]


@permission_required(Perm.VIEW_COLLECTIONS)
def insurance_home(request):
    """Credit insurance at a glance, and the way to each of its pages."""
    from insurance.models import CreditLimit, ProspectCheck
    from portage.permissions import has_perm

    today = paris_today()
    return render(
        request,
        "insurance/home.html",
        {
            "policy": policy_in_force(today),
            "declarations": declaration_counts(today=today),
            "open_claims": Claim.objects.exclude(
                state__in=[Claim.State.CLOSED, Claim.State.REJECTED]
            ).count(),
            "limits": CreditLimit.objects.values("client").distinct().count(),
            "prospects_waiting": ProspectCheck.objects.filter(
                status=ProspectCheck.Status.ASKED
            ).count(),
            "can_configure": has_perm(request.membership, Perm.MANAGE_COMPANY),
        },
    )
