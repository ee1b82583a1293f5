"""The ladder's figures on the administrator's home."""

from dunning.models import LitigationFile, Message
from portage.signals import HomePanel


def admin_home_panels(sender, request, **kwargs):
    """The ladder's part of the administrator's home (answers `home_panels`): the emails
    that could not be sent, for the company's own name is on them, and the open
    litigation files."""
    context = {
        "failed_messages": Message.objects.filter(status=Message.Status.FAILED).count(),
        "litigation_open": LitigationFile.objects.exclude(
            state__in=[LitigationFile.State.SETTLED, LitigationFile.State.LOST]
        ).count(),
    }
    return [HomePanel(order=16, template="dunning/home/admin.html", context=context)]
