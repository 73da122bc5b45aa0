from django.conf import settings
from django.http import HttpRequest

from victims.portal import PORTAL_SESSION_KEY, portal_seconds_left


def portal(request: HttpRequest) -> dict:
    """What every page's layout needs: where "Exit this page" goes, whether to show
    the signed-in navigation, the languages offered, and when the time-out warning
    is due (the session is read, not trusted: views check it)."""
    signed_in = hasattr(request, "session") and PORTAL_SESSION_KEY in request.session
    return {
        "exit_this_page_url": settings.EXIT_THIS_PAGE_URL,
        "victim_signed_in": signed_in,
        "session_seconds_left": portal_seconds_left(request) if signed_in else None,
        "session_warning_seconds": settings.VICTIM_SESSION_WARNING_SECONDS,
        "session_idle_minutes": settings.VICTIM_SESSION_IDLE_SECONDS // 60,
        "session_max_hours": settings.VICTIM_SESSION_MAX_SECONDS // 3600,
        # Each in its own name, never translated (get_available_languages would).
        "portal_languages": settings.LANGUAGES,
    }
