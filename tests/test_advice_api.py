"""POST /api/v1/advice: the SPEC's request and answer, both languages, and clear 4xx for bad input."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from autoconfig import create_app
from autoconfig.messages import CATALOGUE
from tests.conftest import ConfigFactory, base_raw
from tests.diagnostics_helpers import dovecot_servers, make, publish_example_zone, raw_config
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE, FULL, DovecotServer, MailUser

FAQ = "https://support.example.com/faq/pop3-imap"
SPEC_REQUEST = {
    "devices": 3,
    "webmail": True,
    "connectivity": "good",
    "offline_access": False,
    "shared_account": False,
    "server_folders": True,
    "quota_percent": 40,
    "lang": "it",
}


def advise(client: FlaskClient, body: Any, **kwargs: Any) -> Any:
    return client.post("/api/v1/advice", json=body, **kwargs)


def test_the_spec_example_gets_imap_with_reasons_in_italian(client: FlaskClient) -> None:
    # When
    response = advise(client, SPEC_REQUEST)
    # Then
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == ["protocol", "confidence", "reasons", "cautions", "faq_url", "first_download", "settings"]
    assert body["first_download"] is None  # nothing measured: answers alone
    assert (body["protocol"], body["confidence"]) == ("imap", "strong")
    assert [r["code"] for r in body["reasons"]] == [
        "advice.imap.several_devices",
        "advice.imap.webmail",
        "advice.imap.server_folders",
    ]
    first = body["reasons"][0]
    assert set(first) == {"code", "text", "faq_url"}
    assert first["text"] == CATALOGUE["advice.imap.several_devices"]["it"].message.format(devices=3)
    assert all(r["faq_url"] == FAQ for r in body["reasons"] + body["cautions"])
    assert "advice.caution.imap_quota_fills" in [c["code"] for c in body["cautions"]]
    assert body["settings"] is None


def test_single_offline_device_gets_pop3_with_its_cautions_in_english(client: FlaskClient) -> None:
    body = advise(client, {"devices": 1, "offline_access": True, "lang": "en"}).get_json()
    assert (body["protocol"], body["confidence"]) == ("pop3", "strong")
    cautions = {c["code"]: c["text"] for c in body["cautions"]}
    assert cautions["advice.caution.pop3_no_mixing"] == CATALOGUE["advice.caution.pop3_no_mixing"]["en"].message
    assert "advice.caution.pop3_keep_copy" in cautions
    assert "advice.caution.pop3_sent_local" in cautions


def test_every_field_is_optional(client: FlaskClient) -> None:
    body = advise(client, {}).get_json()
    assert (body["protocol"], body["confidence"]) == ("imap", "lean")
    assert [r["code"] for r in body["reasons"]] == ["advice.imap.default"]


def test_nulls_mean_not_answered(client: FlaskClient) -> None:
    nulls = {name: None for name in SPEC_REQUEST if name != "lang"}
    assert advise(client, nulls).get_json()["reasons"][0]["code"] == "advice.imap.default"


@pytest.mark.parametrize(
    ("lang", "accept", "expected"),
    [
        (None, None, "it"),  # the configured default
        (None, "en-GB,en;q=0.9", "en"),  # the browser's language
        ("it", "en", "it"),  # an explicit choice wins
        (None, "de-DE,de;q=0.9", "it"),  # a language we do not speak: the default
    ],
)
def test_language(client: FlaskClient, lang: str | None, accept: str | None, expected: str) -> None:
    body: dict[str, Any] = {"webmail": True}
    if lang:
        body["lang"] = lang
    headers = {"Accept-Language": accept} if accept else {}
    text = advise(client, body, headers=headers).get_json()["reasons"][0]["text"]
    assert text == CATALOGUE["advice.imap.webmail"][expected].message


def test_default_language_follows_the_configuration(make_config: ConfigFactory) -> None:
    raw = base_raw()
    raw["service"]["languages"] = ["en", "it"]
    client = create_app(make_config(raw)).test_client()
    text = advise(client, {"webmail": True}).get_json()["reasons"][0]["text"]
    assert text == CATALOGUE["advice.imap.webmail"]["en"].message


def test_an_address_adds_its_settings(client: FlaskClient) -> None:
    body = advise(client, {"devices": 2, "email": "mario.rossi@example.org"}).get_json()
    settings = body["settings"]
    assert settings["email"] == "mario.rossi@example.org"
    assert settings["provider"]["id"] == "example"
    assert [(s["protocol"], s["hostname"], s["port"]) for s in settings["incoming"]] == [
        ("imap", "mail.example.com", 993),
        ("pop3", "mail.example.com", 995),
    ]
    assert settings["outgoing"][0]["username"] == "mario.rossi@example.org"


def test_an_address_we_do_not_serve_is_404(client: FlaskClient) -> None:
    response = advise(client, {"email": "someone@elsewhere.test"})
    assert response.status_code == 404
    assert response.get_json()["error"] == "unknown_domain"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"devices": 0}, "devices"),
        ({"devices": -2}, "devices"),
        ({"devices": "many"}, "devices"),
        ({"devices": 10**9}, "devices"),
        ({"webmail": "perhaps"}, "webmail"),
        ({"connectivity": "wifi"}, "connectivity"),
        ({"quota_percent": 150}, "quota_percent"),
        ({"quota_percent": -1}, "quota_percent"),
        ({"lang": "de"}, "lang"),
        ({"email": "not an address"}, None),
        ({"email": ""}, "email"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
        ({"password": "never-here"}, "password"),
    ],
)
def test_bad_answers_get_a_400_naming_the_field(client: FlaskClient, body: dict[str, Any], field: str | None) -> None:
    response = advise(client, body)
    assert response.status_code == 400
    problem = response.get_json()
    assert problem["message"]
    if field:
        assert problem["field"] == field
        assert problem["message"].startswith(field)
    assert "never-here" not in response.get_data(as_text=True)


@pytest.mark.parametrize("raw", [b"[1, 2]", b'"imap"', b"null", b"{not json", b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_400(client: FlaskClient, raw: bytes) -> None:
    response = client.post("/api/v1/advice", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert "JSON object" in response.get_json()["message"]


def test_not_json_at_all_is_refused(client: FlaskClient) -> None:
    response = client.post("/api/v1/advice", data="devices=2", content_type="application/x-www-form-urlencoded")
    assert 400 <= response.status_code < 500
    assert response.get_json()["message"]


def test_get_is_not_allowed(client: FlaskClient) -> None:
    assert client.get("/api/v1/advice").status_code == 405


def test_nan_is_refused(client: FlaskClient) -> None:
    response = client.post("/api/v1/advice", data='{"quota_percent": NaN}', content_type="application/json")
    assert response.status_code == 400


# --- the recommendation inside a diagnosis report, weighing what the checks measured ---------


@pytest.fixture(scope="module")
def diagnosing(
    dovecot_healthy: DovecotServer, test_ca: TestCA, dns_server: KnotServer, tmp_path_factory: pytest.TempPathFactory
) -> FlaskClient:
    config = make(
        raw_config(dovecot_servers(dovecot_healthy), ca=test_ca, knot=dns_server),
        Path(tmp_path_factory.mktemp("advice")),
    )
    publish_example_zone(dns_server, config)
    return create_app(config).test_client()


def diagnosis(client: FlaskClient, user: MailUser, answers: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    body = {"email": user.address, "password": user.password, "lang": lang, "answers": answers}
    response = client.post("/api/v1/diagnostics", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["recommendation"]  # type: ignore[no-any-return]


def test_a_measured_full_mailbox_backs_pop3_for_one_offline_device(diagnosing: FlaskClient) -> None:
    # Given the customer whose 1 MB mailbox is 95% full, reading on one device offline
    recommendation = diagnosis(diagnosing, FULL, {"devices": 1, "offline_access": True}, lang="it")
    # Then the report recommends POP3, citing the quota the check measured, in Italian
    assert recommendation["protocol"] == "pop3"
    reasons = {r["code"]: r["text"] for r in recommendation["reasons"]}
    assert list(reasons) == ["advice.pop3.single_device_offline", "advice.pop3.quota_tight_measured"]
    assert re.search(r"\b9[456]%", reasons["advice.pop3.quota_tight_measured"])
    assert reasons["advice.pop3.quota_tight_measured"].startswith("La verifica")
    # And, since the check also found a folder of hers on the server, it only leans to POP3
    # and says that folder will not show in a POP3 client
    assert recommendation["confidence"] == "lean"
    assert "advice.caution.pop3_folders_hidden" in [c["code"] for c in recommendation["cautions"]]
    assert recommendation["faq_url"] == FAQ


def test_a_measured_full_mailbox_is_a_caution_when_imap_is_needed(diagnosing: FlaskClient) -> None:
    recommendation = diagnosis(diagnosing, FULL, {"devices": 2})
    assert (recommendation["protocol"], recommendation["confidence"]) == ("imap", "lean")
    cautions = [c["code"] for c in recommendation["cautions"]]
    assert "advice.caution.imap_quota_high" in cautions


def test_folders_found_on_the_server_count_for_imap(diagnosing: FlaskClient) -> None:
    # Alice keeps a folder of her own ("Progetti") on the server; no answers given
    recommendation = diagnosis(diagnosing, ALICE, {})
    assert recommendation["protocol"] == "imap"
    assert "advice.imap.folders_found" in [r["code"] for r in recommendation["reasons"]]
