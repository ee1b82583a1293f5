"""The platform operator belongs to no company: signing in, they land on a page that says
what they can do and opens each part of the platform admin; a user without a company who
is not an operator is told to ask for an invitation."""

import pytest
from django.urls import reverse

from portage.models import User
from portage.tenancy import PLATFORM_DB
from tests.factories import UserFactory, totp_secret_for

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])


def test_the_operator_lands_on_what_an_operator_can_do(client):
    operator = UserFactory(is_staff=True, is_superuser=True)
    totp_secret_for(operator)
    client.force_login(operator)
    home = client.get(reverse("dashboard"), follow=True)
    page = home.content.decode()
    assert "portage/operator_home.html" in [t.name for t in home.templates]
    for name in (
        "admin:portage_tenant_changelist",
        "admin:portage_user_changelist",
        "admin:portage_batchrun_changelist",
        "admin:django_celery_beat_periodictask_changelist",
        "admin:portage_auditentry_changelist",
    ):
        assert f'href="{reverse(name)}"' in page
        assert client.get(reverse(name)).status_code == 200


def test_a_user_of_no_company_is_told_to_ask_for_an_invitation(client):
    client.force_login(User.objects.create_user("left@example.com", "pw"))
    page = client.get(reverse("dashboard"), follow=True)
    assert "portage/no_company.html" in [t.name for t in page.templates]
    assert reverse("admin:index") not in page.content.decode()
