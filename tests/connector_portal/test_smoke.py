from django.test import Client


def test_login_page_is_served(db: None, client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Sign in" in response.content


def test_healthz_reports_database_and_queue(db: None, client: Client) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["task_queue"]["ok"] is True
