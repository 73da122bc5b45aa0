"""No input to the back office answers 500: every list with hostile values in every
filter, search, ordering and page parameter, the autocomplete, and every add and
change form posted with hostile values in every field, as an officer and as a
supervisor. Another force's records are not among a form's choices."""

from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.constants import StaffGroup
from cases.models import Case
from tests.factories import (
    CaseFactory,
    CaseVictimFactory,
    StaffFactory,
    VictimFactory,
    verified_staff_client,
)
from tests.html_forms import form_fields
from victims.models import CaseVictim

NUL = "\x00"
# What someone might type or send on purpose: NUL (PostgreSQL refuses it in text), a
# huge string, a value that is no choice, text where an id goes, SQL, numbers out of
# range, wildcards and quotes.
HOSTILE = [
    NUL,
    "x" * 5000,
    "not-a-choice",
    "abc",
    "1' OR '1'='1'; DROP TABLE cases_case; --",
    "9" * 23,
]
# An officer's lists run the same code with a narrower queryset: fewer values, to
# keep the run short.
OFFICER_HOSTILE = [NUL, "abc", "9" * 23]
# For every other field a list may be filtered on (`?full_name=`): text where a number
# goes, and a number out of range. A NUL is refused the same way for every name.
FEW = ["abc", "9" * 23]
FORM_HOSTILE = [NUL, "x" * 5000, "abc", "1' OR '1'='1'; --", "-1", "9" * 23]
# What may answer a hostile request: the page, the admin's own redirects
# (?e=1 for an invalid lookup, to the list for a record that is not there), a 400
# for what cannot be stored, and refusals.
CALM = {200, 302, 400, 403, 404}
MANAGEMENT = ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")


@pytest.fixture
def back_office(force, other_force, case):
    """A force's records of every kind the admin lists, another force's victim, and
    its officer and supervisor signed in."""
    CaseVictimFactory(case=case, victim__force=force, victim__full_name="Aisha Khan")
    CaseFactory(force=other_force)
    VictimFactory(force=other_force, full_name="Someone Else")
    people = {
        "officer": StaffFactory(
            force=force, username="officer", group=StaffGroup.OFFICER
        ),
        "supervisor": StaffFactory(
            force=force, username="supervisor", group=StaffGroup.SUPERVISOR
        ),
    }
    return {
        name: (user, verified_staff_client(Client(), user))
        for name, user in people.items()
    }


def _post(client, url: str, pairs: list[tuple[str, str]], **extra):
    """Post form fields as a browser does, a name more than once where it repeats."""
    return client.post(
        url, urlencode(pairs), content_type="application/x-www-form-urlencoded", **extra
    )


def _calm(response, what) -> None:
    assert response.status_code in CALM, (what, response.status_code)


def _registered():
    return list(admin.site._registry.items())


def _list_parameters(client, url: str, model) -> list[str]:
    response = client.get(url)
    _calm(response, url)
    names = ["q", "o", "p", "_to_field"]
    changelist = getattr(response, "context", None) and response.context.get("cl")
    if changelist is not None:
        for spec in changelist.filter_specs:
            names += spec.expected_parameters()
    return names


def _field_lookups(model) -> list[str]:
    return [field.name for field in model._meta.concrete_fields]


@pytest.mark.parametrize(
    "who, values, lookups",
    [("officer", OFFICER_HOSTILE, []), ("supervisor", HOSTILE, FEW)],
)
def test_every_admin_list_answers_hostile_values_calmly(
    back_office, who, values, lookups
):
    _user, client = back_office[who]
    for model, _model_admin in _registered():
        info = model._meta.app_label, model._meta.model_name
        url = reverse("admin:{}_{}_changelist".format(*info))
        for name in _list_parameters(client, url, model):
            for value in values:
                _calm(client.get(url, {name: value}), (url, name, value[:20]))
        for name in _field_lookups(model):
            for value in lookups:
                _calm(client.get(url, {name: value}), (url, name, value[:20]))


@pytest.mark.parametrize("who", ["officer", "supervisor"])
def test_the_autocomplete_answers_hostile_values_calmly(back_office, who):
    _user, client = back_office[who]
    url = reverse("admin:autocomplete")
    good = {"app_label": "victims", "model_name": "casevictim", "field_name": "victim"}
    for name in [*good, "term", "page"]:
        for value in HOSTILE:
            _calm(client.get(url, {**good, name: value}), (name, value[:20]))


def _admin_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user or AnonymousUser()
    return request


def _form_urls(user, model, model_admin) -> list[str]:
    request = _admin_request(user)
    base = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    urls = []
    if model_admin.has_add_permission(request):
        urls.append(reverse(f"{base}_add"))
    obj = model_admin.get_queryset(request).first()
    if obj is not None and model_admin.has_view_or_change_permission(request, obj):
        urls.append(reverse(f"{base}_change", args=[obj.pk]))
    return urls


def _hostile_post(fields: list[tuple[str, str]], value: str) -> list[tuple[str, str]]:
    return [
        (
            name,
            current
            if name == "csrfmiddlewaretoken" or name.endswith(MANAGEMENT)
            else value,
        )
        for name, current in fields
    ]


@pytest.mark.parametrize("who", ["officer", "supervisor"])
def test_every_add_and_change_form_answers_hostile_values_calmly(back_office, who):
    user, client = back_office[who]
    posted = 0
    for model, model_admin in _registered():
        for url in _form_urls(user, model, model_admin):
            page = client.get(url)
            _calm(page, url)
            if page.status_code != 200:
                continue
            fields = form_fields(
                page.content.decode(), f"{model._meta.model_name}_form"
            )
            for value in FORM_HOSTILE:
                hostile = _hostile_post(fields, value)
                _calm(_post(client, url, hostile), (url, value[:20]))
                posted += 1
            # A tampered or stale formset: counts that are not numbers, or too big.
            for count in ("abc", "-1"):
                tampered = [
                    (name, count if name.endswith("TOTAL_FORMS") else current)
                    for name, current in fields
                ]
                _calm(_post(client, url, tampered), (url, "TOTAL_FORMS", count))
    assert posted > 0


def _case_change(client, case) -> tuple[str, list[tuple[str, str]]]:
    url = reverse("admin:cases_case_change", args=[case.pk])
    return url, form_fields(client.get(url).content.decode(), "case_form")


def _add_victim(fields, victim_id) -> list[tuple[str, str]]:
    """The case form as posted with one victim row added to its victims."""
    data = dict(fields)
    total = int(data["case_victims-TOTAL_FORMS"])
    posted = [
        (name, str(total + 1) if name == "case_victims-TOTAL_FORMS" else value)
        for name, value in fields
        if "__prefix__" not in name
    ]
    return [
        *posted,
        (f"case_victims-{total}-case", data["case_victims-0-case"]),
        (f"case_victims-{total}-victim", str(victim_id)),
    ]


def _errors(response) -> list[str]:
    return [
        str(error)
        for formset in response.context["inline_admin_formsets"]
        for form_errors in formset.formset.errors
        for errors in form_errors.values()
        for error in errors
    ]


def test_another_forces_victim_cannot_be_told_from_one_that_does_not_exist(
    back_office, case, other_force
):
    _user, client = back_office["officer"]
    url, fields = _case_change(client, case)
    theirs = VictimFactory(force=other_force)
    missing = theirs.pk + 1000
    answers = [
        _post(client, url, _add_victim(fields, victim_id))
        for victim_id in (theirs.pk, missing)
    ]
    for response in answers:
        assert response.status_code == 200
    assert _errors(answers[0]) == _errors(answers[1])
    assert "Select a valid choice" in _errors(answers[0])[0]
    assert not CaseVictim.objects.filter(victim=theirs).exists()


def test_the_victim_autocomplete_offers_only_the_officers_force(back_office, case):
    _user, client = back_office["officer"]
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "victims",
            "model_name": "casevictim",
            "field_name": "victim",
            "term": "",
        },
    )
    names = {row["text"] for row in response.json()["results"]}
    assert "Aisha Khan" in names
    assert "Someone Else" not in names


def test_a_case_deleted_while_its_form_was_open_gets_a_page_not_a_500(
    back_office, force
):
    _user, client = back_office["supervisor"]
    doomed = CaseFactory(force=force)
    url, fields = _case_change(client, doomed)
    Case.objects.filter(pk=doomed.pk).delete()
    response = _post(client, url, fields, follow=True)
    assert response.status_code == 200
    assert "doesn’t exist" in response.content.decode()


def test_a_stale_form_naming_a_victim_link_since_removed_gets_a_field_error(
    back_office, case
):
    _user, client = back_office["officer"]
    url, fields = _case_change(client, case)
    link = CaseVictim.objects.get(case=case)
    data = [
        (name, "on" if name == "case_victims-0-DELETE" else value)
        for name, value in fields
        if "__prefix__" not in name
    ]
    if "case_victims-0-DELETE" not in dict(data):
        data.append(("case_victims-0-DELETE", "on"))
    CaseVictim.objects.filter(pk=link.pk).delete()
    response = _post(client, url, data)
    assert response.status_code == 200
    assert "This list has changed since the page was opened" in str(
        [
            formset.formset.non_form_errors()
            for formset in response.context["inline_admin_formsets"]
        ]
    )


@pytest.mark.postgres
@pytest.mark.parametrize(
    "path",
    [
        "/admin/cases/case/?stage__exact=%00",
        "/admin/cases/case/?offence_category__exact=burglary%00",
        "/admin/cases/case/?q=NS%00",
        "/admin/victims/victim/?full_name=%00",
        "/admin/autocomplete/?app_label=victims&model_name=casevictim"
        "&field_name=victim&term=%00",
        "/admin/cases/case/%00/change/",
    ],
)
def test_a_nul_that_postgresql_would_refuse_gets_a_400(back_office, path):
    """On PostgreSQL these answered 500 (SQLite stores a NUL, so they did not)."""
    _user, client = back_office["officer"]
    response = client.get(path)
    assert response.status_code == 400
    assert "There is a problem with what was sent" in response.content.decode()


@pytest.mark.postgres
def test_a_nul_in_a_posted_form_or_a_session_cookie_gets_a_400(back_office, case):
    _user, client = back_office["officer"]
    url, fields = _case_change(client, case)
    posted = [
        (name, "Burglary\x00" if name == "victim_description" else value)
        for name, value in fields
    ]
    assert _post(client, url, posted).status_code == 400
    stranger = Client()
    stranger.cookies["sessionid"] = "abcdefgh\x00"
    assert stranger.get("/case/").status_code == 400
