"""Every write through the back office or the API leaves its audit row, naming who
did it and from which address (taken from the request, behind any proxies).

The admin's registered models are walked, so a model added to the admin later is
covered: a model whose admin lets staff change it must be in CHANGES, and its change
form must write exactly one audit row for the record changed.
"""

from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.test import RequestFactory

from accounts.constants import StaffGroup
from audit.models import AuditEvent
from cases.models import Case, Force
from privacy.models import VictimErasure
from rights.constants import RightKind
from rights.services import request_make
from tests.factories import (
    CaseFactory,
    CaseVictimFactory,
    StaffFactory,
    verified_staff_client,
)
from victims.models import Victim

ADDRESS = "192.0.2.44"

# For each model staff may change in the back office: the record to change, the
# field to change, its new value, and the audit trail's name for such a record.
CHANGES = {
    Case: (lambda force: CaseFactory(force=force), "victim_description", "Theft"),
    Victim: (
        lambda force: CaseVictimFactory(case__force=force).victim,
        "full_name",
        "Changed Name",
    ),
    Force: (lambda force: force, "contact_text", "Call 101."),
}


# For each model staff may only add records of (never change): the add form's data,
# and the audit row the addition must leave.
def _erasure_form(force):
    return {
        "victim": CaseVictimFactory(case__force=force).victim.pk,
        "reason": "victim_asked",
    }


ADDS = {
    VictimErasure: (
        _erasure_form,
        ("victim", "erase"),
    ),
}
# The staff admin is walked with its own user: its change form carries passwords.
STAFF_CHANGE = ("first_name", "Changed")


class _FormReader(HTMLParser):
    """What a browser would post from the page's main form, as a test client's
    data: inputs, checked boxes, selected options and text areas."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._in_form = False

    def _add(self, name, value):
        if "__prefix__" not in name:
            self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "form" and attributes.get("method", "").lower() == "post":
            self._in_form = "_form" in (attributes.get("id") or "")
        if not self._in_form or name is None and tag != "option":
            return
        if tag == "input":
            kind = attributes.get("type", "text")
            if kind in ("submit", "button", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            self._add(name, attributes.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self._add(self._select, attributes.get("value", ""))
        elif tag == "textarea" and "__prefix__" not in name:
            self._textarea = name
            self._add(name, "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data


def _change_form_data(page: str) -> dict:
    reader = _FormReader()
    reader.feed(page)
    return {
        name: values if len(values) > 1 else values[0]
        for name, values in reader.data.items()
    }


def _changeable(model_admin, user) -> bool:
    request = RequestFactory().get("/")
    request.user = user
    return model_admin.has_change_permission(request) or model_admin.has_add_permission(
        request
    )


@pytest.fixture
def administrator(force):
    """A force administrator who is also a superuser: every admin page is theirs."""
    return StaffFactory(
        force=force,
        username="administrator",
        group=StaffGroup.FORCE_ADMINISTRATOR,
        is_superuser=True,
    )


def _post_change(client, url: str, field: str, value: str):
    """Open the change form (itself audited, as a view), change one field, save;
    return the response and the last audit row before the save."""
    page = client.get(url)
    assert page.status_code == 200
    data = _change_form_data(page.content.decode())
    assert field in data, f"{field} is not on {url}"
    data[field] = value
    data["_save"] = "Save"
    since = _last_id()
    return client.post(url, data, REMOTE_ADDR=ADDRESS), since


def _rows_since(last_id: int):
    return list(AuditEvent.objects.filter(id__gt=last_id).order_by("id"))


def _last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_every_model_staff_can_change_is_walked(administrator):
    changeable = {
        model
        for model, model_admin in admin.site._registry.items()
        if _changeable(model_admin, administrator)
    }
    from accounts.models import User

    missing = changeable - set(CHANGES) - set(ADDS) - {User}
    assert not missing, (
        f"Add {sorted(m._meta.label for m in missing)} to CHANGES, and make its "
        "admin save through a service that audits."
    )


@pytest.mark.parametrize("model", list(CHANGES), ids=lambda model: model._meta.label)
def test_a_change_form_leaves_one_audit_row_naming_the_actor_and_address(
    client, administrator, force, model
):
    make, field, value = CHANGES[model]
    record = make(force)
    staff = verified_staff_client(client, administrator)
    opts = model._meta
    response, since = _post_change(
        staff,
        f"/admin/{opts.app_label}/{opts.model_name}/{record.pk}/change/",
        field,
        value,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    record.refresh_from_db()
    assert getattr(record, field) == value
    rows = _rows_since(since)
    about_it = [
        row
        for row in rows
        if row.object_id == str(record.pk) and row.action == "change"
    ]
    assert len(about_it) == 1, [(r.object_type, r.object_id, r.action) for r in rows]
    assert field in about_it[0].changed_fields
    for row in rows:
        assert (row.actor_kind, row.actor_id) == ("staff", str(administrator.pk))
        assert row.ip_address == ADDRESS


@pytest.mark.parametrize("model", list(ADDS), ids=lambda model: model._meta.label)
def test_an_add_form_leaves_one_audit_row_naming_the_actor_and_address(
    client, administrator, force, model
):
    make_data, (object_type, action) = ADDS[model]
    data = make_data(force)
    staff = verified_staff_client(client, administrator)
    opts = model._meta
    since = _last_id()
    response = staff.post(
        f"/admin/{opts.app_label}/{opts.model_name}/add/",
        {**data, "_save": "Save"},
        REMOTE_ADDR=ADDRESS,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rows = [row for row in _rows_since(since) if row.action == action]
    assert [(row.object_type, row.action) for row in rows] == [(object_type, action)]
    assert (rows[0].actor_id, rows[0].ip_address) == (str(administrator.pk), ADDRESS)


def test_the_staff_change_form_leaves_one_audit_row(client, administrator, force):
    colleague = StaffFactory(
        force=force, username="colleague", group=StaffGroup.OFFICER
    )
    staff = verified_staff_client(client, administrator)
    field, value = STAFF_CHANGE
    response, since = _post_change(
        staff, f"/admin/accounts/user/{colleague.pk}/change/", field, value
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    [row] = _rows_since(since)
    assert (row.object_type, row.object_id) == ("staff", str(colleague.pk))
    assert row.changed_fields == [field]
    assert (row.actor_id, row.ip_address) == (str(administrator.pk), ADDRESS)


def test_setting_a_staff_password_is_audited(client, administrator, force):
    colleague = StaffFactory(
        force=force, username="colleague", group=StaffGroup.OFFICER
    )
    staff = verified_staff_client(client, administrator)
    since = _last_id()
    response = staff.post(
        f"/admin/accounts/user/{colleague.pk}/password/",
        {"password1": "a-long-new-pass-phrase", "password2": "a-long-new-pass-phrase"},
        REMOTE_ADDR=ADDRESS,
    )
    assert response.status_code == 302
    [row] = _rows_since(since)
    assert (row.object_type, row.changed_fields) == ("staff", ["password"])
    assert row.ip_address == ADDRESS


def test_a_support_service_added_to_a_force_is_audited(client, administrator, force):
    staff = verified_staff_client(client, administrator)
    url = f"/admin/cases/force/{force.pk}/change/"
    data = _change_form_data(staff.get(url).content.decode())
    prefix = "support_services"
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(total + 1)
    data[f"{prefix}-{total}-name"] = "Northshire Victim Care"
    data[f"{prefix}-{total}-position"] = "0"
    data["_save"] = "Save"
    since = _last_id()
    assert staff.post(url, data, REMOTE_ADDR=ADDRESS).status_code == 302
    [row] = _rows_since(since)
    assert (row.object_type, row.action) == ("support_service", "create")
    assert row.ip_address == ADDRESS


API_WRITES = {
    ("post", "/api/v1/cases"): {
        "crime_reference": "NS/00009/26",
        "offence_category": "burglary",
        "victim_description": "Burglary at home",
        "victims": [
            {
                "external_reference": "P-1",
                "full_name": "Ada Lovelace",
                "email": "ada@example.com",
                "contact_preference": "email",
            }
        ],
    },
    ("post", "/api/v1/cases/{crime_reference}/stage-changes"): {"stage": "charged"},
    ("post", "/api/v1/cases/{crime_reference}/updates"): {
        "victim_text": "We have the CCTV."
    },
    (
        "post",
        "/api/v1/cases/{crime_reference}/conversations/{victim_reference}/messages",
    ): {"text": "We have the CCTV."},
    ("post", "/api/v1/cases/{crime_reference}/requests/{request_id}/outcome"): {
        "outcome": "answered",
        "note": "We are sorry we did not call back.",
    },
}


def _api_write_operations() -> set[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method, path.rstrip("/"))
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("post", "put", "patch", "delete")
    }


def test_every_api_write_is_walked():
    assert _api_write_operations() == set(API_WRITES)


@pytest.mark.parametrize("operation", list(API_WRITES), ids=lambda op: op[1])
def test_an_api_write_audits_each_record_once_naming_the_client_and_address(
    api, records_system, force, operation
):
    case = CaseFactory(force=force, crime_reference="NS/00001/26")
    link = CaseVictimFactory(case=case, victim__external_reference="P-7")
    complaint = request_make(
        victim=link.victim,
        case=case,
        kind=RightKind.COMPLAINT,
        form_data={"text": "Nobody called back.", "reply_channel": "portal"},
    )
    method, path = operation
    url = (
        path.replace("{crime_reference}", "NS-00001-26")
        .replace("{victim_reference}", "P-7")
        .replace("{request_id}", str(complaint.pk))
    )
    since = _last_id()
    response = getattr(api, method)(
        url, API_WRITES[operation], format="json", REMOTE_ADDR=ADDRESS
    )
    assert response.status_code in (200, 201), response.content
    rows = _rows_since(since)
    assert rows
    records = [(row.object_type, row.object_id, row.action) for row in rows]
    assert len(records) == len(set(records)), records
    client = records_system[0]
    for row in rows:
        if row.actor_kind == "system":
            continue  # e.g. a message sent by the worker, inside the request here
        assert (row.actor_kind, row.actor_id) == ("api_client", str(client.pk))
        assert row.ip_address == ADDRESS
    assert case.pk in {row.case_id for row in rows} or method == "post"
