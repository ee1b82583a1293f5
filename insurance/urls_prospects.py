from django.urls import path

from insurance.views import home, prospects

urlpatterns = [
    path("assurance/", home.insurance_home, name="insurance_home"),
    path("mon-espace/prospects/", prospects.portal_prospects, name="insurance_portal_prospects"),
    path("assurance/prospects/", prospects.prospect_list, name="insurance_prospect_list"),
    path(
        "assurance/prospects/<int:pk>/repondre/",
        prospects.prospect_reply,
        name="insurance_prospect_reply",
    ),
]
