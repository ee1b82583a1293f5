"""Sending declarations and claims to an insurer that has an API (connector "http").

The batch prepares them in its transaction; once it commits, a task sends each one. The
filing's reference (OVD-<pk>, CLM-<pk>) is its idempotency key at the insurer: a retry
after a lost answer, a redelivered task or two workers never file twice. A temporary
failure is retried by the task with backoff; a refusal, or the last failure, is recorded
on the row for the collector to see, and nothing is marked sent that was not."""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from insurance.connectors import Refused, TemporaryFailure, get_connector
from insurance.models import Claim, Declaration, Insurer
from insurance.selectors import declaration_told_by_claim
from insurance.selectors.claims import claim_filing, overdue_notice
from insurance.services.claims import (
    claim_file,
    claim_note_refusal,
    declaration_mark_failed,
    declaration_mark_sent,
)
from portage.batch import paris_today

logger = logging.getLogger(__name__)


def connector_of(insurer, **options):
    return get_connector(
        "http",
        base_url=insurer.api_base_url,
        api_key=insurer.api_key,
        secret=insurer.api_secret,
        **options,
    )


def uses_api(policy):
    return policy.insurer.connector == Insurer.Connector.HTTP and bool(policy.insurer.api_base_url)


@transaction.atomic
def transmit_declaration(declaration_pk, *, connector=None, final=False):
    """Declares the overdue through the insurer's API; returns the declaration. A
    declaration whose invoice a claim told the insurer of meanwhile (the task was queued
    before the claim was filed) is not sent: nothing is left to declare."""
    declaration = (
        Declaration.objects.select_for_update()
        .select_related("invoice__client", "policy__insurer")
        .get(pk=declaration_pk)
    )
    if declaration.status != Declaration.Status.TO_SEND or declaration_told_by_claim(declaration):
        return declaration
    connector = connector or connector_of(declaration.policy.insurer)
    try:
        receipt = connector.declare_overdue(overdue_notice(declaration))
    except Refused as refusal:
        return declaration_mark_failed(
            declaration=declaration,
            detail=_("Refused by the insurer: %(reason)s") % {"reason": refusal},
        )
    except TemporaryFailure as failure:
        if not final:
            raise
        return declaration_mark_failed(
            declaration=declaration,
            detail=_("Insurer unreachable: %(error)s") % {"error": failure},
        )
    return declaration_mark_sent(
        declaration=declaration,
        actor=None,
        actor_label=_("Insurer's API"),
        declared_on=paris_today(),
        insurer_reference=receipt.insurer_reference,
    )


@transaction.atomic
def transmit_claim(claim_pk, *, connector=None, final=False):
    """Files the claim through the insurer's API; returns the claim."""
    claim = (
        Claim.objects.select_for_update()
        .select_related("client", "policy__insurer")
        .get(pk=claim_pk)
    )
    if claim.state != Claim.State.TO_FILE:
        return claim
    connector = connector or connector_of(claim.policy.insurer)
    try:
        receipt = connector.file_claim(claim_filing(claim))
    except Refused as refusal:
        return claim_note_refusal(
            claim=claim,
            reason=_("Refused by the insurer's API: %(reason)s") % {"reason": refusal},
        )
    except TemporaryFailure:
        if not final:
            raise
        logger.warning("Claim %s could not be filed: the insurer is unreachable", claim.pk)
        return claim
    return claim_file(
        claim=claim,
        actor=None,
        actor_label=_("Insurer's API"),
        filed_on=paris_today(),
        insurer_reference=receipt.insurer_reference,
    )
