"""What messages say: nothing about the case unless the victim asked, per channel."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings

from cases.constants import OffenceCategory, Stage
from cases.services import case_add_update
from notifications.constants import MessageTemplate
from notifications.content import (
    mask_recipient,
    message_for,
    render_message,
    template_names,
    update_personalisation,
)
from notifications.models import Notification
from tests.factories import CaseFactory, CaseVictimFactory
from victims.constants import Channel, ContactPreference, Language

TEMPLATES = Path(__file__).resolve().parent.parent / (
    "notifications/templates/notifications/messages"
)
SECRET_DETAILS = {
    "crime_reference": "NS/98765/26",
    "description": "Assault by Mark Smith at 12 Acacia Avenue",
    "update_text": "Mark Smith was arrested at his flat on Elm Street.",
}


@pytest.fixture
def sensitive_case(force):
    return CaseFactory(
        force=force,
        crime_reference=SECRET_DETAILS["crime_reference"],
        offence_category=OffenceCategory.DOMESTIC_ABUSE,
        victim_description=SECRET_DETAILS["description"],
    )


def _notifications(case, officer, **victim_fields):
    CaseVictimFactory(
        case=case,
        victim__full_name="Alice Wonderby",
        victim__contact_preference=ContactPreference.EMAIL_AND_SMS,
        **{f"victim__{name}": value for name, value in victim_fields.items()},
    )
    case_add_update(case=case, actor=officer, victim_text=SECRET_DETAILS["update_text"])
    return {n.channel: n for n in Notification.objects.select_related("victim")}


def _leaks(text: str) -> list[str]:
    words = [
        *SECRET_DETAILS.values(),
        "98765",
        "Mark Smith",
        "Acacia",
        "Alice",
        "Wonderby",
        str(OffenceCategory.DOMESTIC_ABUSE.label),
        "abuse",
        "assault",
        "arrest",
    ]
    return [word for word in words if word.lower() in text.lower()]


def test_every_message_template_is_one_the_code_knows():
    known = {
        name.rsplit("/", 1)[-1]
        for template in MessageTemplate.values
        for channel in Channel.values
        for name in template_names(template, channel)
        if name
    }
    assert {path.name for path in TEMPLATES.iterdir()} == known


@pytest.mark.parametrize("channel", Channel.values)
def test_the_default_templates_show_no_case_detail_even_when_given_it(channel):
    # Even handed every detail, the default templates must not print any.
    subject, body = render_message(
        template=MessageTemplate.UPDATE,
        channel=channel,
        personalisation={
            "sign_in_url": "https://tmc.example.org",
            "sender": "Northshire Police",
            **SECRET_DETAILS,
        },
        language="en",
    )
    assert _leaks(subject + body) == []
    assert "there is an update about your report" in body.lower()
    assert "Northshire Police" in subject + body
    assert "https://tmc.example.org" in body


@pytest.mark.parametrize("channel", Channel.values)
def test_the_default_message_carries_only_the_sign_in_address(
    sensitive_case, officer, channel
):
    message = message_for(_notifications(sensitive_case, officer)[channel])
    assert message.template == MessageTemplate.UPDATE
    # Who sent it, and the sign-in page itself: nothing about the case.
    sign_in = f"{django_settings.PORTAL_BASE_URL}/sign-in/"
    assert message.personalisation == {
        "sign_in_url": sign_in,
        "sender": sensitive_case.force.name,
    }
    assert _leaks(message.subject + message.body + message.reference) == []
    assert sign_in in message.body
    assert sensitive_case.force.name in message.subject + message.body


def test_details_go_only_on_the_channel_the_victim_asked_for(sensitive_case, officer):
    notifications = _notifications(
        sensitive_case, officer, detail_by_sms=True, detail_by_email=False
    )
    sms = message_for(notifications[Channel.SMS])
    email = message_for(notifications[Channel.EMAIL])

    assert sms.template == MessageTemplate.UPDATE_DETAIL
    assert SECRET_DETAILS["crime_reference"] in sms.body
    assert SECRET_DETAILS["update_text"] in sms.body
    assert sms.personalisation["update_text"] == SECRET_DETAILS["update_text"]
    assert _leaks(email.subject + email.body) == []


def test_a_detailed_email_has_the_reference_and_the_update(sensitive_case, officer):
    email = message_for(
        _notifications(sensitive_case, officer, detail_by_email=True)[Channel.EMAIL]
    )
    assert SECRET_DETAILS["crime_reference"] in email.subject
    assert SECRET_DETAILS["description"] in email.body
    assert SECRET_DETAILS["update_text"] in email.body
    assert "&amp;" not in email.body and "&#x27;" not in email.body


def test_a_stage_change_message_says_only_that_there_is_an_update(
    sensitive_case, officer
):
    from cases.services import case_change_stage

    CaseVictimFactory(
        case=sensitive_case, victim__contact_preference=ContactPreference.SMS
    )
    case_change_stage(case=sensitive_case, stage=Stage.SUSPECT_ARRESTED, actor=officer)
    message = message_for(Notification.objects.get())
    assert _leaks(message.body) == []


def test_a_language_the_service_does_not_offer_yet_gets_the_english_message(
    sensitive_case, officer, settings
):
    # A force that offers Welsh alone (PORTAL_LANGUAGES=cy).
    settings.PORTAL_LANGUAGES = ["cy"]
    settings.LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]
    notification = _notifications(
        sensitive_case, officer, preferred_language=Language.POLISH
    )[Channel.EMAIL]
    message = message_for(notification)
    assert "There is an update about your report" in message.body
    assert message.template == MessageTemplate.UPDATE


def test_a_message_in_another_language_is_sent_as_our_own_translated_text(
    sensitive_case, officer, settings
):
    settings.LANGUAGES = [("en", "English"), ("cy", "Cymraeg")]
    notification = _notifications(
        sensitive_case, officer, preferred_language=Language.WELSH
    )[Channel.EMAIL]
    message = message_for(notification)
    # Notify's templates are in English, so the text (through gettext) goes in the
    # message template instead.
    assert message.template == ""
    assert message.body


def test_the_personalisation_of_an_update_names_nothing_but_its_sender():
    assert update_personalisation(
        template=MessageTemplate.UPDATE,
        sender="Northshire Police",
        crime_reference="NS/1/26",
        description="Burglary",
        update_text="Arrested",
    ) == {
        "sign_in_url": f"{django_settings.PORTAL_BASE_URL}/sign-in/",
        "sender": "Northshire Police",
    }


@pytest.mark.parametrize("channel", Channel.values)
def test_a_discreet_update_names_neither_the_service_nor_the_police(
    sensitive_case, officer, channel
):
    notification = _notifications(
        sensitive_case, officer, discreet_messages=True, detail_by_email=True
    )[channel]
    message = message_for(notification)
    text = message.subject + message.body
    assert message.template == ""  # our own text, not a Notify update template
    assert message.personalisation == {}
    for name in ("Track My Crime", sensitive_case.force.name, "police", "report"):
        assert name.lower() not in text.lower()
    assert _leaks(text) == []
    assert f"{django_settings.PORTAL_BASE_URL}/sign-in/" in message.body


@pytest.mark.parametrize(
    ("channel", "to", "masked"),
    [
        ("email", "jane.doe@example.com", "j***@e***.com"),
        ("email", "x@localhost", "x***@l***"),
        ("email", "x@mail.example.co.uk", "x***@m***.uk"),
        ("sms", "+447400123456", "+44*******456"),
    ],
)
def test_recipients_are_masked_for_the_audit_trail(channel, to, masked):
    assert mask_recipient(channel, to) == masked
