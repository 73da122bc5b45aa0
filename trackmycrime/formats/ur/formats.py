"""Urdu dates, which Django has no formats for: "3 دسمبر 2026" (without these,
Django's American default would be used)."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y، H:i"
TIME_FORMAT = "H:i"
