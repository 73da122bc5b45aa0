"""A victim's signed-in session: bound to one victim and one case, ended server-side
after 15 minutes without activity or 12 hours in all, never cached by the browser."""

import time
from collections.abc import Callable
from functools import wraps
from typing import cast, overload

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect
from django.utils import translation
from django.views.decorators.cache import never_cache

from audit.constants import ObjectType
from audit.services import Audited, audit_view
from victims.constants import SignOutReason
from victims.models import CaseVictim, Victim
from victims.portal_cache import (
    PortalCached,
    portal_cache_read,
    portal_cache_store_link,
)
from victims.selectors import portal_case_link
from victims.services import victim_choose_language
from victims.sign_in import victim_session_end

PORTAL_SESSION_KEY = "victim_portal"
ATTEMPT_SESSION_KEY = "victim_sign_in_attempt"
RESENT_SESSION_KEY = "victim_sign_in_resent"
# Activity is recorded at most this often: writing the session on every page would
# cost a database write each time, for an idle limit counted in minutes.
SESSION_TOUCH_SECONDS = 60


def portal_sign_in(request: HttpRequest, *, victim_id: int, case_id: int) -> None:
    """Start a signed-in session under a new key (no fixation), for this victim and
    this case only."""
    request.session.cycle_key()
    # A new CSRF token too, as Django's own login does; stored in the session now, so
    # the first signed-in page does not have to write the session again.
    rotate_token(request)
    for key in (ATTEMPT_SESSION_KEY, RESENT_SESSION_KEY):
        request.session.pop(key, None)
    request.session.update(portal_session_data(victim_id=victim_id, case_id=case_id))
    request.session.set_expiry(session_cookie_seconds())


def portal_session_data(*, victim_id: int, case_id: int) -> dict:
    """Return what a signed-in victim's session holds: who, which case, and when."""
    now = time.time()
    return {
        PORTAL_SESSION_KEY: {
            "victim_id": victim_id,
            "case_id": case_id,
            "signed_in_at": now,
            "last_seen": now,
        }
    }


def session_cookie_seconds() -> int:
    """How long the cookie and the stored session last: twice the idle limit, so that a
    victim who comes back a little late is told they were signed out (and that is
    audited). The idle limit itself is enforced here, on the server, on every page."""
    return 2 * settings.VICTIM_SESSION_IDLE_SECONDS


def portal_touch(request: HttpRequest, *, now: float) -> None:
    """Count `now` as activity: the idle limit starts again from it."""
    data = request.session[PORTAL_SESSION_KEY]
    request.session[PORTAL_SESSION_KEY] = {**data, "last_seen": now}
    request.session.set_expiry(session_cookie_seconds())


def portal_seconds_left(request: HttpRequest) -> int | None:
    """Return how long the signed-in victim has before the idle limit signs them
    out (or the overall limit, if sooner); None if nobody is signed in."""
    data = (
        request.session.get(PORTAL_SESSION_KEY) if hasattr(request, "session") else None
    )
    if not data:
        return None
    now = time.time()
    left = min(
        settings.VICTIM_SESSION_IDLE_SECONDS - (now - data["last_seen"]),
        settings.VICTIM_SESSION_MAX_SECONDS - (now - data["signed_in_at"]),
    )
    return max(0, int(left))


def portal_sign_out(request: HttpRequest, *, reason: SignOutReason) -> bool:
    """End the session server-side; return False if nobody was signed in."""
    data = request.session.get(PORTAL_SESSION_KEY)
    request.session.flush()
    if not data:
        return False
    victim_session_end(
        victim_id=data["victim_id"],
        case_id=data["case_id"],
        reason=reason,
    )
    return True


def _ended_reason(data: dict, now: float) -> SignOutReason | None:
    if now - data["signed_in_at"] > settings.VICTIM_SESSION_MAX_SECONDS:
        return SignOutReason.EXPIRED
    if now - data["last_seen"] > settings.VICTIM_SESSION_IDLE_SECONDS:
        return SignOutReason.IDLE
    return None


class PortalRequest(HttpRequest):
    """A request from a signed-in victim: `portal` is their link to the case, and
    `portal_cached` what the cache held for them (victims/portal_cache.py)."""

    portal: CaseVictim
    portal_cached: PortalCached


View = Callable[..., HttpResponse]


@overload
def victim_required(view: View) -> View: ...


@overload
def victim_required(*, cached_page: str) -> Callable[[View], View]: ...


def victim_required(
    view: View | None = None, *, cached_page: str | None = None
) -> View | Callable[[View], View]:
    """Let only a signed-in victim in, and only to their own case.

    Sets `request.portal` to the victim's link to the case (with the victim, case,
    force and officer loaded), from the cache while no change has ended it. A
    session past its limits, or whose victim has lost portal access or left the
    case, ends here. `cached_page`: also read that page's cached copy, in the same
    round trip.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        @never_cache
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            data = request.session.get(PORTAL_SESSION_KEY)
            if not data:
                return redirect("victims:sign_in")
            now = time.time()
            reason = _ended_reason(data, now)
            if reason is not None:
                portal_sign_out(request, reason=reason)
                return redirect("victims:session_ended")
            victim_id, case_id = data["victim_id"], data["case_id"]
            cached = portal_cache_read(
                victim_id=victim_id, case_id=case_id, page=cached_page
            )
            link = cached.link
            if link is None:
                link = portal_case_link(victim_id=victim_id, case_id=case_id)
                if link is None:
                    portal_sign_out(request, reason=SignOutReason.ACCESS_ENDED)
                    return redirect("victims:sign_in")
                portal_cache_store_link(cached, link)
            if now - data["last_seen"] >= SESSION_TOUCH_SECONDS:
                portal_touch(request, now=now)
            portal_request = cast(PortalRequest, request)
            portal_request.portal = link
            portal_request.portal_cached = cached
            return view(portal_request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


def portal_page_viewed(link: CaseVictim, *, page: str, shows_case: bool) -> None:
    """Record that a signed-in victim looked at a portal page showing their case,
    or only their own details."""
    case = link.case
    audit_view(
        actor=link.victim,
        object_type=ObjectType.CASE if shows_case else ObjectType.VICTIM,
        objects=[
            Audited(
                object_id=case.pk if shows_case else link.victim_id,
                force_id=case.force_id,
                case_id=case.pk,
                detail={"page": page},
            )
        ],
        batched=True,
    )


def portal_signed_in_link(request: HttpRequest) -> CaseVictim | None:
    """Return the signed-in victim's link to their case while the session is live,
    else None; ending a stale session is victim_required's job, not this one's."""
    data = request.session.get(PORTAL_SESSION_KEY)
    if not data or _ended_reason(data, time.time()) is not None:
        return None
    return portal_case_link(victim_id=data["victim_id"], case_id=data["case_id"])


def set_language_cookie(response: HttpResponse, language_code: str) -> None:
    """Remember the portal's language in the browser, as Django's set_language does."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language_code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]
    )


def portal_language_at_sign_in(
    request: HttpRequest, response: HttpResponse, *, victim_id: int
) -> None:
    """Settle the language as a victim signs in: one they chose in this browser
    before signing in is saved on their record (messages use the record);
    otherwise the record's language, if the portal offers it, becomes the page's."""
    victim = Victim.objects.get(pk=victim_id)
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in dict(settings.LANGUAGES):
        victim_choose_language(victim=victim, language_code=chosen)
        return
    try:
        language = translation.get_supported_language_variant(victim.preferred_language)
    except LookupError:
        return
    set_language_cookie(response, language)
