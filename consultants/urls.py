from django.urls import path

from consultants import views

urlpatterns = [
    path("consultants/", views.consultant_list, name="consultant_list"),
    path("consultants/nouveau/", views.consultant_create, name="consultant_create"),
    path("consultants/<int:pk>/", views.consultant_detail, name="consultant_detail"),
    path("mon-espace/remuneration/", views.portal_pay, name="portal_pay"),
]
