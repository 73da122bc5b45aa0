"""A victim's own copy: what the portal holds about them and their case, as a page,
a downloadable web page and JSON; never staff notes or other victims; audited."""

import json
from pathlib import Path

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.services import case_add_update
from tests import test_victim_browser as browser_tests
from tests.factories import CaseFactory, CaseVictimFactory
from tests.portal import latest_code, sign_in, views_written
from tests.test_victim_browser import (
    _assert_accessible,
    _enter_code,
    _request_code,
)
from victims.models import CaseVictim

# The browser tests' fixtures: Debian's chromium, a page, the live site.
browser = browser_tests.browser
page = browser_tests.page
site = browser_tests.site


REFERENCE = "NS/00001/26"
EMAIL = "victim@example.com"
STAFF_NOTE = "Suspect's brother is a neighbour; be careful."
UPDATE = "We have asked nearby shops for their CCTV."


@pytest.fixture
def victim_client(
    client, django_capture_on_commit_callbacks, portal, victim_on_case, case, officer
):
    with django_capture_on_commit_callbacks(execute=True):
        case_add_update(
            case=case, actor=officer, victim_text=UPDATE, staff_note=STAFF_NOTE
        )
        case_add_update(
            case=case,
            actor=officer,
            staff_note="Hidden from the victim.",
            visible_to_victim=False,
        )
    CaseVictimFactory(
        case=case, victim__full_name="Other Victim", victim__email="other@example.com"
    )
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)
    return client


def _json(client):
    response = client.get("/your-data/download.json")
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == 'attachment; filename="your-data.json"'
    return json.loads(response.content), response.content.decode()


def test_the_json_copy_has_their_details_case_updates_messages_and_sign_ins(
    victim_client, victim_on_case
):
    data, _raw = _json(victim_client)
    assert data["you"]["email"] == EMAIL
    assert data["you"]["mobile"] == "07400 123456"
    assert data["case"]["crime_reference"] == REFERENCE
    assert [update["text"] for update in data["updates"]] == [UPDATE]
    abouts = {message["about"] for message in data["messages"]}
    assert abouts == {"An update on your case", "A security code to sign in"}
    assert all(message["channel"] and message["status"] for message in data["messages"])
    assert [event["event"] for event in data["sign_ins"]] == ["Signed in"]


def test_the_copy_has_their_own_conversation_and_reads_it(
    victim_client, victim_on_case, case, officer, django_capture_on_commit_callbacks
):
    from conversations.services import message_send_by_staff, message_send_by_victim

    with django_capture_on_commit_callbacks(execute=True):
        message_send_by_victim(link=victim_on_case, text="Any news <b>yet</b>?")
        message_send_by_staff(
            case=case,
            victim_id=victim_on_case.victim_id,
            text="Not yet, I will tell you.",
            actor=officer,
            officer=officer,
        )
        other = CaseVictim.objects.exclude(pk=victim_on_case.pk).get(case=case)
        message_send_by_victim(link=other, text="Another victim's words.")
    data, raw = _json(victim_client)
    assert [(m["from"], m["text"]) for m in data["conversation"]] == [
        ("You", "Any news <b>yet</b>?"),
        (officer.display_name, "Not yet, I will tell you."),
    ]
    page = victim_client.get("/your-data/").content.decode()
    assert "Any news &lt;b&gt;yet&lt;/b&gt;?" in page
    for text in (raw, page):
        assert "Another victim" not in text
    # Shown, so read: audited one row a message, as on the Messages page.
    views_written()
    reads = AuditEvent.objects.filter(object_type="message", action="view")
    assert reads.count() == 4


def test_a_paused_conversation_is_not_in_the_copy(
    victim_client, victim_on_case, django_capture_on_commit_callbacks
):
    from conversations.models import Conversation
    from conversations.services import message_send_by_victim

    with django_capture_on_commit_callbacks(execute=True):
        message_send_by_victim(link=victim_on_case, text="Please call me.")
    Conversation.objects.update(paused_at=timezone.now(), pause_reason="Safety")
    data, raw = _json(victim_client)
    assert data["conversation"] == [] and not data["conversation_available"]
    page = victim_client.get("/your-data/").content.decode()
    assert "Please call me." not in raw and "Please call me." not in page
    assert "Messages are not available here at the moment." in page


def test_it_never_includes_staff_notes_or_other_victims(victim_client):
    _data, raw = _json(victim_client)
    page = victim_client.get("/your-data/").content.decode()
    download = victim_client.get("/your-data/download.html").content.decode()
    for text in (raw, page, download):
        assert STAFF_NOTE not in text
        assert "Hidden from the victim" not in text
        assert "Other Victim" not in text and "other@example.com" not in text


def test_it_never_includes_another_case_of_theirs(victim_client, victim_on_case, force):
    other = CaseFactory(force=force, crime_reference="NS/00077/26")
    CaseVictimFactory(case=other, victim=victim_on_case.victim)
    _data, raw = _json(victim_client)
    assert "NS/00077/26" not in raw


def test_the_readable_copy_downloads_as_a_web_page(victim_client):
    response = victim_client.get("/your-data/download.html")
    assert response["Content-Disposition"] == 'attachment; filename="your-data.html"'
    html = response.content.decode()
    assert UPDATE in html and REFERENCE in html and EMAIL in html
    assert "no-store" in response["Cache-Control"]


def test_each_copy_is_audited_as_a_view(victim_client, victim_on_case):
    victim_client.get("/your-data/")
    victim_client.get("/your-data/download.html")
    victim_client.get("/your-data/download.json")
    views_written()
    pages = list(
        AuditEvent.objects.filter(
            action="view", object_type="victim", actor_kind="victim"
        ).values_list("detail__page", flat=True)
    )
    assert sorted(pages) == ["own_copy", "own_copy_html", "own_copy_json"]


@pytest.mark.parametrize(
    "url", ["/your-data/", "/your-data/download.html", "/your-data/download.json"]
)
def test_someone_not_signed_in_gets_nothing(client, db, url):
    assert client.get(url)["Location"] == "/sign-in/"


@pytest.mark.django_db(transaction=True)
def test_the_download_works_in_the_browser(page, site, portal):
    _request_code(page, site)
    _enter_code(page, latest_code(portal))
    page.wait_for_url("**/case/")
    page.click("text=Your data")
    page.wait_for_url("**/your-data/")
    assert "victim@example.com" in page.inner_text("main")
    _assert_accessible(page, "your data")
    for link, name in [
        ("Download a copy for other software (JSON file)", "your-data.json"),
        ("Download a copy you can read (web page)", "your-data.html"),
    ]:
        with page.expect_download() as download_info:
            page.click(f"text={link}")
        download = download_info.value
        assert download.suggested_filename == name
        content = Path(download.path()).read_text(encoding="utf-8")
        assert "NS/00001/26" in content
