"""How many fragments a text message takes, as a mobile network counts them.

Text wholly in the GSM 03.38 7-bit alphabet goes as 160 characters in one fragment,
153 in each of a longer message's (the rest holds the joining header); a character
from the alphabet's extension table (€ [ ] { } ^ ~ | \\ and form feed) takes two.
Anything else (Welsh ŵ, Polish ł, Arabic, Bengali, a curly quote) makes the whole
message UCS-2: 70 characters in one fragment, 67 in each of a longer one's, counted
in UTF-16 code units. Providers charge, and phones join, per fragment.
"""

import math

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")
# The most fragments any message of ours may take (issue 15).
SMS_MAX_FRAGMENTS = 2


def is_gsm_7bit(text: str) -> bool:
    return all(char in GSM_BASIC or char in GSM_EXTENSION for char in text)


def sms_fragments(text: str) -> int:
    """Return how many fragments `text` is sent as (0 for no text)."""
    if not text:
        return 0
    if is_gsm_7bit(text):
        septets = sum(2 if char in GSM_EXTENSION else 1 for char in text)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)
