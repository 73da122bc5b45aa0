"""The survey pages: offered on the case page, after signing out (through the
signed-out page's token, as no session is left), and from an invitation. Nothing
here audits or logs an answer (see feedback/services.py)."""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from cases.models import Case
from feedback.constants import SUBMIT_LIMITS, Via, Wave
from feedback.forms import FeedbackForm
from feedback.services import (
    AnswerOutcome,
    Answers,
    feedback_answer,
    feedback_dismiss,
    feedback_signed_out_offer,
    feedback_wave_for_case_page,
    feedback_wave_is_open,
)
from trackmycrime.client_ip import client_ip
from trackmycrime.rate_limits import rate_limits_hit
from victims.portal import PORTAL_SESSION_KEY, PortalRequest, victim_required

VIA_SESSION_KEY = "feedback_via"
RATE_LIMITED = _("You have sent answers too many times. Wait an hour, then try again.")


def _see_other(name: str) -> HttpResponse:
    response = redirect(name)
    response.status_code = 303
    return response


def _survey(
    request: HttpRequest,
    *,
    victim_id: int,
    case_id: int,
    wave: str | None,
    signed_in: bool,
    token: str = "",
    case: Case | None = None,
) -> HttpResponse:
    """Show the survey for one open wave, or take its answers. After signing out
    there is no session: the signed-out page's `token` is carried instead. An
    answer to a wave no longer open is refused by feedback_answer itself, in its
    transaction, so a POST does not ask first."""
    if wave is None or (
        request.method != "POST"
        and not feedback_wave_is_open(victim_id=victim_id, case_id=case_id, wave=wave)
    ):
        return _already(request, signed_in=signed_in)
    form = FeedbackForm(request.POST or None, initial={"wave": wave})
    status = 200
    if request.method == "POST":
        if rate_limits_hit(
            limits=SUBMIT_LIMITS, identifiers={"ip": client_ip(request) or "unknown"}
        ):
            form = FeedbackForm(initial={"wave": wave})
            form.errors[NON_FIELD_ERRORS] = form.error_class([str(RATE_LIMITED)])
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            outcome = feedback_answer(
                victim_id=victim_id,
                case_id=case_id,
                wave=wave,
                answers=Answers(
                    overall=data["overall"],
                    informed=data["informed"],
                    fairness=data["fairness"],
                    contact=data["contact"],
                    improve=data["improve"],
                ),
                via=request.session.pop(VIA_SESSION_KEY, Via.PORTAL)
                if signed_in
                else Via.PORTAL,
                language=translation.get_language() or "",
                case=case,
            )
            if outcome == AnswerOutcome.ALREADY:
                return _already(request, signed_in=signed_in)
            return _see_other("feedback:thanks")
        else:
            status = 400
    return render(
        request,
        "feedback/survey.html",
        {
            "form": form,
            "wave": wave,
            "others": settings.FEEDBACK_POOL_BATCH_MIN - 1,
            "action": "feedback:survey" if signed_in else "feedback:after_sign_out",
            "dismiss": "feedback:dismiss"
            if signed_in
            else "feedback:dismiss_after_sign_out",
            "token": token,
        },
        status=status,
    )


def _already(request: HttpRequest, *, signed_in: bool) -> HttpResponse:
    return render(
        request, "feedback/already.html", {"signed_in": signed_in}, status=409
    )


def _posted_wave(request: HttpRequest) -> str | None:
    wave = request.POST.get("wave", "")
    return wave if wave in Wave.values and wave != Wave.SIGNED_OUT else None


@require_http_methods(["GET", "HEAD", "POST"])
@victim_required
def survey(request: PortalRequest) -> HttpResponse:
    link = request.portal
    if request.method == "POST":
        wave = _posted_wave(request)
    else:
        wave = feedback_wave_for_case_page(
            victim_id=link.victim_id, case_id=link.case_id
        )
    return _survey(
        request,
        victim_id=link.victim_id,
        case_id=link.case_id,
        wave=wave,
        signed_in=True,
        case=link.case,
    )


@require_POST
@victim_required
def dismiss(request: PortalRequest) -> HttpResponse:
    link = request.portal
    wave = _posted_wave(request)
    if wave is not None:
        feedback_dismiss(victim_id=link.victim_id, case_id=link.case_id, wave=wave)
    return _see_other("victims:case")


def _signed_out_offer(request: HttpRequest):
    source = request.POST if request.method == "POST" else request.GET
    token = source.get("token", "")
    return token, feedback_signed_out_offer(token=token)


def _ended(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/ended.html", status=400)


# No session survives signing out to hold a CSRF token (writing one would set a
# cookie): the signed, short-lived token, which only the signed-out page was given,
# stands in for it, and answering closes the wave so that it works once.
@require_http_methods(["GET", "HEAD", "POST"])
@csrf_exempt
@never_cache
def survey_after_sign_out(request: HttpRequest) -> HttpResponse:
    token, offer = _signed_out_offer(request)
    if offer is None:
        return _ended(request)
    return _survey(
        request,
        victim_id=offer.victim_id,
        case_id=offer.case_id,
        wave=offer.wave,
        signed_in=False,
        token=token,
    )


@require_POST
@csrf_exempt
@never_cache
def dismiss_after_sign_out(request: HttpRequest) -> HttpResponse:
    _token, offer = _signed_out_offer(request)
    if offer is None:
        return _ended(request)
    feedback_dismiss(victim_id=offer.victim_id, case_id=offer.case_id, wave=offer.wave)
    return _see_other("victims:signed_out")


@require_safe
@never_cache
def thanks(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "feedback/thanks.html",
        {"signed_in": PORTAL_SESSION_KEY in request.session},
    )


@require_safe
@never_cache
def invitation(request: HttpRequest, channel: str) -> HttpResponse:
    """Where an invitation's link leads: remember only which channel it came by,
    then sign in (or go to the case page, where the survey is offered)."""
    if channel in (Via.EMAIL, Via.SMS):
        request.session[VIA_SESSION_KEY] = channel
    if PORTAL_SESSION_KEY in request.session:
        return redirect("victims:case")
    return redirect("victims:sign_in")
