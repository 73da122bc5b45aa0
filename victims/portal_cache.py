"""The signed-in victim's fast path: the access check and whole pages, cached.

Everything a signed-in page reads from the cache is tied to two versions, a random
token per victim and per case. A change that could end a victim's access or change
what their pages show sets a new token (`portal_cache_forget`), and every entry made
under the old one is dead at once:

- the victim's version: their record (portal access, erasure), their links to cases,
  their survey offers;
- the case's version: the case, its timeline, its links to victims, its
  conversations and messages;
- both: the victim's Victims' Code requests on the case (rights.RightRequest).

The tokens are set again when the change commits, as well as when it is made: a
request that read the database just before the commit may store an entry, but under
the token it read, which no later request asks for. Entries live ENTRY_SECONDS at
most (officers' and forces' contact details, which carry no version, may lag that
long). A token missing from the cache is made anew, so an evicted token can never
bring an old entry back.

The signals below, rather than calls in each service, set the tokens: access must
end on every road that changes these rows, the admin's cascade deletes and the
retention job included, and a call missed on one road would leave a victim in.
"""

import logging
import re
import secrets
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

from trackmycrime.cache import redis_away
from victims.models import CaseVictim

logger = logging.getLogger(__name__)

ENTRY_SECONDS = 300

_VERSION_SECONDS = 24 * 60 * 60

# What changes with each response, marked in the stored page. A NUL never reaches a
# page's text (trackmycrime.middleware refuses it in input; PostgreSQL cannot store
# it), so a mark cannot collide with content.
NONCE_MARK = "\x00nonce\x00"
CSRF_MARK = "\x00csrf\x00"
SECONDS_MARK = "\x00seconds\x00"
# The CSRF token as a page's forms carry it (a mask of the session's secret).
_SECONDS_LEFT = re.compile(r'data-seconds-left="\d+"')
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')


def _victim_key(victim_id: int) -> str:
    return f"portal:v:{victim_id}"


def _case_key(case_id: int) -> str:
    return f"portal:c:{case_id}"


def _link_key(victim_id: int, case_id: int) -> str:
    return f"portal:link:{victim_id}:{case_id}"


def _page_key(page: str, victim_id: int, case_id: int, language: str) -> str:
    return f"portal:page:{page}:{victim_id}:{case_id}:{language}"


@dataclass
class PortalCached:
    """What one cache read found for a signed-in victim: the current versions, and
    the link and page entries if they were made under them."""

    victim_id: int
    case_id: int
    versions: tuple[str, str] | None
    link: CaseVictim | None = None
    page: dict | None = None

    def page_for(self, variant: object = None) -> dict | None:
        if self.page is not None and self.page["variant"] == variant:
            return self.page
        return None


def portal_cache_read(
    *, victim_id: int, case_id: int, page: str | None = None
) -> PortalCached:
    """Read, in one round trip, the versions and the link (and `page`) entries; an
    entry made under other versions is ignored. With the cache away, nothing."""
    keys = [_victim_key(victim_id), _case_key(case_id), _link_key(victim_id, case_id)]
    if page is not None:
        keys.append(_page_key(page, victim_id, case_id, get_language()))
    if redis_away():
        return PortalCached(victim_id, case_id, versions=None)
    try:
        found = cache.get_many(keys)
        victim_version, case_version = found.get(keys[0]), found.get(keys[1])
        if victim_version is None or case_version is None:
            _versions_renew(
                victim_ids=[victim_id], case_ids=[case_id], only_if_missing=True
            )
            found = cache.get_many(keys[:2])
            victim_version, case_version = found.get(keys[0]), found.get(keys[1])
    except Exception:  # noqa: BLE001  any cache failure: read the database instead
        logger.warning("portal cache unavailable; reading the database")
        return PortalCached(victim_id, case_id, versions=None)
    if victim_version is None or case_version is None:
        return PortalCached(victim_id, case_id, versions=None)
    versions = (victim_version, case_version)
    cached = PortalCached(victim_id, case_id, versions=versions)
    link = found.get(keys[2])
    if link is not None and link["versions"] == versions:
        cached.link = link["link"]
    if page is not None:
        entry = found.get(keys[3])
        if entry is not None and entry["versions"] == versions:
            cached.page = entry
    return cached


def portal_cache_store_link(cached: PortalCached, link: CaseVictim) -> None:
    if cached.versions is None:
        return
    _set(
        _link_key(cached.victim_id, cached.case_id),
        {"versions": cached.versions, "link": link},
    )


def portal_page_store(
    cached: PortalCached,
    *,
    page: str,
    request: HttpRequest,
    response: HttpResponse,
    variant: object = None,
    extra: dict | None = None,
) -> None:
    """Keep a rendered page for this victim, case, language and versions, with its
    nonce, CSRF token and time-out marked to be put back per response."""
    if cached.versions is None or response.status_code != 200:
        return
    html = response.content.decode()
    nonce = getattr(request, "_csp_nonce", None)
    if nonce:
        html = html.replace(nonce, NONCE_MARK)
    for token in set(_CSRF_INPUT.findall(html)):
        html = html.replace(token, CSRF_MARK)
    html = _SECONDS_LEFT.sub(f'data-seconds-left="{SECONDS_MARK}"', html)
    _set(
        _page_key(page, cached.victim_id, cached.case_id, get_language()),
        {
            "versions": cached.versions,
            "variant": variant,
            "html": html,
            "content_type": response["Content-Type"],
            **(extra or {}),
        },
    )


def portal_page_response(
    request: HttpRequest, entry: dict, *, seconds_left: int | None
) -> HttpResponse:
    """Answer with a stored page, with this response's own nonce and CSRF token."""
    html = entry["html"]
    if NONCE_MARK in html:
        html = html.replace(NONCE_MARK, str(request.csp_nonce))  # type: ignore[attr-defined]
    if CSRF_MARK in html:
        html = html.replace(CSRF_MARK, get_token(request))
    if SECONDS_MARK in html:
        html = html.replace(SECONDS_MARK, str(seconds_left))
    return HttpResponse(html, content_type=entry["content_type"])


def _set(key: str, value: dict) -> None:
    if redis_away():
        return
    try:
        cache.set(key, value, ENTRY_SECONDS)
    except Exception:  # noqa: BLE001  an entry not kept is made again next time
        logger.warning("portal cache unavailable; entry not kept")


def _versions_renew(
    *, victim_ids: list[int], case_ids: list[int], only_if_missing: bool = False
) -> None:
    keys = [_victim_key(v) for v in victim_ids] + [_case_key(c) for c in case_ids]
    if only_if_missing:
        for key in keys:
            cache.add(key, secrets.token_hex(8), _VERSION_SECONDS)
        return
    cache.set_many({key: secrets.token_hex(8) for key in keys}, _VERSION_SECONDS)


def portal_cache_forget(
    *,
    victim_ids: list[int] | tuple[int, ...] = (),
    case_ids: list[int] | tuple[int, ...] = (),
) -> None:
    """End every cached access check and page of these victims and cases: now, and
    again when the current transaction commits."""
    victim_ids, case_ids = list(victim_ids), list(case_ids)

    def renew() -> None:
        if redis_away():
            logger.error("portal cache unavailable; versions not renewed")
            return
        try:
            _versions_renew(victim_ids=victim_ids, case_ids=case_ids)
        except Exception:  # noqa: BLE001
            # Reads fail too while the cache is away; entries left by then die
            # within ENTRY_SECONDS (README.md, "Failure modes").
            logger.error("portal cache unavailable; versions not renewed")

    renew()
    transaction.on_commit(renew)


# Signal receivers (victims/apps.py connects them), for the reason in the docstring.


def _victim_changed(sender, instance, **kwargs) -> None:
    portal_cache_forget(victim_ids=[instance.pk])


def _link_changed(sender, instance, **kwargs) -> None:
    portal_cache_forget(victim_ids=[instance.victim_id], case_ids=[instance.case_id])


def _case_changed(sender, instance, **kwargs) -> None:
    portal_cache_forget(case_ids=[instance.pk])


def _case_part_changed(sender, instance, **kwargs) -> None:
    portal_cache_forget(case_ids=[instance.case_id])


def _victim_part_changed(sender, instance, **kwargs) -> None:
    portal_cache_forget(victim_ids=[instance.victim_id])


RECEIVERS = {
    "victims.Victim": _victim_changed,
    "victims.CaseVictim": _link_changed,
    "cases.Case": _case_changed,
    "cases.TimelineEntry": _case_part_changed,
    "conversations.Conversation": _case_part_changed,
    "conversations.Message": _case_part_changed,
    "feedback.FeedbackOffer": _victim_part_changed,
    "rights.RightRequest": _link_changed,
}
