"""Arabic date and time together, which Django's Arabic formats leave to the
American default: "3 ديسمبر، 2026، 16:44"."""

DATETIME_FORMAT = "j F، Y، H:i"
