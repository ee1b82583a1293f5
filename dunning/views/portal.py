"""Placeholder views, replaced as the pages are built."""

from django.http import Http404

from portage.permissions import Perm, permission_required


@permission_required(Perm.PORTAL)
def tasks(request):
    raise Http404


@permission_required(Perm.PORTAL)
def log_reminder(request, pk):
    raise Http404
