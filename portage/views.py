import functools

import redis
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from redis.backoff import NoBackoff
from redis.retry import Retry

from portage import selectors, services
from portage.audit import name_objects
from portage.forms import (
    COMPANY_FIELDS,
    CompanyForm,
    InviteForm,
    MemberRoleForm,
    add_service_error,
)
from portage.forms_audit import AuditFilterForm
from portage.mentions import missing_company_mentions
from portage.middleware import ACTIVE_TENANT_SESSION_KEY
from portage.models import AuditEntry, Membership
from portage.permissions import Perm, Role, has_perm, permission_required, public, signed_in
from portage.signals import HomePanel, home_panels


@permission_required(Perm.VIEW_DASHBOARD)
def dashboard(request):
    """A member's home: the core's panels for their role and every app's answer to
    `home_panels`, together, in the panels' order (see `HomePanel`)."""
    role = Role(request.membership.role)
    panels = core_panels(role, request)
    for _receiver, answer in home_panels.send(sender=role, request=request):
        panels.extend(answer)
    panels.sort(key=lambda panel: panel.order)
    rendered = {"heading": [], "body": []}
    for panel in panels:
        rendered[panel.place].append(
            render_to_string(panel.template, panel.context, request=request)
        )
    title, heading = home_titles(role, request.user)
    context = {"title": title, "heading": heading, "actions": rendered["heading"]}
    return render(request, "portage/home.html", {**context, "panels": rendered["body"]})


def core_panels(role, request):
    """The core's own part of a home: the admin's setup checklist and team, the
    accountant's exports and audit log."""
    if role == Role.ADMIN:
        setup = selectors.setup_checklist(tenant=request.tenant, user=request.user)
        return [HomePanel(order=20, template="portage/home/admin.html", context={"setup": setup})]
    if role == Role.ACCOUNTANT:
        return [HomePanel(order=20, template="portage/home/accountant.html")]
    return []


def home_titles(role, user):
    """The home's title in the browser and its heading on the page."""
    if role == Role.CONSULTANT:
        return _("My invoices"), _("Hello %(name)s") % {"name": user.get_short_name()}
    title = {
        Role.COLLECTOR: _("Collections"),
        Role.ADMIN: _("Administration"),
        Role.ACCOUNTANT: _("Accounting"),
    }[role]
    return title, title


@signed_in
def no_company(request):
    if request.membership is not None:
        return redirect("dashboard")
    if request.user.is_staff:
        # The platform operator belongs to no company: their home is what they can do.
        return render(request, "portage/operator_home.html")
    return render(request, "portage/no_company.html")


@signed_in
@require_POST
def switch_tenant(request):
    wanted = request.POST.get("tenant")
    for membership in request.memberships:
        if str(membership.tenant_id) == wanted:
            request.session[ACTIVE_TENANT_SESSION_KEY] = membership.tenant_id
            return redirect("dashboard")
    raise Http404


@permission_required(Perm.VIEW_COMPANY)
def company(request):
    return render(
        request,
        "portage/company.html",
        {
            "tenant": request.tenant,
            "can_edit": has_perm(request.membership, Perm.MANAGE_COMPANY),
            "missing_mentions": missing_company_mentions(request.tenant),
        },
    )


@permission_required(Perm.MANAGE_COMPANY)
def company_edit(request):
    form = CompanyForm(request.POST or None, request.FILES or None, instance=request.tenant)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in COMPANY_FIELDS}
        if changes["logo"] is False:  # "clear" ticked
            changes["logo"] = ""
        elif changes["logo"] is None:
            del changes["logo"]
        try:
            services.tenant_update(tenant=request.tenant, by=request.user, **changes)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The company's identity has been saved."))
            return redirect("company")
    return render(request, "portage/company_edit.html", {"form": form})


@permission_required(Perm.VIEW_COMPANY)
@never_cache
def company_logo(request):
    if not request.tenant.logo:
        raise Http404
    return FileResponse(request.tenant.logo.open("rb"))


@permission_required(Perm.VIEW_TEAM)
def team(request):
    return render(
        request,
        "portage/team.html",
        {
            "members": selectors.tenant_members(tenant=request.tenant),
            "can_manage": has_perm(request.membership, Perm.MANAGE_TEAM),
        },
    )


@permission_required(Perm.MANAGE_TEAM)
def member_invite(request):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.member_invite(
                tenant=request.tenant, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(
                request,
                _("%(email)s has been invited; they will receive a link by email.")
                % {"email": membership.user.email},
            )
            return redirect("team")
    return render(request, "portage/member_invite.html", {"form": form})


@permission_required(Perm.VIEW_TEAM)
def member_detail(request, pk):
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk)
    can_manage = has_perm(request.membership, Perm.MANAGE_TEAM)
    form = MemberRoleForm(request.POST or None, instance=membership)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.membership_change_role(
                    membership=membership, role=form.cleaned_data["role"], by=request.user
                )
            except ValidationError as error:
                form.add_error("role", error)
            else:
                messages.success(request, _("The role has been changed."))
                return redirect("member_detail", pk=pk)
    history = selectors.audit_log(tenant=request.tenant).filter(
        object_type="portage.membership", object_id=str(pk)
    )
    return render(
        request,
        "portage/member_detail.html",
        {"member": membership, "form": form, "can_manage": can_manage, "history": history},
    )


@permission_required(Perm.MANAGE_TEAM)
def member_deactivate(request, pk):
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk)
    if request.method == "POST":
        try:
            services.membership_deactivate(membership=membership, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("%(name)s no longer has access.") % {"name": membership.user}
            )
        return redirect("member_detail", pk=pk)
    return render(request, "portage/member_deactivate.html", {"member": membership})


@permission_required(Perm.MANAGE_TEAM)
@require_POST
def member_reactivate(request, pk):
    membership = get_object_or_404(Membership, pk=pk)
    services.membership_reactivate(membership=membership, by=request.user)
    messages.success(request, _("%(name)s has access again.") % {"name": membership.user})
    return redirect("member_detail", pk=pk)


@permission_required(Perm.VIEW_AUDIT)
def audit_log(request):
    """The company's log, the latest first, filtered by who, what, which kind of object and
    between which days (`AuditFilterForm`), fifty entries a page."""
    form = AuditFilterForm(request.GET or None, tenant=request.tenant)
    entries = form.filter(selectors.audit_log(tenant=request.tenant))
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    page.object_list = name_objects(list(page.object_list))
    return render(request, "portage/audit_log.html", {"page": page, "form": form})


@permission_required(Perm.VIEW_AUDIT)
def audit_entry(request, pk):
    entry = get_object_or_404(AuditEntry.objects.select_related("actor"), pk=pk)
    name_objects([entry])
    return render(request, "portage/audit_entry.html", {"entry": entry})


@functools.lru_cache(maxsize=4)
def _redis(url):
    """One client per process (and URL), whose pool keeps its connection between probes; a
    connection Redis dropped since (a restart) is opened again once before the check fails."""
    return redis.Redis.from_url(
        url,
        socket_timeout=2,
        socket_connect_timeout=2,
        retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
    )


@public
@never_cache
@transaction.non_atomic_requests
def healthz(request):
    """200 when PostgreSQL and Redis answer, 503 otherwise, with each check's result.

    Probed every few seconds, so cheap: the process's own connections to both, kept
    between probes (a new client and TCP connection to Redis each time cost more than the
    ping itself)."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"error: {error.__class__.__name__}"
    try:
        _redis(settings.REDIS_URL).ping()
        checks["redis"] = "ok"
    except Exception as error:
        checks["redis"] = f"error: {error.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )
