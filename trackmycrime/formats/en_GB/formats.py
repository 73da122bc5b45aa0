"""British dates and times as GOV.UK writes them: "20 December 2026, 4:44pm".

"a" is "a.m."/"p.m." in Django; locale/en_GB makes it "am"/"pm"."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, g:ia"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, g:ia"
TIME_FORMAT = "g:ia"
