"""The credit insurance admin pages (insurers, policies) and clients' credit limits."""

from django.urls import path

from insurance.views import admin

urlpatterns = [
    # Insurers and policies (the admin; collectors read the policies).
    path("assurance/assureurs/", admin.insurer_list, name="insurance_insurer_list"),
    path("assurance/assureurs/nouveau/", admin.insurer_create, name="insurance_insurer_create"),
    path("assurance/assureurs/<int:pk>/", admin.insurer_edit, name="insurance_insurer_edit"),
    path("assurance/polices/", admin.policy_list, name="insurance_policy_list"),
    path("assurance/polices/nouvelle/", admin.policy_create, name="insurance_policy_create"),
    path("assurance/polices/<int:pk>/", admin.policy_detail, name="insurance_policy_detail"),
    path("assurance/polices/<int:pk>/modifier/", admin.policy_edit, name="insurance_policy_edit"),
    # Credit limits (agréments).
    path("assurance/agrements/", admin.limit_list, name="insurance_limit_list"),
    path(
        "assurance/clients/<int:pk>/agrements/",
        admin.client_limits,
        name="insurance_client_limits",
    ),
    path(
        "assurance/clients/<int:pk>/agrements/demande/",
        admin.limit_request,
        name="insurance_limit_request",
    ),
    path(
        "assurance/clients/<int:pk>/agrements/decision/",
        admin.limit_decide,
        name="insurance_limit_decide",
    ),
]
