from django.urls import path

from einvoicing import views, webhook

urlpatterns = [
    path("facturation-electronique/", views.board, name="einvoicing_board"),
    path(
        "facturation-electronique/parametres/",
        views.platform_settings,
        name="einvoicing_settings",
    ),
    path(
        "facturation-electronique/parametres/tester/",
        views.platform_check,
        name="einvoicing_settings_check",
    ),
    path(
        "facturation-electronique/depots/<int:pk>/renvoyer/",
        views.submission_send_again,
        name="einvoicing_submission_retry",
    ),
    path(
        "facturation-electronique/depots/<int:pk>/document/",
        views.submission_document,
        name="einvoicing_submission_document",
    ),
    path(
        "facturation-electronique/depots/<int:pk>/televersee/",
        views.submission_mark_uploaded,
        name="einvoicing_submission_uploaded",
    ),
    path(
        "facturation-electronique/e-reporting/<int:pk>/reponse/",
        views.report_answer,
        name="einvoicing_report_answer",
    ),
    path(
        "facturation-electronique/factures/<int:pk>/statut/",
        views.status_entry,
        name="einvoicing_status_enter",
    ),
    path(
        "facturation-electronique/clients/<int:pk>/annuaire/verifier/",
        views.directory_lookup,
        name="einvoicing_directory_check",
    ),
    path(
        "facturation-electronique/clients/<int:pk>/annuaire/",
        views.directory_entry,
        name="einvoicing_directory_enter",
    ),
    path(
        "facturation-electronique/webhook/<str:token>/",
        webhook.platform_webhook,
        name="einvoicing_webhook",
    ),
]
