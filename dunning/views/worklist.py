"""Placeholder views, replaced as the pages are built."""

from django.http import Http404

from portage.permissions import Perm, permission_required


@permission_required(Perm.VIEW_COLLECTIONS)
def worklist(request):
    raise Http404


@permission_required(Perm.VIEW_COLLECTIONS)
def client_timeline(request, pk):
    raise Http404


@permission_required(Perm.MANAGE_COLLECTIONS)
def case_action(request, pk, action):
    raise Http404


@permission_required(Perm.MANAGE_COLLECTIONS)
def contact_log(request, pk):
    raise Http404
