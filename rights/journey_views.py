"""The victim's pages for two requests: a Victim Personal Statement (Right 7) and a
referral to support (Right 4). Question pages, one question each, then check
answers, then the request is written by rights.services.request_make (which checks
again who may ask, duplicates and the rate limit).

The answers wait in the server-side session, keyed by the kind of request, until
they are sent; an error shows the page again with what was entered. Signed-in,
CSRF and access checks are the case page's (victims.portal.victim_required).
"""

from typing import TYPE_CHECKING, Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from rights.constants import REFUSALS, RightKind
from rights.eligibility import victim_refusal
from rights.journey_forms import (
    AVAILABILITY_MAX_LENGTH,
    READING_CHOICES,
    STATEMENT_CHOICES,
    AvailabilityForm,
    ConsentForm,
    ReadingForm,
    ServiceForm,
    StatementForm,
    SupportChoice,
    support_choices,
)
from rights.services import RequestRefused, request_make
from rights.views import request_blocked_page
from victims.portal import PortalRequest, portal_page_viewed, victim_required
from victims.selectors import force_support_services

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

JOURNEY_SESSION_KEY = "rights_journey"
SENT_SESSION_KEY = "rights_journey_sent"

VPS_CAPTION = _("Victim Personal Statement")
REFERRAL_CAPTION = _("Referral to support")
# What a referral shares with the service: said before the victim agrees, and kept
# with the request as what they agreed to.
REFERRAL_SHARED = (
    _("your name"),
    _("the ways you told us it is safe to contact you, and your contact details"),
    _("what the crime was, and when it happened"),
    _("whether you are entitled to enhanced rights under the Victims' Code"),
)


def _see_other(url: str) -> HttpResponse:
    response = redirect(url)
    response.status_code = 303
    return response


def _answers(request: PortalRequest, kind: str) -> dict[str, Any]:
    return dict(request.session.get(JOURNEY_SESSION_KEY, {}).get(kind, {}))


def _keep(request: PortalRequest, kind: str, **answers: Any) -> None:
    journeys = dict(request.session.get(JOURNEY_SESSION_KEY, {}))
    journeys[kind] = {**journeys.get(kind, {}), **answers}
    request.session[JOURNEY_SESSION_KEY] = journeys


def _forget(request: PortalRequest, kind: str) -> None:
    journeys = dict(request.session.get(JOURNEY_SESSION_KEY, {}))
    journeys.pop(kind, None)
    request.session[JOURNEY_SESSION_KEY] = journeys


def _refusal(request: PortalRequest, kind: str) -> HttpResponse | None:
    """The page saying why this victim cannot make the request now (outside its
    window, one already open, too many lately), before any question is asked."""
    victim = request.portal.victim
    if reason := victim_refusal(kind=kind, victim=victim):
        case = request.portal.case
        return render(
            request,
            "rights/unavailable.html",
            {
                "kind": kind,
                "case": case,
                "force": case.force,
                "refusal": reason,
                "refusal_text": REFUSALS[reason],
            },
            status=403,
        )
    return request_blocked_page(request, kind)


def _question(
    request: PortalRequest,
    *,
    kind: str,
    form: forms.Form,
    field: str,
    next_url: str,
    back_url: str,
    **context: Any,
) -> HttpResponse:
    """Ask one question: keep a valid answer and go on (to check answers if the
    victim came from there), or show the page again with the error and the answer."""
    if refused := _refusal(request, kind):
        return refused
    if request.method == "POST" and form.is_valid():
        _keep(request, kind, **{field: form.cleaned_data[field]})
        if request.GET.get("change") == "1":
            next_url = _check_url(kind)
        return _see_other(next_url)
    if request.method != "POST":
        # Not a page showing the case's updates: it must not count as the victim
        # being told of them (cases.compliance).
        portal_page_viewed(request.portal, page=f"rights_{kind}", shows_case=False)
    return render(
        request,
        "rights/question.html",
        {
            "form": form,
            "field": form[field],
            "back_url": back_url,
            **context,
        },
        status=400 if request.method == "POST" else 200,
    )


def _check_url(kind: str) -> str:
    if kind == RightKind.PERSONAL_STATEMENT:
        return reverse("rights:personal_statement_check")
    return reverse("rights:support_referral_check")


def _form(request: PortalRequest, form_class, kind: str, **kwargs) -> forms.Form:
    """A question's form: what was posted, or the answer kept from before."""
    if request.method == "POST":
        return form_class(request.POST, **kwargs)
    return form_class(initial=_answers(request, kind), **kwargs)


def _label(choices, value: str) -> "StrOrPromise":
    return dict(choices).get(value, "")


def _options(choices) -> list[dict]:
    return [{"value": value, "label": label} for value, label in choices]


# ---------------------------------------------------------------------------------
# Victim Personal Statement (Right 7)

VPS = RightKind.PERSONAL_STATEMENT


@require_http_methods(["GET", "HEAD", "POST"])
@victim_required
def personal_statement_statement(request: PortalRequest) -> HttpResponse:
    return _question(
        request,
        kind=VPS,
        form=_form(request, StatementForm, VPS),
        field="statement",
        next_url=reverse("rights:personal_statement_reading"),
        back_url=reverse("victims:case"),
        title=StatementForm.base_fields["statement"].label,
        caption=VPS_CAPTION,
        question="radios",
        options=_options(STATEMENT_CHOICES),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@victim_required
def personal_statement_reading(request: PortalRequest) -> HttpResponse:
    return _question(
        request,
        kind=VPS,
        form=_form(request, ReadingForm, VPS),
        field="reading",
        next_url=reverse("rights:personal_statement_availability"),
        back_url=reverse("rights:personal_statement"),
        title=ReadingForm.base_fields["reading"].label,
        caption=VPS_CAPTION,
        question="radios",
        options=_options(READING_CHOICES),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@victim_required
def personal_statement_availability(request: PortalRequest) -> HttpResponse:
    return _question(
        request,
        kind=VPS,
        form=_form(request, AvailabilityForm, VPS),
        field="availability",
        next_url=reverse("rights:personal_statement_check"),
        back_url=reverse("rights:personal_statement_reading"),
        title=AvailabilityForm.base_fields["availability"].label,
        caption=VPS_CAPTION,
        question="textarea",
        max_length=AVAILABILITY_MAX_LENGTH,
    )


def _vps_details(answers: dict) -> dict | None:
    """The answers as each question's form cleans them; None if one is missing or
    no longer valid (the victim is sent back to the questions)."""
    details = {}
    for form_class in (StatementForm, ReadingForm, AvailabilityForm):
        form = form_class(data=answers)
        if not form.is_valid():
            return None
        details.update(form.cleaned_data)
    return details


def _vps_rows(answers: dict | None) -> list[dict] | None:
    if answers is None:
        return None
    return [
        {
            "key": _("What you would like to do"),
            "value": _label(STATEMENT_CHOICES, answers["statement"]),
            "change_url": reverse("rights:personal_statement") + "?change=1",
            "change_label": _("what you would like to do"),
        },
        {
            "key": _("Reading it aloud in court"),
            "value": _label(READING_CHOICES, answers["reading"]),
            "change_url": reverse("rights:personal_statement_reading") + "?change=1",
            "change_label": _("reading it aloud in court"),
        },
        {
            "key": _("When you are free to be contacted"),
            "value": answers["availability"],
            "change_url": reverse("rights:personal_statement_availability")
            + "?change=1",
            "change_label": _("when you are free to be contacted"),
        },
    ]


@require_http_methods(["GET", "HEAD", "POST"])
@victim_required
def personal_statement_check(request: PortalRequest) -> HttpResponse:
    link = request.portal
    days = link.case.force.vps_contact_working_days
    details = _vps_details(_answers(request, VPS))
    return _check(
        request,
        kind=VPS,
        rows=_vps_rows(details),
        first_url=reverse("rights:personal_statement"),
        back_url=reverse("rights:personal_statement_availability"),
        caption=VPS_CAPTION,
        next_steps=_(
            "The officer in charge of your case will contact you within "
            "%(days)s working days to arrange when and how your statement is taken."
        )
        % {"days": days},
        sent_url=reverse("rights:personal_statement_sent"),
        form_data={"details": details},
    )


@require_safe
@victim_required
def personal_statement_sent(request: PortalRequest) -> HttpResponse:
    days = request.portal.case.force.vps_contact_working_days
    return _sent(
        request,
        kind=VPS,
        heading=_("We have your request to make a Victim Personal Statement"),
        next_steps=_(
            "The officer in charge of your case will contact you within "
            "%(days)s working days, at the times you said you are free."
        )
        % {"days": days},
    )


# ---------------------------------------------------------------------------------
# Referral to support (Right 4)

REFERRAL = RightKind.SUPPORT_REFERRAL


def _support_choices(request: PortalRequest) -> list[SupportChoice]:
    return support_choices(
        services=force_support_services(force_id=request.portal.case.force_id)
    )


def _service_options(choices: list[SupportChoice]) -> list[dict]:
    options = []
    for index, choice in enumerate(choices):
        divider = None
        if index and choice.local is None and choices[index - 1].local is not None:
            divider = _("or a national service")
        options.append(
            {
                "value": choice.value,
                "label": choice.name,
                "hint": choice.description,
                "divider": divider,
            }
        )
    return options


@require_http_methods(["GET", "HEAD", "POST"])
@victim_required
def support_referral_service(request: PortalRequest) -> HttpResponse:
    choices = _support_choices(request)
    return _question(
        request,
        kind=REFERRAL,
        form=_form(request, ServiceForm, REFERRAL, choices=choices),
        field="service",
        next_url=reverse("rights:support_referral_consent"),
        back_url=reverse("victims:case"),
        title=ServiceForm.base_fields["service"].label,
        caption=REFERRAL_CAPTION,
        question="radios",
        options=_service_options(choices),
    )


def _chosen(request: PortalRequest, value: str | None) -> SupportChoice | None:
    return next((c for c in _support_choices(request) if c.value == value), None)


@require_http_methods(["GET", "HEAD", "POST"])
@victim_required
def support_referral_consent(request: PortalRequest) -> HttpResponse:
    chosen = _chosen(request, _answers(request, REFERRAL).get("service"))
    if chosen is None:
        return _see_other(reverse("rights:support_referral"))
    heading = _("Can we share your details with %(service)s?") % {
        "service": chosen.name
    }
    return _question(
        request,
        kind=REFERRAL,
        form=_form(request, ConsentForm, REFERRAL),
        field="consent",
        next_url=reverse("rights:support_referral_check"),
        back_url=reverse("rights:support_referral"),
        title=heading,
        heading=heading,
        caption=REFERRAL_CAPTION,
        question="consent",
        service_name=chosen.name,
        shared=REFERRAL_SHARED,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@victim_required
def support_referral_check(request: PortalRequest) -> HttpResponse:
    answers = _answers(request, REFERRAL)
    chosen = _chosen(request, answers.get("service"))
    rows = None
    if chosen is not None and answers.get("consent"):
        rows = [
            {
                "key": _("Service"),
                "value": chosen.name,
                "change_url": reverse("rights:support_referral") + "?change=1",
                "change_label": _("service"),
            },
            {
                "key": _("Sharing your details"),
                "value": _("You agree to us sharing your details with the service"),
                "change_url": reverse("rights:support_referral_consent") + "?change=1",
                "change_label": _("sharing your details"),
            },
        ]
    return _check(
        request,
        kind=REFERRAL,
        rows=rows,
        first_url=reverse("rights:support_referral"),
        back_url=reverse("rights:support_referral_consent"),
        caption=REFERRAL_CAPTION,
        next_steps=_(
            "We will refer you within 2 working days. The service will then "
            "contact you in the ways you told us are safe."
        ),
        sent_url=reverse("rights:support_referral_sent"),
        form_data={
            "support_service": chosen.local if chosen else None,
            "details": {
                "service": chosen.value if chosen else "",
                # Kept as chosen: the victim is told this name when referred.
                "service_name": chosen.name if chosen else "",
                "consent": True,
                "shared": [str(item) for item in REFERRAL_SHARED],
            },
        },
    )


@require_safe
@victim_required
def support_referral_sent(request: PortalRequest) -> HttpResponse:
    return _sent(
        request,
        kind=REFERRAL,
        heading=_("We have your request to be referred to support"),
        next_steps=_(
            "We will refer you within 2 working days, and tell you when we have. "
            "The service will then contact you."
        ),
    )


# ---------------------------------------------------------------------------------
# Shared by both journeys


class _NoFields(forms.Form):
    """The check-answers page's form: only the service's refusal, if any."""


def _check(
    request: PortalRequest,
    *,
    kind: str,
    rows: list[dict] | None,
    first_url: str,
    back_url: str,
    caption: "StrOrPromise",
    next_steps: "StrOrPromise",
    sent_url: str,
    form_data: dict,
) -> HttpResponse:
    if refused := _refusal(request, kind):
        return refused
    if rows is None:  # a question not yet answered (or the session ended)
        return _see_other(first_url)
    form = _NoFields(data={})
    form.is_valid()
    status = 200
    if request.method == "POST":
        link = request.portal
        try:
            request_make(
                victim=link.victim,
                case=link.case,
                kind=kind,
                form_data=form_data,
                recorded_at=timezone.now(),
            )
        except RequestRefused as refusal:
            form.add_error(None, refusal.messages[0])
            status = 429 if refusal.code == "rate_limited" else 400
        else:
            _forget(request, kind)
            request.session[SENT_SESSION_KEY] = kind
            return _see_other(sent_url)
    return render(
        request,
        "rights/check_answers.html",
        {
            "form": form,
            "rows": rows,
            "back_url": back_url,
            "caption": caption,
            "next_steps": next_steps,
        },
        status=status,
    )


def _sent(
    request: PortalRequest,
    *,
    kind: str,
    heading: "StrOrPromise",
    next_steps: "StrOrPromise",
) -> HttpResponse:
    if request.session.get(SENT_SESSION_KEY) != kind:
        return redirect("victims:case")
    return render(
        request,
        "rights/request_sent.html",
        {"heading": heading, "next_steps": next_steps},
    )
