def test_liveness_answers_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_checks_database_and_cache(client, db, celery_eager):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {
        "database": "ok",
        "cache": "ok",
        # The embedded default runs tasks in the web process: no worker to hear from.
        "workers": "in-process",
        "backlog": "ok",
    }


def test_readiness_fails_when_the_cache_is_down(client, db, monkeypatch):
    from trackmycrime import health

    def broken():
        raise ConnectionError("cache down")

    monkeypatch.setattr(health, "_check_cache", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "failing"
