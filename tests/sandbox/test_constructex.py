from __future__ import annotations

from sandbox.testing import RunningSandbox

from .conftest import Api


def test_projects_list_only_the_users_projects(sandbox: RunningSandbox) -> None:
    api = Api(sandbox, "constructex", "reviewer@sandbox.test")
    answer = api.get("/api/v1/projects").json()
    assert [p["number"] for p in answer["results"]] == ["CX-1001"] and answer["next_cursor"] is None


def test_items_page_with_a_cursor_and_filter_on_updated_since(sandbox: RunningSandbox) -> None:
    api = Api(sandbox, "constructex", "reviewer@sandbox.test")
    project = sandbox.seed_bulk(provider="constructex", count=120)
    first = api.get(f"/api/v1/projects/{project}/submittals").json()
    second = api.get(f"/api/v1/projects/{project}/submittals", params={"cursor": first["next_cursor"]}).json()
    assert len(first["results"]) == 50 and len(second["results"]) == 50
    assert first["results"][-1]["id"] < second["results"][0]["id"]
    recent = api.get(f"/api/v1/projects/{project}/rfis", params={"updated_since": "2026-01-05T10:50:00Z"}).json()
    assert [r["number"] for r in recent["results"]] == [str(n) for n in range(110, 121)]


def test_the_reviewer_posts_a_review_and_an_rfi_answer(sandbox: RunningSandbox) -> None:
    api = Api(sandbox, "constructex", "reviewer@sandbox.test")
    project = api.get("/api/v1/projects").json()["results"][0]["id"]
    submittal = api.get(f"/api/v1/projects/{project}/submittals").json()["results"][0]
    bad = api.post(f"/api/v1/submittals/{submittal['id']}/reviews", json={"response": "Looks good"})
    assert bad.status_code == 422
    review = api.post(f"/api/v1/submittals/{submittal['id']}/reviews", json={"response": "Approved", "comment": "OK"})
    assert review.status_code == 201 and review.json()["response"] == "Approved"
    rfi = api.get(f"/api/v1/projects/{project}/rfis").json()["results"][0]
    answer = api.post(f"/api/v1/rfis/{rfi['id']}/answers", json={"body": "Use detail 4."})
    assert answer.status_code == 201 and answer.json()["official"] is True


def test_someone_off_the_team_cannot_read_a_project(sandbox: RunningSandbox) -> None:
    api = Api(sandbox, "constructex", "outsider@sandbox.test")
    assert api.get("/api/v1/projects/6300000001/submittals").status_code == 403
