from django.urls import include, path

urlpatterns = [
    path("", include("insurance.urls_admin")),
    path("", include("insurance.urls_claims")),
    path("", include("insurance.urls_premiums")),
    path("", include("insurance.urls_prospects")),
]
