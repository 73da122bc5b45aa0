"""The front end is built from the npm packages (make test builds it first): GOV.UK
Frontend and the MoJ timeline in a non-GDS font, and it survives the production
static files storage, which refuses any file that refers to a missing one."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from trackmycrime.testing import skip_or_fail

BUILD = Path(__file__).resolve().parent.parent / "static" / "build"


@pytest.fixture
def built():
    if not (BUILD / "application.css").exists():
        skip_or_fail(
            "the front end is not built: run `make frontend` (make test does it)"
        )
    return BUILD


def test_the_stylesheet_has_govuk_frontend_and_the_timeline_without_the_gds_font(
    built,
):
    css = (built / "application.css").read_text()
    assert ".govuk-exit-this-page" in css
    assert ".govuk-generic-header" in css
    assert ".moj-timeline" in css
    assert "GDS Transport" not in css
    assert "@font-face" not in css
    assert "system-ui" in css
    assert "sourceMappingURL" not in css


def test_the_govuk_javascript_module_is_there(built):
    module = (built / "govuk-frontend.min.js").read_text()
    assert "initAll" in module
    assert (built / "govuk-frontend.min.js.map").exists()


def test_static_files_collect_with_the_production_storage(built, tmp_path):
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {
            "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        },
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", "--noinput", "--verbosity", "0")
    collected = {path.name for path in (tmp_path / "build").rglob("*")}
    [stylesheet] = [
        n for n in collected if re.fullmatch(r"application\.\w{12}\.css", n)
    ]
    assert f"{stylesheet}.gz" in collected
    css = next((tmp_path / "build").glob(stylesheet)).read_text()
    images = re.findall(r"url\(\"?assets/images/([^\")]+)", css)
    assert images
    for image in images:
        assert image in collected  # hashed names, each of them collected
