"""The admin invites people, changes their role, withdraws their access; all of it audited."""

import re
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse

from portage.models import AuditEntry, Membership, User
from portage.permissions import Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def invite(client, email="new.person@example.com", role=Role.CONSULTANT):
    return client.post(
        reverse("member_invite"), {"email": email, "full_name": "New Person", "role": role}
    )


def test_inviting_someone_new_creates_their_access_and_emails_a_password_link(
    signed_in, admin_a, in_tenant
):
    response = invite(signed_in(admin_a), "New.Person@Example.com")
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert not user.has_usable_password()
    with in_tenant(admin_a.tenant):
        membership = Membership.objects.get(user=user)
        assert membership.role == Role.CONSULTANT
        entry = AuditEntry.objects.get(action="membership.created")
    assert entry.actor == admin_a.user
    assert entry.after == {"email": "new.person@example.com", "role": "consultant"}
    assert [m.to for m in mail.outbox] == [["new.person@example.com"]]
    assert admin_a.tenant.legal_name in mail.outbox[0].subject
    assert re.search(r"/accounts/password/reset/key/\S+", mail.outbox[0].body)


def test_the_invited_person_sets_a_password_and_signs_in_without_another_check(
    client, signed_in, admin_a
):
    invite(signed_in(admin_a))
    client.logout()
    path = re.search(r"/accounts/password/reset/key/\S+", mail.outbox[0].body)[0]
    form = client.get(path, follow=True)
    password = "my-own-passphrase-2026"
    client.post(form.redirect_chain[-1][0], {"password1": password, "password2": password})
    response = client.post(
        reverse("account_login"), {"login": "new.person@example.com", "password": password}
    )
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_someone_already_on_the_platform_keeps_their_password(signed_in, admin_a, tenant_b):
    elsewhere = make_member(tenant_b, Role.CONSULTANT)
    invite(signed_in(admin_a), elsewhere.user.email)
    elsewhere.user.refresh_from_db()
    assert elsewhere.user.has_usable_password()
    assert "/accounts/login/" in mail.outbox[0].body


class UnreachableMailServer(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("connection refused")


def test_when_the_invitation_cannot_be_sent_nothing_is_saved_and_the_admin_is_told(
    signed_in, admin_a, in_tenant, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.UnreachableMailServer"
    response = invite(signed_in(admin_a))
    assert response.status_code == 200
    assert "rien n&#x27;a été enregistré" in str(response.context["form"].errors)
    assert not User.objects.filter(email="new.person@example.com").exists()
    with in_tenant(admin_a.tenant):
        assert not AuditEntry.objects.filter(action="membership.created").exists()


def test_inviting_a_member_twice_is_a_clear_form_error(signed_in, admin_a, tenant_a):
    existing = make_member(tenant_a, Role.CONSULTANT)
    response = invite(signed_in(admin_a), existing.user.email)
    assert response.status_code == 200
    assert "est déjà membre de cette société" in str(response.context["form"].errors["email"])


def test_a_bad_email_is_a_form_error_not_a_crash(signed_in, admin_a):
    response = invite(signed_in(admin_a), "not-an-email")
    assert response.status_code == 200
    assert response.context["form"].errors["email"]


def test_changing_a_role_is_audited(signed_in, admin_a, tenant_a, in_tenant):
    consultant = make_member(tenant_a, Role.CONSULTANT)
    signed_in(admin_a).post(
        reverse("member_detail", args=[consultant.pk]), {"role": Role.COLLECTOR}
    )
    with in_tenant(tenant_a):
        consultant.refresh_from_db()
        entry = AuditEntry.objects.get(action="membership.role_changed")
    assert consultant.role == Role.COLLECTOR
    assert (entry.before, entry.after) == ({"role": "consultant"}, {"role": "collector"})


def test_withdrawing_access_asks_for_confirmation_first(signed_in, admin_a, tenant_a, in_tenant):
    consultant = make_member(tenant_a, Role.CONSULTANT)
    client = signed_in(admin_a)
    page = client.get(reverse("member_deactivate", args=[consultant.pk]))
    assert page.status_code == 200
    with in_tenant(tenant_a):
        consultant.refresh_from_db()
    assert consultant.is_active

    client.post(reverse("member_deactivate", args=[consultant.pk]))
    with in_tenant(tenant_a):
        consultant.refresh_from_db()
    assert not consultant.is_active
    client.post(reverse("member_reactivate", args=[consultant.pk]))
    with in_tenant(tenant_a):
        consultant.refresh_from_db()
        assert consultant.is_active
        actions = list(
            AuditEntry.objects.filter(object_id=str(consultant.pk))
            .order_by("created_at", "id")
            .values_list("action", flat=True)
        )
    assert actions == ["membership.deactivated", "membership.reactivated"]


def test_the_last_administrator_can_neither_leave_nor_be_demoted(signed_in, admin_a, in_tenant):
    client = signed_in(admin_a)
    response = client.post(reverse("member_detail", args=[admin_a.pk]), {"role": Role.CONSULTANT})
    assert "au moins un administrateur actif" in str(response.context["form"].errors)
    client.post(reverse("member_deactivate", args=[admin_a.pk]))
    with in_tenant(admin_a.tenant):
        admin_a.refresh_from_db()
    assert admin_a.role == Role.ADMIN and admin_a.is_active


def test_with_a_second_administrator_one_may_step_down(signed_in, admin_a, tenant_a, in_tenant):
    make_member(tenant_a, Role.ADMIN)
    signed_in(admin_a).post(reverse("member_detail", args=[admin_a.pk]), {"role": Role.ACCOUNTANT})
    with in_tenant(tenant_a):
        admin_a.refresh_from_db()
    assert admin_a.role == Role.ACCOUNTANT


def test_the_team_page_lists_only_this_companys_members(signed_in, admin_a, admin_b):
    page = signed_in(admin_a).get(reverse("team"))
    assert [m.pk for m in page.context["members"]] == [admin_a.pk]
    assert admin_b.user.email.encode() not in page.content


def test_changing_the_role_of_a_withdrawn_member_keeps_them_withdrawn(
    signed_in, admin_a, tenant_a, in_tenant
):
    consultant = make_member(tenant_a, Role.CONSULTANT)
    client = signed_in(admin_a)
    client.post(reverse("member_deactivate", args=[consultant.pk]))
    client.post(reverse("member_detail", args=[consultant.pk]), {"role": Role.ACCOUNTANT})
    with in_tenant(tenant_a):
        consultant.refresh_from_db()
    assert (consultant.role, consultant.is_active) == (Role.ACCOUNTANT, False)
