from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from portage import views
from portage.api.base import api_path_not_found

handler404 = "portage.api.base.not_found"
handler500 = "portage.api.base.server_error"

# Operators reach the Django admin through the same sign-in (and second factor) as everyone.
admin.site.login = login_required(admin.site.login)

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("sans-societe/", views.no_company, name="no_company"),
    path("societe/changer/", views.switch_tenant, name="switch_tenant"),
    path("societe/", views.company, name="company"),
    path("societe/modifier/", views.company_edit, name="company_edit"),
    path("societe/logo/", views.company_logo, name="company_logo"),
    path("equipe/", views.team, name="team"),
    path("equipe/inviter/", views.member_invite, name="member_invite"),
    path("equipe/<int:pk>/", views.member_detail, name="member_detail"),
    path("equipe/<int:pk>/desactiver/", views.member_deactivate, name="member_deactivate"),
    path("equipe/<int:pk>/reactiver/", views.member_reactivate, name="member_reactivate"),
    path("journal/", views.audit_log, name="audit_log"),
    path("journal/<int:pk>/", views.audit_entry, name="audit_entry"),
    path("", include("portage.urls_api_keys")),
    path("", include("webhooks.urls")),
    path("", include("consultants.urls")),
    path("", include("invoices.urls")),
    path("", include("einvoicing.urls")),
    path("", include("dunning.urls")),
    path("", include("insurance.urls")),
    path("", include("accounting.urls")),
    path("api/v1/", include("portage.api.urls")),
    path(
        "api/v1/schema/",
        SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[]),
        name="api_schema",
    ),
    path(
        "api/v1/docs/",
        # Its init script is served as a file (?script), so no inline script runs; the
        # page's own <style> block is the one inline thing the policy lets through here.
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(
                url_name="api_schema", permission_classes=[AllowAny], authentication_classes=[]
            )
        ),
        name="api_docs",
    ),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Last: a path under /api/ that no route takes (an id such as 0.5, a typo) is a 404 in
    # the API's error shape, under DEBUG too (whose 404 is otherwise an HTML page).
    re_path(r"^api/", api_path_not_found, name="api_path_not_found"),
]
