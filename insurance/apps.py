from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsuranceConfig(AppConfig):
    """Credit insurance (assurance-crédit): policies, credit limits, declarations, claims."""

    name = "insurance"
    verbose_name = _("Credit insurance")
