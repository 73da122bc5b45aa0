"""Who gets into the API, over what, how often, and the contract it publishes."""

import re

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.models import ApiClient
from accounts.services import api_client_revoke
from trackmycrime.testing import redis_url

CASE_URL = "/api/v1/cases/NS0000126"


def test_a_request_without_a_token_is_refused_with_401(db, case):
    response = APIClient().get(CASE_URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer tmc_000000000000_" + "A" * 43,
        "Bearer nonsense",
        "Bearer",
        "Bearer one two",
        "Bearer tmc_\u00e9",
    ],
)
def test_a_wrong_token_is_refused_with_401(case, records_system, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(CASE_URL)
    assert response.status_code == 401
    assert response.json()["code"] in {"authentication_failed", "not_authenticated"}


def test_a_revoked_client_is_refused_with_401(api, records_system, case):
    assert api.get(CASE_URL).status_code == 200
    api_client_revoke(client=records_system[0], actor=None)
    response = api.get(CASE_URL)
    assert response.status_code == 401
    assert response.json()["detail"] == "The token is not valid or was revoked."


def test_a_staff_sign_in_does_not_open_the_api(officer_client, case):
    assert officer_client.get(CASE_URL).status_code == 401


def test_each_request_records_the_clients_last_use(api, records_system, case):
    assert records_system[0].last_used_at is None
    api.get(CASE_URL)
    assert ApiClient.objects.get().last_used_at is not None


def test_another_forces_case_does_not_exist_for_a_client(other_api, case):
    theirs = other_api.get(CASE_URL)
    missing = other_api.get("/api/v1/cases/WS9999926")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


def test_an_unknown_address_under_api_is_a_json_404(api):
    for method in ("get", "post", "delete"):
        response = getattr(api, method)("/api/v2/nothing/here")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "code": "not_found"}


@override_settings(SECURE_SSL_REDIRECT=True)
@pytest.mark.parametrize("method", ["get", "post"])
def test_plain_http_is_refused_not_redirected_in_production(api, case, method):
    response = getattr(api, method)(CASE_URL, {})
    assert response.status_code == 403
    assert response.json()["code"] == "https_required"
    assert "Location" not in response


@override_settings(SECURE_SSL_REDIRECT=True)
def test_https_is_answered_in_production(api, case):
    assert api.get(CASE_URL, secure=True).status_code == 200


@override_settings(SECURE_SSL_REDIRECT=True)
def test_the_rest_of_the_site_is_still_redirected_to_https(client):
    response = client.get("/admin/login/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


@override_settings(API_REQUESTS_PER_MINUTE=3)
def test_a_client_over_its_rate_is_told_to_wait(api, other_api, case):
    cache.clear()
    statuses = [api.get(CASE_URL).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = api.get(CASE_URL)
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert other_api.get(CASE_URL).status_code == 404  # its own count


@pytest.mark.redis
@override_settings(API_REQUESTS_PER_MINUTE=2)
def test_the_rate_count_is_shared_through_redis(api, records_system, case):
    import redis
    from django.conf import settings

    url = redis_url()
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    cache.clear()
    api.get(CASE_URL)
    api.get(CASE_URL)
    # What another worker would see: the count, in Redis itself.
    keys = redis.Redis.from_url(url).keys(f"*rate:api:{records_system[0].pk}:*")
    assert len(keys) == 1
    assert redis.Redis.from_url(url).get(keys[0]) == b"2"
    assert api.get(CASE_URL).status_code == 429


def test_the_schema_is_published_without_a_token(db):
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_the_schema_describes_the_bearer_token_on_every_operation(db):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    assert schema["components"]["securitySchemes"]["apiClientToken"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "tmc_<prefix>_<secret>",
        "description": pytest.approx(
            schema["components"]["securitySchemes"]["apiClientToken"]["description"]
        ),
    }
    operations = [
        operation for path in schema["paths"].values() for operation in path.values()
    ]
    assert operations
    for operation in operations:
        assert operation["security"] == [{"apiClientToken": []}]
        for status in ("401", "403", "429"):
            assert status in operation["responses"], operation["operationId"]


def _untyped_properties(schema):
    for name, component in schema["components"]["schemas"].items():
        for field, spec in component.get("properties", {}).items():
            if not ({"type", "$ref", "allOf", "oneOf"} & set(spec)):
                yield f"{name}.{field}"


def test_every_field_in_the_schema_has_a_type(db):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    assert list(_untyped_properties(schema)) == []


def test_the_schema_is_valid_openapi(db):
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    validate_schema(SchemaGenerator().get_schema(request=None, public=True))


def test_the_docs_are_served_from_this_site_with_no_inline_code(db):
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    )
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<style" not in html
    assert not re.search(r"<script>(?!</script>)", html)
    script = APIClient().get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()
