from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header

from portage.models import Tenant
from portage.selectors import memberships_of, needs_mfa_setup
from portage.tenancy import tenant_context, tenant_known, user_context

ACTIVE_TENANT_SESSION_KEY = "active_tenant_id"


class LanguageMiddleware(LocaleMiddleware):
    """French first: the language the user chose (language cookie), otherwise French.

    The browser's Accept-Language is not consulted, so a French back office does not turn
    English because of a workstation's settings. The API is the exception: a program says
    which language its error messages should be in with Accept-Language (French or
    English, French when it says nothing we speak).
    """

    def process_request(self, request):
        if request.path.startswith("/api/"):
            language = api_language(request.headers.get("Accept-Language", ""))
        else:
            language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


def api_language(accept_language):
    """The first language of an Accept-Language header that we speak, by its q order."""
    for code, _quality in parse_accept_lang_header(accept_language[:500]):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


class TenantMiddleware:
    """Runs a signed-in user's request inside the tenant of their chosen membership.

    The whole request, views and templates, runs in one transaction with both tenancy
    locks set (see `portage.tenancy`). The membership comes from the session (the tenant
    switcher), else the user's first one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = None
        request.membership = None
        request.memberships = []
        request.api_key = None
        if request.path.startswith("/api/") and request.META.get("HTTP_AUTHORIZATION"):
            return self.api_key_request(request)
        if not request.user.is_authenticated:
            return self.get_response(request)
        with user_context(request.user):
            request.memberships = memberships_of(user=request.user)
            membership = choose_membership(
                request.memberships, request.session.get(ACTIVE_TENANT_SESSION_KEY)
            )
            if membership is None:
                return self.get_response(request)
            request.membership = membership
            request.tenant = membership.tenant
            with tenant_context(membership.tenant):
                return self.get_response(request)

    def api_key_request(self, request):
        """An API call with a key runs in the key's company; with an unknown or revoked
        key it runs in none, and the API answers 401. The key is found by its prefix (one
        query), then read with its company inside the company's transaction, the one the
        call runs in."""
        from portage.api.keys import key_found, key_read

        scheme, _, raw = request.META["HTTP_AUTHORIZATION"].partition(" ")
        found = key_found(raw.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            return self.get_response(request)
        key_id, tenant_id = found
        with tenant_context(Tenant(pk=tenant_id)):
            key = key_read(key_id)
            if key is not None:
                tenant_known(key.tenant)
                request.api_key = key
                request.tenant = key.tenant
                return self.get_response(request)
        return self.get_response(request)


def choose_membership(memberships, tenant_id):
    for membership in memberships:
        if membership.tenant_id == tenant_id:
            return membership
    return memberships[0] if memberships else None


class MfaRequiredMiddleware:
    """Admins and collectors (in any of their companies) and platform operators must sign in
    with a second factor: until they have set up TOTP, every page sends them to its set-up."""

    allowed_prefixes = ("/accounts/", "/healthz", "/i18n/", "/static/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.user.is_authenticated
            and not request.path.startswith(self.allowed_prefixes)
            and needs_mfa_setup(user=request.user, memberships=request.memberships)
        ):
            messages.info(
                request,
                _(
                    "Your role requires two-factor sign-in. Confirm your password, then link "
                    "an authenticator app (such as FreeOTP, Google Authenticator or Microsoft "
                    "Authenticator) to your account."
                ),
            )
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('mfa_activate_totp')}?{query}")
        return self.get_response(request)
