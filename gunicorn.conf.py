"""gunicorn settings read from the working directory (the repository root): the access
log never carries a crime reference or a search term (trackmycrime/log_redaction.py)."""

logger_class = "trackmycrime.log_redaction.RedactingGunicornLogger"
