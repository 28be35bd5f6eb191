"""POST /api/v1/reports as apps call it: JSON, and Mastodon.py's form (`status_ids[]`,
`forward=1`, the trailing slash), answered with a schema-valid Report; what it refuses, with
the field named, and storing nothing."""

from __future__ import annotations

from typing import Any

from fedishare.storage import reports, tokens
from tests.client_api.conftest import Api
from tests.client_api.schema import check, check_entity

REPORTS = "/api/v1/reports"


async def with_a_status(api: Api, name: str = "carol") -> tuple[str, str]:
    """Another member of oak.test, and a status of theirs: their ids as apps see them."""
    member, token = await api.new_member(name)
    posted = await api.as_(token, member).post("/api/v1/statuses", json={"status": "Pills!"})
    status = check(posted, "POST", "/api/v1/statuses")
    return status["account"]["id"], status["id"]


async def stored(api: Api) -> int:
    return int(await api.node.instance.db.fetch_value("SELECT count(*) FROM reports"))


async def test_a_report_is_answered_as_mastodon_answers_it(api: Api) -> None:
    carol, status = await with_a_status(api)
    r = await api.post(
        REPORTS,
        json={"account_id": carol, "status_ids": [status], "comment": "Spam", "category": "spam"},
    )
    report = check(r, "POST", REPORTS)
    assert report["target_account"]["id"] == carol and report["status_ids"] == [status]
    assert (report["category"], report["comment"]) == ("spam", "Spam")
    assert report["forwarded"] is False and report["action_taken"] is False
    [kept] = await reports.listed(api.node.instance.db, resolved=False, limit=5)
    assert kept.reporter_member_id == api.member.id and str(kept.id) == report["id"]


async def test_mastodon_py_form_with_a_trailing_slash(api: Api) -> None:
    carol, status = await with_a_status(api)
    form = {
        "account_id": carol,
        "status_ids[]": [status],
        "comment": "Selling, not sharing",
        "forward": "1",  # a local account: nothing to forward
        "category": "other",
    }
    r = await api.post(REPORTS + "/", data=form)
    assert r.status_code == 200, r.text
    report = check_entity(r.json(), "Report")
    assert report["status_ids"] == [status] and report["forwarded"] is False


async def test_refusals_name_the_field_and_store_nothing(api: Api) -> None:
    carol, status = await with_a_status(api)
    _, own = await with_a_status(api, "dan")
    me = (await api.get("/api/v1/accounts/verify_credentials")).json()["id"]
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"account_id": carol, "comment": "x" * 1001}, 422, "comment: at most 1000 characters"),
        ({"account_id": carol, "category": "boring"}, 422, "category: "),
        ({"account_id": carol, "rule_ids": ["1"]}, 422, "rule_ids: "),
        ({"account_id": carol, "status_ids": [own]}, 422, "status_ids: "),
        ({"account_id": carol, "status_ids": ["99999"]}, 404, "Record not found"),
        ({"account_id": "99999", "status_ids": [status]}, 404, "Record not found"),
        ({"comment": "whom?"}, 404, "Record not found"),
        ({"account_id": me}, 422, "account_id: you cannot report yourself"),
    ]
    for body, status_code, reason in cases:
        r = await api.post(REPORTS, json=body)
        answer = check(r, "POST", REPORTS)
        assert r.status_code == status_code and answer["error"].startswith(reason), (body, r.text)
    assert await stored(api) == 0


async def test_a_token_without_write_reports_is_refused(api: Api) -> None:
    carol, _ = await with_a_status(api)
    inst = api.node.instance
    async with inst.db.transaction() as tx:
        token = await tokens.insert(
            tx, actor_id=api.member.id, app_id=None, scopes=["read"], now=0.0
        )
    r = await api.as_(token).post(REPORTS, json={"account_id": carol})
    assert r.status_code == 403 and await stored(api) == 0
