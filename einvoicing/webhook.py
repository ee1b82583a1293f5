"""The address the company's platform posts its lifecycle statuses to (XP Z12-013
webhooks). No session: the address's token names the company, the signature proves the
platform sent it; each status is recorded once, however often it is posted."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from einvoicing.connectors.base import ConnectorError, Refused
from einvoicing.services.statuses import account_for_webhook, webhook_receive
from portage.models import Tenant
from portage.permissions import public
from portage.tenancy import tenant_context


@public
@csrf_exempt
@require_POST
def platform_webhook(request, token):
    account = account_for_webhook(token)
    if account is None:
        return JsonResponse({"error": "unknown address"}, status=404)
    tenant = Tenant.objects.get(pk=account.tenant_id)
    with tenant_context(tenant):
        try:
            new = webhook_receive(tenant=tenant, headers=request.headers, body=request.body)
        except Refused as refusal:
            return JsonResponse({"error": refusal.reason}, status=401)
        except ConnectorError as error:
            return JsonResponse({"error": str(error)}, status=400)
    return JsonResponse({"recorded": new})
