from django.urls import path

from invoices.views import bank, clients, invoices, payments, portal

urlpatterns = [
    path("clients/", clients.client_list, name="client_list"),
    path("clients/nouveau/", clients.client_create, name="client_create"),
    path("clients/<int:pk>/", clients.client_detail, name="client_detail"),
    path("clients/<int:pk>/modifier/", clients.client_edit, name="client_edit"),
    path("clients/<int:pk>/missions/nouvelle/", clients.mission_create, name="mission_create"),
    path("factures/", invoices.invoice_list, name="invoice_list"),
    path("factures/nouvelle/", invoices.invoice_create, name="invoice_create"),
    path("factures/<int:pk>/", invoices.invoice_detail, name="invoice_detail"),
    path("factures/<int:pk>/modifier/", invoices.invoice_edit, name="invoice_edit"),
    path("factures/<int:pk>/supprimer/", invoices.invoice_delete, name="invoice_delete"),
    path("factures/<int:pk>/emettre/", invoices.invoice_issue, name="invoice_issue"),
    path("factures/<int:pk>/avoir/", invoices.credit_note_create, name="credit_note_create"),
    path("factures/<int:pk>/pdf/", invoices.invoice_pdf, name="invoice_pdf"),
    path("paiements/", payments.payment_list, name="payment_list"),
    path("paiements/nouveau/", payments.payment_create, name="payment_create"),
    path("paiements/<int:pk>/", payments.payment_detail, name="payment_detail"),
    path("paiements/<int:pk>/affecter/", payments.payment_allocate, name="payment_allocate"),
    path("paiements/<int:pk>/annuler/", payments.payment_reverse, name="payment_reverse"),
    path("banque/", bank.bank_queue, name="bank_queue"),
    path("banque/confirmer/", bank.bank_confirm_all, name="bank_confirm_all"),
    path("banque/lignes/<int:pk>/", bank.bank_line_detail, name="bank_line_detail"),
    path("banque/lignes/<int:pk>/ecarter/", bank.bank_line_dismiss, name="bank_line_dismiss"),
    path("mon-espace/factures/<int:pk>/", portal.portal_invoice, name="portal_invoice"),
    path("mon-espace/factures/<int:pk>/pdf/", portal.portal_invoice_pdf, name="portal_invoice_pdf"),
]
