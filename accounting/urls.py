from django.urls import path

from accounting import views

urlpatterns = [
    path("comptabilite/fec/", views.fec_export, name="accounting_fec_export"),
    path("comptabilite/plan-comptable/", views.chart_edit, name="accounting_chart"),
]
