"""A signed-in victim for the benchmark: a real server-side session, as the portal
makes one after a correct code, and the victim-facing reads timed in-process."""

from importlib import import_module

from django.conf import settings
from django.test import Client

from bench.data import bench_email, bench_force, bench_reference
from bench.timing import count_queries, time_calls
from cases.models import normalise_crime_reference
from feedback.constants import Wave
from victims.models import CaseVictim
from victims.portal import portal_session_data
from victims.selectors import sign_in_matches


def victim_link(number: int) -> CaseVictim:
    return CaseVictim.objects.select_related("case", "victim").get(
        case__force=bench_force(),
        case__crime_reference_normalised=normalise_crime_reference(
            bench_reference(number)
        ),
    )


def victim_session_cookie(number: int) -> tuple[str, str]:
    """Return (cookie name, session key) for the victim of bench case `number`."""
    link = victim_link(number)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store.update(portal_session_data(victim_id=link.victim_id, case_id=link.case_id))
    store.set_expiry(settings.VICTIM_SESSION_IDLE_SECONDS * 2)
    store.create()
    return settings.SESSION_COOKIE_NAME, store.session_key


def measure_victim_paths(*, number: int, repeat: int = 50) -> dict:
    """Time the sign-in look-up, the signed-in case page and the messages page (a
    conversation of ten messages) for one bench victim, and answering the survey
    (as the victims after them, one answer each)."""
    reference = normalise_crime_reference(bench_reference(number))
    email = bench_email(number)

    def look_up():
        assert list(sign_in_matches(reference=reference, contact=email))

    cookie_name, session_key = victim_session_cookie(number)
    client = Client(SERVER_NAME="localhost")
    client.cookies[cookie_name] = session_key

    def case_page():
        response = client.get("/case/")
        assert response.status_code == 200, response.status_code

    def messages_page():
        response = client.get("/messages/")
        assert response.status_code == 200, response.status_code

    return {
        "sign_in_look_up": time_calls(look_up, repeat=repeat),
        "case_page": time_calls(case_page, repeat=repeat),
        "messages_page": time_calls(messages_page, repeat=repeat),
        "messages_page_queries": count_queries(messages_page),
        "survey_post": time_calls(
            _survey_answers(number + 1, count=repeat + WARMUP), repeat=repeat
        ),
    }


WARMUP = 3  # bench.timing.time_calls's


def _survey_answers(first_number: int, *, count: int):
    """A call that answers the case page's survey as the next bench victim each
    time (a wave is answered once), each from an address of its own (the limit is
    per address): the whole path, session and access check, the offer's row and the
    sealed answer in the pool, and the redirect to the thank-you page. One client,
    as for the case page (a new one would load the middleware again)."""
    client = Client(SERVER_NAME="localhost")
    sessions = [
        (number, *victim_session_cookie(number))
        for number in range(first_number, first_number + count)
    ]
    queue = iter(sessions)

    def post():
        number, cookie_name, session_key = next(queue)
        client.cookies[cookie_name] = session_key
        response = client.post(
            "/your-say/",
            {"wave": Wave.CASE_PAGE, "overall": "4", "informed": "5"},
            REMOTE_ADDR=f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}",
        )
        assert response.status_code == 303, response.status_code

    return post
