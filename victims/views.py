"""The victim portal: the start page, sign-in with a crime reference and a one-time
code, and the signed-in victim's pages about their one case.

No crime reference, contact detail or code ever appears in a URL: every form posts,
and the attempt and the signed-in case live in the server-side session.
"""

import json
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from cases.constants import STAGE_EXPLANATIONS, Stage
from feedback.services import feedback_wave_for_case_page
from trackmycrime.client_ip import client_ip
from victims.constants import (
    CODE_ERRORS,
    NATIONAL_SUPPORT_SERVICES,
    RATE_LIMITED_ERROR,
    VICTIMS_CODE_RIGHTS,
    SignInOutcome,
    SignOutReason,
)
from victims.forms import CodeForm, SignInForm
from victims.portal import (
    ATTEMPT_SESSION_KEY,
    PORTAL_SESSION_KEY,
    RESENT_SESSION_KEY,
    PortalRequest,
    portal_page_viewed,
    portal_seconds_left,
    portal_sign_in,
    portal_sign_out,
    portal_touch,
    victim_required,
)
from victims.portal_cache import portal_page_response, portal_page_store
from victims.selectors import (
    force_support_services,
    victim_own_copy,
    victim_timeline,
)
from victims.services import victim_choose_discreet_messages
from victims.sign_in import (
    sign_in_attempt_start,
    sign_in_code_check,
    sign_in_code_resend,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _redirect(name: str) -> HttpResponse:
    """Redirect after a POST with 303, so that Back and reload never post again."""
    response = redirect(name)
    response.status_code = 303
    return response


@require_safe
@never_cache
def start(request: HttpRequest) -> HttpResponse:
    return render(request, "victims/start.html")


@require_safe
@never_cache
def safety(request: HttpRequest) -> HttpResponse:
    return render(request, "victims/safety.html")


@require_http_methods(["GET", "POST"])
@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    if PORTAL_SESSION_KEY in request.session:
        return redirect("victims:case")
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        started = sign_in_attempt_start(
            crime_reference=form.cleaned_data["crime_reference"],
            contact=form.cleaned_data["contact"],
            ip_address=client_ip(request),
        )
        if started.attempt is not None:
            request.session[ATTEMPT_SESSION_KEY] = started.attempt.pk
            request.session.pop(RESENT_SESSION_KEY, None)
            return _redirect("victims:sign_in_code")
        form.add_error(None, RATE_LIMITED_ERROR)
        status = 429
    return render(request, "victims/sign_in.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@never_cache
def sign_in_code(request: HttpRequest) -> HttpResponse:
    attempt_id = request.session.get(ATTEMPT_SESSION_KEY)
    if attempt_id is None:
        return redirect("victims:sign_in")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        check = sign_in_code_check(
            attempt_id=attempt_id,
            code=form.cleaned_data["code"],
            ip_address=client_ip(request),
        )
        if check.outcome == SignInOutcome.SIGNED_IN:
            assert check.victim_id is not None and check.case_id is not None
            portal_sign_in(request, victim_id=check.victim_id, case_id=check.case_id)
            return _redirect("victims:case")
        if check.outcome in (SignInOutcome.TOO_MANY_WRONG, SignInOutcome.ENDED):
            return _code_ended(request, check.outcome)
        form = _code_form_with_error(CODE_ERRORS[check.outcome])
        if check.outcome == SignInOutcome.RATE_LIMITED:
            status = 429
    resent = request.method == "GET" and request.session.pop(RESENT_SESSION_KEY, False)
    return render(
        request,
        "victims/sign_in_code.html",
        {"form": form, "resent": resent},
        status=status,
    )


@require_POST
@never_cache
def sign_in_new_code(request: HttpRequest) -> HttpResponse:
    attempt_id = request.session.get(ATTEMPT_SESSION_KEY)
    if attempt_id is None:
        return _redirect("victims:sign_in")
    outcome = sign_in_code_resend(attempt_id=attempt_id, ip_address=client_ip(request))
    if outcome == SignInOutcome.RESENT:
        request.session[RESENT_SESSION_KEY] = True
        return _redirect("victims:sign_in_code")
    if outcome == SignInOutcome.RATE_LIMITED:
        form = _code_form_with_error(CODE_ERRORS[outcome])
        return render(
            request,
            "victims/sign_in_code.html",
            {"form": form, "resent": False},
            status=429,
        )
    return _code_ended(request, outcome)


def _code_form_with_error(message: "StrOrPromise") -> CodeForm:
    """An empty code form showing `message` (a wrong code is never shown back)."""
    form = CodeForm(data={})
    form.is_valid()
    form.errors["code"] = form.error_class([str(message)])
    return form


def _code_ended(request: HttpRequest, outcome: SignInOutcome) -> HttpResponse:
    request.session.pop(ATTEMPT_SESSION_KEY, None)
    return render(
        request,
        "victims/sign_in_code_ended.html",
        {"too_many_codes": outcome == SignInOutcome.RESEND_LIMIT},
    )


@require_POST
@never_cache
def sign_out(request: HttpRequest) -> HttpResponse:
    portal_sign_out(request, reason=SignOutReason.SIGNED_OUT)
    return _redirect("victims:signed_out")


@require_safe
@never_cache
def exit_this_page(request: HttpRequest) -> HttpResponse:
    """Leave quickly: end any session here, then go to an everyday website. A link,
    not a form, so that it works in one tap and without JavaScript."""
    portal_sign_out(request, reason=SignOutReason.EXITED)
    return HttpResponseRedirect(settings.EXIT_THIS_PAGE_URL)


@require_safe
@never_cache
def signed_out(request: HttpRequest) -> HttpResponse:
    return render(request, "victims/signed_out.html")


@require_safe
@never_cache
def session_ended(request: HttpRequest) -> HttpResponse:
    return render(request, "victims/session_ended.html")


@require_safe
@never_cache
def timed_out(request: HttpRequest) -> HttpResponse:
    """Where the time-out warning sends a victim when time runs out: the session ends
    here, on the server, then the page says what happened and shows nothing else."""
    portal_sign_out(request, reason=SignOutReason.IDLE)
    return render(request, "victims/session_ended.html")


@require_POST
@victim_required
def stay_signed_in(request: HttpRequest) -> HttpResponse:
    """ "Stay signed in" from the time-out warning: count it as activity. Without
    JavaScript the button posts a form, and comes back to the page it was on."""
    portal_touch(request, now=time.time())
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"seconds_left": portal_seconds_left(request)})
    return _redirect("victims:case")


@require_safe
@victim_required(cached_page="case")
def case_detail(request: PortalRequest) -> HttpResponse:
    link = request.portal
    portal_page_viewed(link, page="case", shows_case=True)
    cached = request.portal_cached.page_for()
    if cached is not None:
        return portal_page_response(
            request, cached, seconds_left=portal_seconds_left(request)
        )
    case = link.case
    meaning, what_next = STAGE_EXPLANATIONS[case.stage]
    context = {
        "case": case,
        "force": case.force,
        "officer": case.officer_in_charge,
        "stage_label": Stage(case.stage).label,
        "stage_meaning": meaning,
        "stage_next": what_next,
        "link_id": link.pk,
        "feedback_wave": feedback_wave_for_case_page(
            victim_id=link.victim_id, case_id=link.case_id
        ),
        # Read only when the cached page has to be made again.
        "timeline": SimpleLazyObject(lambda: victim_timeline(case_id=case.pk)),
    }
    response = render(request, "victims/case.html", context)
    portal_page_store(
        request.portal_cached, page="case", request=request, response=response
    )
    return response


@require_safe
@victim_required
def support(request: PortalRequest) -> HttpResponse:
    link = request.portal
    force = link.case.force
    # The page shows whether the victim has enhanced rights: their details.
    portal_page_viewed(link, page="support", shows_case=False)
    context = {
        "force": force,
        "support_services": force_support_services(force_id=force.pk),
        "national_services": NATIONAL_SUPPORT_SERVICES,
        "rights": VICTIMS_CODE_RIGHTS,
        "enhanced_rights": link.victim.enhanced_rights,
    }
    return render(request, "victims/support.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@victim_required
def contact_preferences(request: PortalRequest) -> HttpResponse:
    link = request.portal
    if request.method == "POST":
        # The one change a victim makes online: it only ever makes messages safer.
        victim_choose_discreet_messages(victim=link.victim)
        return _redirect("victims:contact_preferences")
    portal_page_viewed(link, page="contact_preferences", shows_case=False)
    return render(
        request,
        "victims/contact_preferences.html",
        {"victim": link.victim, "force": link.case.force},
    )


def _own_copy(request: PortalRequest, *, page: str) -> dict:
    link = request.portal
    portal_page_viewed(link, page=page, shows_case=False)
    return victim_own_copy(link=link)


@require_safe
@victim_required
def own_copy(request: PortalRequest) -> HttpResponse:
    return render(
        request, "victims/own_copy.html", {"copy": _own_copy(request, page="own_copy")}
    )


@require_safe
@victim_required
def own_copy_download_html(request: PortalRequest) -> HttpResponse:
    response = render(
        request,
        "victims/own_copy_download.html",
        {
            "copy": _own_copy(request, page="own_copy_html"),
            "copy_made_at": timezone.now(),
        },
    )
    response["Content-Disposition"] = 'attachment; filename="your-data.html"'
    return response


@require_safe
@victim_required
def own_copy_download_json(request: PortalRequest) -> HttpResponse:
    copy = _own_copy(request, page="own_copy_json")
    response = HttpResponse(
        json.dumps(copy, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="your-data.json"'
    return response
