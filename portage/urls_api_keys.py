from django.urls import path

from portage import views_api_keys as views

urlpatterns = [
    path("societe/cles-api/", views.api_key_list, name="api_key_list"),
    path("societe/cles-api/creer/", views.api_key_create, name="api_key_create"),
    path("societe/cles-api/<int:pk>/revoquer/", views.api_key_revoke, name="api_key_revoke"),
]
