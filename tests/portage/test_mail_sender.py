"""A company's emails come from the company: its sender name and address, or, while it has
no address of its own, the platform's address under the company's name; never the
platform's name."""

import pytest
from django.test import override_settings

from portage.mail import sender_of
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


def test_the_company_s_own_sender():
    tenant = TenantFactory(
        legal_name="Alpha Portage", sender_name="Alpha Recouvrement", sender_email="r@alpha.fr"
    )
    assert sender_of(tenant) == "Alpha Recouvrement <r@alpha.fr>"


@override_settings(DEFAULT_FROM_EMAIL="Portage <no-reply@portage.example>")
def test_without_an_address_the_platform_s_address_under_the_company_s_name():
    tenant = TenantFactory(legal_name="Alpha Portage", sender_name="", sender_email="")
    assert sender_of(tenant) == "Alpha Portage <no-reply@portage.example>"


@override_settings(DEFAULT_FROM_EMAIL="no-reply@portage.example")
def test_a_name_with_a_comma_is_quoted():
    tenant = TenantFactory(legal_name="Durand, Fils et Cie", sender_email="")
    assert sender_of(tenant) == '"Durand, Fils et Cie" <no-reply@portage.example>'
