"""The victim's pages for acting on their Victims' Code rights: a question page, a
check-answers page and a confirmation, for each kind the victim can ask online.
Signed-in and access checks are the case page's (victims.portal.victim_required);
answers wait in the session between pages and are written by rights.services."""

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from rights.constants import OPEN_STATUSES, REFUSALS, RightKind
from rights.eligibility import request_refusal, review_window
from rights.forms import ComplaintForm, RequestForm, ReviewForm
from rights.models import RightRequest
from rights.services import RequestRefused, request_make, victim_rate_limited
from victims.portal import PortalRequest, portal_page_viewed, victim_required

DRAFT_SESSION_KEY = "rights_draft"
MADE_SESSION_KEY = "rights_made"
# The kinds asked for with these pages; each has its templates in rights/<kind>_*.html.
FORMS: dict[str, type[RequestForm]] = {
    RightKind.REVIEW: ReviewForm,
    RightKind.COMPLAINT: ComplaintForm,
}


def _see_other(name: str, kind: str) -> HttpResponse:
    response = redirect(name, kind=kind)
    response.status_code = 303
    return response


def _form_class(kind: str) -> type[RequestForm]:
    if kind not in FORMS:
        raise Http404
    return FORMS[kind]


def _context(request: PortalRequest, kind: str, **extra) -> dict:
    case = request.portal.case
    return {
        "kind": kind,
        "case": case,
        "force": case.force,
        "review": review_window(case) if kind == RightKind.REVIEW else None,
        **extra,
    }


def _open_request(request: PortalRequest, kind: str) -> RightRequest | None:
    link = request.portal
    return (
        RightRequest.objects.filter(
            case_id=link.case_id, victim_id=link.victim_id, kind=kind
        )
        .filter(status__in=OPEN_STATUSES)
        .first()
    )


def request_blocked_page(request: PortalRequest, kind: str) -> HttpResponse | None:
    """The page to show instead of the form, if the victim cannot ask now."""
    case = request.portal.case
    refusal = request_refusal(kind=kind, case=case, now=timezone.now())
    if refusal is None and _open_request(request, kind) is not None:
        refusal = "duplicate"
    if refusal is None and victim_rate_limited(victim_id=request.portal.victim_id):
        refusal = "rate_limited"
    if refusal is None:
        return None
    return render(
        request,
        "rights/unavailable.html",
        _context(request, kind, refusal=refusal, refusal_text=REFUSALS[refusal]),
        status=200 if refusal in ("duplicate", "window_closed") else 403,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@victim_required
def request_question(request: PortalRequest, kind: str) -> HttpResponse:
    """The question page: the victim's own words and how to hear back. Answers are
    kept in the session, and shown again on an error or a change from the check
    page."""
    form_class = _form_class(kind)
    if blocked := request_blocked_page(request, kind):
        return blocked
    drafts = request.session.get(DRAFT_SESSION_KEY, {})
    if request.method == "POST":
        form = form_class(request.POST, victim=request.portal.victim)
        if form.is_valid():
            request.session[DRAFT_SESSION_KEY] = {**drafts, kind: form.cleaned_data}
            return _see_other("rights:check", kind)
        status = 400
    else:
        form = form_class(initial=drafts.get(kind), victim=request.portal.victim)
        status = 200
        # Not a page showing the case's updates: it must not count as the victim
        # being told of them (cases.compliance).
        portal_page_viewed(request.portal, page=f"rights_{kind}", shows_case=False)
    return render(
        request,
        f"rights/{kind}_question.html",
        _context(request, kind, form=form),
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@victim_required
def request_check(request: PortalRequest, kind: str) -> HttpResponse:
    """Check your answers, then send: the request is written only here."""
    form_class = _form_class(kind)
    if blocked := request_blocked_page(request, kind):
        return blocked
    draft = request.session.get(DRAFT_SESSION_KEY, {}).get(kind)
    if not draft:
        return _see_other("rights:question", kind)
    form = form_class(draft, victim=request.portal.victim)
    if not form.is_valid():  # e.g. a channel no longer safe since
        return _see_other("rights:question", kind)
    error = None
    if request.method == "POST":
        link = request.portal
        try:
            made = request_make(
                victim=link.victim, case=link.case, kind=kind, form_data=draft
            )
        except RequestRefused as refused:
            error = refused.messages[0]
        else:
            drafts = dict(request.session.get(DRAFT_SESSION_KEY, {}))
            drafts.pop(kind, None)
            request.session[DRAFT_SESSION_KEY] = drafts
            request.session[MADE_SESSION_KEY] = {
                **request.session.get(MADE_SESSION_KEY, {}),
                kind: made.pk,
            }
            return _see_other("rights:done", kind)
    return render(
        request,
        "rights/check.html",
        _context(
            request,
            kind,
            form=form,
            text=form.cleaned_data["text"],
            reply_channel=dict(form.fields["reply_channel"].choices).get(  # type: ignore[attr-defined]
                form.cleaned_data["reply_channel"]
            ),
            error=error,
        ),
        status=400 if error else 200,
    )


@require_safe
@victim_required
def request_done(request: PortalRequest, kind: str) -> HttpResponse:
    """Confirmation: what was received, and what happens next, by when."""
    _form_class(kind)
    made_id = request.session.get(MADE_SESSION_KEY, {}).get(kind)
    link = request.portal
    made = (
        RightRequest.objects.filter(
            pk=made_id, case_id=link.case_id, victim_id=link.victim_id
        )
        .select_related("acknowledge_clock", "done_clock")
        .first()
        if made_id
        else None
    )
    if made is None:
        return redirect("victims:case")
    portal_page_viewed(link, page=f"rights_{kind}_done", shows_case=False)
    return render(request, "rights/done.html", _context(request, kind, made=made))
