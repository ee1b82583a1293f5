from django.urls import path

from dunning.views import aging, litigation, policies, portal, worklist

urlpatterns = [
    # The collector's worklist, client timelines and case actions.
    path("recouvrement/", worklist.worklist, name="dunning_worklist"),
    path("recouvrement/clients/<int:pk>/", worklist.client_timeline, name="dunning_client"),
    path(
        "recouvrement/factures/<int:pk>/<slug:action>/",
        worklist.case_action,
        name="dunning_case_action",
    ),
    path(
        "recouvrement/clients/<int:pk>/contact/", worklist.contact_log, name="dunning_contact_log"
    ),
    # The aging balance.
    path("recouvrement/balance-agee/", aging.aging, name="dunning_aging"),
    path("recouvrement/balance-agee.csv", aging.aging_csv, name="dunning_aging_csv"),
    # Policies, client settings and reference rates (the admin).
    path("recouvrement/politiques/", policies.policy_list, name="dunning_policy_list"),
    path("recouvrement/politiques/nouvelle/", policies.policy_create, name="dunning_policy_create"),
    path("recouvrement/politiques/<int:pk>/", policies.policy_edit, name="dunning_policy_edit"),
    path(
        "recouvrement/clients/<int:pk>/reglages/",
        policies.client_settings,
        name="dunning_client_settings",
    ),
    path("recouvrement/taux/", policies.rates, name="dunning_rates"),
    # Letters to post, messages, litigation files.
    path("recouvrement/courriers/", litigation.letter_list, name="dunning_letter_list"),
    path("recouvrement/courriers/<int:pk>/pdf/", litigation.letter_pdf, name="dunning_letter_pdf"),
    path(
        "recouvrement/courriers/<int:pk>/pdf/redessiner/",
        litigation.letter_pdf_retry,
        name="dunning_letter_pdf_retry",
    ),
    path(
        "recouvrement/courriers/<int:pk>/poste/",
        litigation.letter_posted,
        name="dunning_letter_posted",
    ),
    path(
        "recouvrement/courriers/<int:pk>/regenerer/",
        litigation.letter_regenerate,
        name="dunning_letter_regenerate",
    ),
    path(
        "recouvrement/courriers/<int:pk>/retirer/",
        litigation.letter_withdraw,
        name="dunning_letter_withdraw",
    ),
    path("recouvrement/emails/", litigation.message_list, name="dunning_message_list"),
    path("recouvrement/emails/<int:pk>/", litigation.message_detail, name="dunning_message"),
    path(
        "recouvrement/emails/<int:pk>/renvoyer/",
        litigation.message_retry,
        name="dunning_message_retry",
    ),
    path("recouvrement/contentieux/", litigation.litigation_list, name="dunning_litigation_list"),
    path(
        "recouvrement/contentieux/<int:pk>/",
        litigation.litigation_detail,
        name="dunning_litigation",
    ),
    path(
        "recouvrement/contentieux/<int:pk>/documents/<int:document>/",
        litigation.litigation_document,
        name="dunning_litigation_document",
    ),
    # The consultant's part, in the portal.
    path("mon-espace/relances/", portal.tasks, name="dunning_portal_tasks"),
    path("mon-espace/relances/<int:pk>/noter/", portal.log_reminder, name="dunning_portal_log"),
]
