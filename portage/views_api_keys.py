"""The admin's page for the company's API keys (clés API): list, create, revoke.

A new key is shown once, in the response to the POST that created it: never in a URL, a
redirect, the session or a log, and the page is not cached.
"""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from portage.api import keys as api_keys
from portage.models import ApiKey
from portage.permissions import Perm, permission_required


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What the key is for, e.g. the accounting tool."),
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("Access"),
        choices=ApiKey.Scope.choices,
        initial=ApiKey.Scope.READ,
        widget=forms.RadioSelect,
    )


def _list(request, form):
    keys = ApiKey.objects.select_related("created_by").order_by("-created_at")
    return render(
        request,
        "portage/api_keys.html",
        {
            "active_keys": [key for key in keys if key.is_active],
            "revoked_keys": [key for key in keys if not key.is_active],
            "form": form,
        },
    )


@permission_required(Perm.MANAGE_COMPANY)
def api_key_list(request):
    return _list(request, ApiKeyForm())


@permission_required(Perm.MANAGE_COMPANY)
@require_POST
@never_cache
@sensitive_variables("full_key")
def api_key_create(request):
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _list(request, form)
    key, full_key = api_keys.api_key_create(
        tenant=request.tenant, by=request.user, **form.cleaned_data
    )
    return render(request, "portage/api_key_created.html", {"key": key, "full_key": full_key})


@permission_required(Perm.MANAGE_COMPANY)
def api_key_revoke(request, pk):
    key = get_object_or_404(ApiKey, pk=pk)
    if not key.is_active:
        messages.info(request, _("The key “%(name)s” was already revoked.") % {"name": key.name})
        return redirect("api_key_list")
    if request.method == "POST":
        api_keys.api_key_revoke(key=key, by=request.user)
        messages.success(
            request,
            _("The key “%(name)s” has been revoked: calls made with it are now refused.")
            % {"name": key.name},
        )
        return redirect("api_key_list")
    return render(request, "portage/api_key_revoke.html", {"key": key})
