"""The service's WSGI application, made to take as long as a request's X-Test-Sleep
header says first: for tests that need gunicorn to time a worker out mid-request
(tests/test_log_redaction.py). Never served outside the tests."""

import time

from trackmycrime.wsgi import application as service


def application(environ, start_response):
    if seconds := environ.get("HTTP_X_TEST_SLEEP"):
        time.sleep(float(seconds))
    return service(environ, start_response)
