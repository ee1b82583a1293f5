from django.urls import path

from invoices.views import invoices as views

urlpatterns = [
    path("clients/", views.client_list, name="client_list"),
    path("clients/nouveau/", views.client_create, name="client_create"),
    path("clients/<int:pk>/", views.client_detail, name="client_detail"),
    path("clients/<int:pk>/modifier/", views.client_edit, name="client_edit"),
    path("clients/<int:pk>/missions/nouvelle/", views.mission_create, name="mission_create"),
    path("factures/", views.invoice_list, name="invoice_list"),
    path("factures/nouvelle/", views.invoice_create, name="invoice_create"),
    path("factures/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("factures/<int:pk>/modifier/", views.invoice_edit, name="invoice_edit"),
    path("factures/<int:pk>/supprimer/", views.invoice_delete, name="invoice_delete"),
    path("factures/<int:pk>/emettre/", views.invoice_issue, name="invoice_issue"),
    path("factures/<int:pk>/avoir/", views.credit_note_create, name="credit_note_create"),
    path("factures/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("paiements/nouveau/", views.payment_create, name="payment_create"),
    path("paiements/<int:pk>/", views.payment_detail, name="payment_detail"),
    path("paiements/<int:pk>/affecter/", views.payment_allocate, name="payment_allocate"),
    path("paiements/<int:pk>/annuler/", views.payment_reverse, name="payment_reverse"),
    path("banque/", views.bank_queue, name="bank_queue"),
    path("banque/lignes/<int:pk>/", views.bank_line_detail, name="bank_line_detail"),
    path("banque/lignes/<int:pk>/ecarter/", views.bank_line_dismiss, name="bank_line_dismiss"),
    path("mon-espace/factures/<int:pk>/", views.portal_invoice, name="portal_invoice"),
    path("mon-espace/factures/<int:pk>/pdf/", views.portal_invoice_pdf, name="portal_invoice_pdf"),
]
