"""The victim portal: the start page, sign-in with a crime reference and a one-time
code, and the signed-in victim's pages about their one case.

No crime reference, contact detail or code ever appears in a URL: every form posts,
and the attempt and the signed-in case live in the server-side session.
"""

import json
import time
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)
from django.views.i18n import set_language

from cases.constants import STAGE_EXPLANATIONS, Stage
from cases.intervals import interval_label
from cases.services import (
    UpdateAgreementRefused,
    case_agree_updates,
    update_agreement_choices,
    update_agreement_error,
)
from conversations.selectors import victim_conversation
from conversations.services import messages_read
from feedback.constants import Wave
from feedback.services import (
    feedback_signed_out_offer,
    feedback_signed_out_token,
    feedback_wave_for_case_page,
    feedback_wave_is_open,
)
from rights.selectors import rights_for_case_page
from trackmycrime.client_ip import client_ip
from victims.constants import (
    CODE_ERRORS,
    NATIONAL_SUPPORT_SERVICES,
    RATE_LIMITED_ERROR,
    VICTIMS_CODE_RIGHTS,
    Channel,
    SignInOutcome,
    SignOutReason,
)
from victims.forms import (
    NO_MESSAGES,
    CodeForm,
    SignInForm,
    UpdateAgreementForm,
)
from victims.models import CaseVictim
from victims.portal import (
    ATTEMPT_SESSION_KEY,
    PORTAL_SESSION_KEY,
    RESENT_SESSION_KEY,
    PortalRequest,
    portal_language_at_sign_in,
    portal_page_viewed,
    portal_seconds_left,
    portal_sign_in,
    portal_sign_out,
    portal_signed_in_link,
    portal_touch,
    victim_required,
)
from victims.portal_cache import portal_page_response, portal_page_store
from victims.selectors import (
    force_support_services,
    portal_case_link,
    victim_own_copy,
    victim_timeline,
)
from victims.services import victim_choose_discreet_messages, victim_choose_language
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
            response = _redirect("victims:case")
            portal_language_at_sign_in(request, response, victim_id=check.victim_id)
            return response
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


@csrf_exempt
@require_POST
@never_cache
def choose_language(request: HttpRequest) -> HttpResponse:
    """The language switcher: Django's set_language (the cookie, and back to a
    safe `next`), for an offered language only. A signed-in victim's choice is saved
    on their record too, so that messages come in it.

    Without a session the switch only sets a cookie, so it needs no CSRF token:
    asking for one would store a session for every visitor to every page, and leave
    a cookie behind after signing out. A signed-in victim's form carries one, and
    it is checked before their record changes."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return render(request, "400.html", status=400)
    link = portal_signed_in_link(request)
    if link is not None:
        refused = CsrfViewMiddleware(_no_response).process_view(
            request, _no_response, (), {}
        )
        if refused is not None:
            return refused
    response = set_language(request)
    if link is not None:
        victim_choose_language(victim=link.victim, language_code=language)
    return response


def _no_response(request: HttpRequest) -> HttpResponse:
    """A view that is not exempt, for CsrfViewMiddleware's check alone."""
    raise AssertionError("never called")


def _forget_language(response: HttpResponse) -> HttpResponse:
    """Signing out leaves nothing in the browser, the language included: it is on
    the victim's record, and their next sign-in brings it back."""
    response.delete_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]
    )
    return response


@require_POST
@never_cache
def sign_out(request: HttpRequest) -> HttpResponse:
    """End the session, then offer the survey on the signed-out page through a
    short-lived signed token in its address: nothing is left in the browser's
    cookies, and access logs never keep a query string."""
    data = request.session.get(PORTAL_SESSION_KEY)
    token = None
    # Only for a session still signed in, of a victim who may still use the portal.
    if (
        data
        and portal_seconds_left(request)
        and portal_case_link(victim_id=data["victim_id"], case_id=data["case_id"])
    ):
        token = feedback_signed_out_token(
            victim_id=data["victim_id"], case_id=data["case_id"]
        )
    portal_sign_out(request, reason=SignOutReason.SIGNED_OUT)
    response = _redirect("victims:signed_out")
    if token:
        response["Location"] += "?" + urlencode({"feedback": token})
    return _forget_language(response)


@require_safe
@never_cache
def exit_this_page(request: HttpRequest) -> HttpResponse:
    """Leave quickly: end any session here, then go to an everyday website. A link,
    not a form, so that it works in one tap and without JavaScript."""
    portal_sign_out(request, reason=SignOutReason.EXITED)
    return _forget_language(HttpResponseRedirect(settings.EXIT_THIS_PAGE_URL))


@require_safe
@never_cache
def signed_out(request: HttpRequest) -> HttpResponse:
    token = request.GET.get("feedback", "")
    offer = feedback_signed_out_offer(token=token) if token else None
    if offer is None or not feedback_wave_is_open(
        victim_id=offer.victim_id, case_id=offer.case_id, wave=offer.wave
    ):
        token = ""
    return render(
        request,
        "victims/signed_out.html",
        {"feedback_token": token, "feedback_wave": Wave.SIGNED_OUT},
    )


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
    return _forget_language(render(request, "victims/session_ended.html"))


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
        "update_agreement": link,
        "feedback_wave": feedback_wave_for_case_page(
            victim_id=link.victim_id, case_id=link.case_id
        ),
        "rights": rights_for_case_page(case=case, victim_id=link.victim_id),
        # Read only when the cached page has to be made again.
        "timeline": SimpleLazyObject(lambda: victim_timeline(case_id=case.pk)),
        # Victims with enhanced rights are offered support first (Right 4).
        "support_first": link.victim.enhanced_rights,
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
    """The victim's own copy, with their conversation as their Messages page shows
    it: its messages are read (audited, one row each) as there; none while paused."""
    link = request.portal
    portal_page_viewed(link, page=page, shows_case=False)
    conversation, messages = victim_conversation(
        case_id=link.case_id, victim_id=link.victim_id
    )
    if conversation is not None and conversation.is_paused:
        return victim_own_copy(link=link, conversation=None)
    if conversation is not None:
        messages_read(
            actor=link.victim, reads=[(conversation, messages)], by_victim=True
        )
    return victim_own_copy(link=link, conversation=messages)


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


UPDATE_ANSWERS_SESSION_KEY = "victim_update_agreement"
UPDATE_AGREED_SESSION_KEY = "victim_update_agreed"


def _update_agreement_form(
    link: CaseVictim, data: dict | None = None, initial: dict | None = None
) -> UpdateAgreementForm:
    weeks, channels = update_agreement_choices(link=link)
    return UpdateAgreementForm(data, initial=initial, weeks=weeks, channels=channels)


def _update_agreement_initial(request: PortalRequest) -> dict:
    """The answers to show: those being checked, else what was agreed before."""
    if answers := request.session.get(UPDATE_ANSWERS_SESSION_KEY):
        return {
            "interval_weeks": answers["interval_weeks"],
            "channels": answers["channels"] or [NO_MESSAGES],
        }
    link = request.portal
    if link.agreed_at is None:
        return {}
    return {
        "interval_weeks": (link.agreed_interval_days or 0) // 7,
        "channels": link.agreed_channels or [NO_MESSAGES],
    }


@require_http_methods(["GET", "HEAD", "POST"])
@victim_required
def update_agreement(request: PortalRequest) -> HttpResponse:
    """Right 6's question page: how often and how the victim hears from us."""
    link = request.portal
    status = 200
    if request.method == "POST":
        form = _update_agreement_form(link, data=request.POST)
        if form.is_valid():
            request.session[UPDATE_ANSWERS_SESSION_KEY] = form.cleaned_data
            return _redirect("victims:update_agreement_check")
        status = 400
    else:
        request.session.pop(UPDATE_AGREED_SESSION_KEY, None)
        form = _update_agreement_form(link, initial=_update_agreement_initial(request))
    portal_page_viewed(link, page="update_agreement", shows_case=True)
    context = {
        "case": link.case,
        "force": link.case.force,
        "form": form,
        "link": link,
        "refused": update_agreement_error(link=link),
        "agreed_interval": interval_label(link.agreed_interval_days, in_sentence=True)
        if link.agreed_interval_days
        else None,
    }
    return render(request, "victims/update_agreement.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@victim_required
def update_agreement_check(request: PortalRequest) -> HttpResponse:
    """Check your answers, then record them (cases.services.case_agree_updates)."""
    link = request.portal
    answers = request.session.get(UPDATE_ANSWERS_SESSION_KEY)
    if not answers:
        return redirect("victims:update_agreement")
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            case_agree_updates(
                link=link,
                interval_weeks=answers["interval_weeks"],
                channels=answers["channels"],
            )
        except UpdateAgreementRefused as error:
            errors, status = list(error.messages), 429
        except ValidationError as error:
            errors, status = list(error.messages), 400
        else:
            request.session.pop(UPDATE_ANSWERS_SESSION_KEY, None)
            request.session[UPDATE_AGREED_SESSION_KEY] = True
            return _redirect("victims:update_agreement_done")
    portal_page_viewed(link, page="update_agreement_check", shows_case=True)
    context = {
        "case": link.case,
        "errors": errors,
        "interval": interval_label(answers["interval_weeks"] * 7),
        "channels": [Channel(channel).label for channel in answers["channels"]],
    }
    return render(
        request, "victims/update_agreement_check.html", context, status=status
    )


@require_safe
@victim_required
def update_agreement_done(request: PortalRequest) -> HttpResponse:
    link = request.portal
    if not request.session.pop(UPDATE_AGREED_SESSION_KEY, False) or not link.agreed_at:
        return redirect("victims:update_agreement")
    portal_page_viewed(link, page="update_agreement_done", shows_case=True)
    context = {
        "case": link.case,
        "interval": interval_label(link.agreed_interval_days or 0),
        "channels": [Channel(channel).label for channel in link.agreed_channels or []],
    }
    return render(request, "victims/update_agreement_done.html", context)
