from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EinvoicingConfig(AppConfig):
    """E-invoicing (facturation électronique): the plateforme agréée, lifecycle statuses,
    payments collected reported."""

    name = "einvoicing"
    verbose_name = _("E-invoicing")

    def ready(self):
        from einvoicing.services import directory, reporting, submissions
        from invoices import signals as billing
        from portage.audit import register_actions

        billing.document_issued.connect(
            submissions.on_document_issued, dispatch_uid="einvoicing_deposit"
        )
        billing.client_created.connect(
            directory.on_client_created, dispatch_uid="einvoicing_directory"
        )
        billing.payment_allocated.connect(
            reporting.on_payment_allocated, dispatch_uid="einvoicing_collected"
        )
        billing.allocation_undone.connect(
            reporting.on_allocation_undone, dispatch_uid="einvoicing_collected_undone"
        )
        register_actions(ACTION_LABELS)


ACTION_LABELS = {
    "einvoicing.submitted": _("Invoice sent to the e-invoicing platform"),
    "einvoicing.resubmitted": _("Invoice sent again to the e-invoicing platform"),
    "einvoicing.uploaded": _("Invoice uploaded on the e-invoicing platform"),
    "einvoicing.status_entered": _("E-invoicing status entered"),
    "einvoicing.directory_checked": _("E-invoicing directory checked"),
    "einvoicing.directory_entered": _("E-invoicing directory entry entered"),
    "einvoicing.payment_report_built": _("Payment e-reporting prepared"),
    "einvoicing.payment_report_answered": _("Payment e-reporting answer recorded"),
    "einvoicing.settings_changed": _("E-invoicing settings changed"),
}
