from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultantsConfig(AppConfig):
    """Consultants (salariés portés), their profiles and activity accounts."""

    name = "consultants"
    verbose_name = _("Consultants")

    def ready(self):
        from consultants import views
        from portage.audit import register_actions
        from portage.permissions import Role
        from portage.signals import home_panels

        home_panels.connect(
            views.portal_home_panels, sender=Role.CONSULTANT, dispatch_uid="consultants_home"
        )
        register_actions(
            {
                "consultant.created": _("Consultant added"),
                "consultant.updated": _("Consultant changed"),
                "ledger.pay_out": _("Pay-out recorded"),
                "ledger.adjusted": _("Activity account adjusted"),
            }
        )
