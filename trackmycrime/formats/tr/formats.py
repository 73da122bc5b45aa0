"""Turkish dates as GOV.UK writes them, with no leading zero: "3 Aralık 2026"
(Django's own writes "03 Aralık 2026")."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y H:i"
