"""Text messages in every language stay within two fragments (issue 15).

The table of each text message's fragments per language is printed (`pytest -s`)
and written to var/sms_fragments.md; README (Languages) quotes it.
"""

import pytest
from django.conf import settings

from notifications.constants import MessageTemplate
from notifications.content import fit_sms_update_text, render_message
from notifications.sms import SMS_MAX_FRAGMENTS, is_gsm_7bit, sms_fragments
from victims.constants import Channel

LANGUAGES = ["en-gb", *settings.PORTAL_LANGUAGES_AVAILABLE]
# As the brief for the translators fixes them: a 35-character sign-in address.
SIGN_IN_URL = "https://tmc.northshire.police.uk/s/"
VALUES = {
    "sender": "Northshire Police",
    "sign_in_url": SIGN_IN_URL,
    "code": "123456",
    "minutes": "10",
    "crime_reference": "NS/01234/26",
    "description": "Burglary",
    "update_text": "A suspect has been arrested and is being interviewed.",
}
LONG_UPDATE = "The officer in charge has reviewed the CCTV from the shop. " * 30


def test_a_gsm_message_takes_160_characters_in_one_fragment_and_153_after():
    assert sms_fragments("a" * 160) == 1
    assert sms_fragments("a" * 161) == 2
    assert sms_fragments("a" * 306) == 2
    assert sms_fragments("a" * 307) == 3


def test_an_extension_character_counts_twice():
    assert is_gsm_7bit("€[]{}")
    assert sms_fragments("€" * 80) == 1
    assert sms_fragments("€" * 81) == 2


def test_one_character_outside_the_alphabet_makes_it_ucs2_at_70_and_67():
    assert not is_gsm_7bit("ŵ")
    assert sms_fragments("ŵ" + "a" * 69) == 1
    assert sms_fragments("ŵ" + "a" * 70) == 2
    assert sms_fragments("ł" + "a" * 133) == 2
    assert sms_fragments("ł" + "a" * 134) == 3
    assert sms_fragments("مرحبا" * 14) == 1


def _sms_templates() -> list[str]:
    return list(MessageTemplate.values)


def _fragments(template: str, language: str, values: dict[str, str]) -> int:
    if template == MessageTemplate.UPDATE_DETAIL:
        values = fit_sms_update_text(personalisation=values, language=language)
    _subject, body = render_message(
        template=template,
        channel=Channel.SMS,
        personalisation=values,
        language=language,
    )
    return sms_fragments(body)


def test_every_text_message_takes_at_most_two_fragments_in_every_language():
    assert len(SIGN_IN_URL) == 35
    rows = [(template, VALUES) for template in _sms_templates()]
    rows.append(
        (
            f"{MessageTemplate.UPDATE_DETAIL} (long)",
            {**VALUES, "update_text": LONG_UPDATE},
        )
    )
    table = {
        name: {
            language: _fragments(name.split(" ")[0], language, values)
            for language in LANGUAGES
        }
        for name, values in rows
    }
    lines = [
        "| message | " + " | ".join(LANGUAGES) + " |",
        "|---|" + "---|" * len(LANGUAGES),
    ]
    lines += [
        f"| {name} | " + " | ".join(str(counts[lang]) for lang in LANGUAGES) + " |"
        for name, counts in table.items()
    ]
    room = {
        language: len(
            fit_sms_update_text(
                personalisation={**VALUES, "update_text": LONG_UPDATE},
                language=language,
            )["update_text"]
        )
        - 3
        for language in LANGUAGES
    }
    lines.append(
        "| characters of update text a detailed text message keeps | "
        + " | ".join(str(room[language]) for language in LANGUAGES)
        + " |"
    )
    report = "\n".join(lines)
    print("\nSMS fragments per message and language:\n" + report)
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    (settings.VAR_DIR / "sms_fragments.md").write_text(report + "\n", encoding="utf-8")
    too_long = {
        (name, language): count
        for name, counts in table.items()
        for language, count in counts.items()
        if count > SMS_MAX_FRAGMENTS
    }
    assert too_long == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_long_update_is_cut_short_with_dots_and_still_asks_to_sign_in(language):
    values = fit_sms_update_text(
        personalisation={**VALUES, "update_text": LONG_UPDATE}, language=language
    )
    assert values["update_text"].endswith("...")
    assert LONG_UPDATE.startswith(values["update_text"][:-3])
    _subject, body = render_message(
        template=MessageTemplate.UPDATE_DETAIL,
        channel=Channel.SMS,
        personalisation=values,
        language=language,
    )
    assert sms_fragments(body) == SMS_MAX_FRAGMENTS
    assert body.endswith(SIGN_IN_URL)
