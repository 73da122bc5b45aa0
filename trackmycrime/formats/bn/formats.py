"""Bengali date and time together, which Django's Bengali formats leave to the
American default: "3 ডিসেম্বর, 2026, 16:44"."""

DATETIME_FORMAT = "j F, Y, H:i"
