"""The pages every UK public service publishes: accessibility statement, privacy
notice, cookies, help and contact. Their facts come from the code and the settings
that make them true, never from words typed twice."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from pages.constants import ACCESSIBILITY_CHECKS
from pages.cookies import service_cookies
from privacy.services import retention_periods
from victims.constants import NATIONAL_SUPPORT_SERVICES, SIGN_IN_CODE_VALID_SECONDS


def _service() -> dict:
    return {
        "controller": settings.SERVICE_CONTROLLER_NAME,
        "contact_phone": settings.SERVICE_CONTACT_PHONE,
        "contact_email": settings.SERVICE_CONTACT_EMAIL,
        "contact_address": settings.SERVICE_CONTACT_ADDRESS,
        "dpo_email": settings.DATA_PROTECTION_OFFICER_EMAIL,
    }


@require_safe
@never_cache
def accessibility_statement(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "pages/accessibility_statement.html",
        {
            "service": _service(),
            "checks": ACCESSIBILITY_CHECKS,
            "prepared_on": settings.ACCESSIBILITY_STATEMENT_PREPARED_ON,
        },
    )


@require_safe
@never_cache
def privacy(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "pages/privacy.html",
        {"service": _service(), "retention": retention_periods()},
    )


@require_safe
@never_cache
def cookies(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/cookies.html", {"cookies": service_cookies()})


@require_safe
@never_cache
def help_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "pages/help.html",
        {
            "service": _service(),
            "code_minutes": SIGN_IN_CODE_VALID_SECONDS // 60,
            "national_services": NATIONAL_SUPPORT_SERVICES,
        },
    )


@require_safe
@never_cache
def contact(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/contact.html", {"service": _service()})
