"""The home page: the core's panels and every app's answer to `home_panels`, in order."""

import pytest
from django.urls import reverse

from portage.permissions import Role
from portage.signals import HomePanel, home_panels
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def positions(page, *texts):
    """Where each text stands in the page's content (after the navigation)."""
    html = page.content.decode()
    main = html[html.index("<main") :]
    return [main.index(text) for text in texts]


def test_the_collector_s_home_shows_the_ladder_insurance_and_billing_each_in_its_place(
    signed_in, tenant_a
):
    page = signed_in(make_member(tenant_a, Role.COLLECTOR)).get(reverse("dashboard"))
    ladder, insurance, billing = positions(
        page,
        reverse("dunning_message_list"),
        reverse("insurance_claim_list"),
        reverse("bank_queue"),
    )
    assert ladder < insurance < billing


def test_the_worklist_button_stands_beside_the_collector_s_title(signed_in, tenant_a):
    page = signed_in(make_member(tenant_a, Role.COLLECTOR)).get(reverse("dashboard"))
    heading, button, first_panel = positions(
        page, '<div class="page-head">', reverse("dunning_worklist"), 'class="stats"'
    )
    assert heading < button < first_panel


def test_another_app_s_answer_joins_the_admin_s_home_without_replacing_it(signed_in, tenant_a):
    def answer(sender, request, **kwargs):
        notice = {"level": "warning", "text": "Un mot d'une autre application"}
        context = {"notices": [notice]}
        return [HomePanel(order=15, template="includes/notices.html", context=context)]

    home_panels.connect(answer, sender=Role.ADMIN, dispatch_uid="test_home_answer")
    try:
        page = signed_in(make_member(tenant_a, Role.ADMIN)).get(reverse("dashboard"))
    finally:
        home_panels.disconnect(sender=Role.ADMIN, dispatch_uid="test_home_answer")
    notice, checklist, team = positions(
        page, "Un mot d&#x27;une autre application", "checklist", reverse("member_invite")
    )
    assert notice < checklist < team


def test_an_answer_for_one_role_stays_off_the_other_roles_homes(signed_in, tenant_a):
    def answer(sender, request, **kwargs):
        context = {"notices": [{"level": "warning", "text": "Pour les administrateurs"}]}
        return [HomePanel(order=15, template="includes/notices.html", context=context)]

    home_panels.connect(answer, sender=Role.ADMIN, dispatch_uid="test_home_answer")
    try:
        page = signed_in(make_member(tenant_a, Role.ACCOUNTANT)).get(reverse("dashboard"))
    finally:
        home_panels.disconnect(sender=Role.ADMIN, dispatch_uid="test_home_answer")
    assert b"Pour les administrateurs" not in page.content
    assert reverse("audit_log").encode() in page.content
