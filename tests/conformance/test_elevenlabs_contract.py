"""Every ElevenLabs operation vami uses, run through the binary against the official document
(api-mocks / Prism), with zero contract violations.

The mocks are stateless and answer every valid request with the document's example, so the flow
is chosen to work with examples:
- every agent created gets the example's agent id, and every document the example's document
  id; vami keeps provider ids unique, so each document is removed before the next is added,
  and the first agent is deleted before a second one is made (no reassign between two agents);
- `agents conversations` runs with --limit 1: the example page says has_more with a cursor that
  names itself, so reading on would (rightly) stop with an error;
- `agents list` at the provider (GET /v1/convai/agents) is reached the way vami uses it: when an
  `agents create` resumes an interrupted creation (a `creating` row), it looks for the agent's
  tag before creating it again.
Not reachable here: GET /v1/convai/phone-numbers (vami lists imported numbers only when an import
fails, which the mocks never make a valid request do), GET /v1/convai/agents/{id} and
DELETE /v1/convai/phone-numbers/{id} (no vami command calls them)."""
import json
import os
import re
import sqlite3
import subprocess

import pytest

from conftest import VAMI, API_MOCKS

ACCOUNT_SID = "AC" + "a" * 32
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def served_requests(log_text):
    return re.findall(r"\[HTTP SERVER\] (get|post|delete|patch|put) (\S+)", log_text)


@pytest.fixture(scope="module")
def elevenlabs_contract(mocks, tmp_path_factory):
    directory, mock_env = mocks
    home = tmp_path_factory.mktemp("elevenlabs-home")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TWILIO_", "ELEVENLABS_", "VAMI_"))}
    env.update(mock_env)  # base URLs only: the mocks take any key, but one must be sent
    env.update({"HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "NO_COLOR": "1",
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": "b" * 32,
                "ELEVENLABS_API_KEY": "sk_" + "c" * 48})
    db = home / "vami.db"

    def run(*args):
        result = subprocess.run([VAMI, "--db", str(db), *map(str, args)], env=env,
                                stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, (args, result.stderr)
        return json.loads(result.stdout) if "--json" in args else result.stdout

    def run_allowing_uncertain(*args):
        result = subprocess.run([VAMI, "--db", str(db), *map(str, args)], env=env,
                                stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode in (0, 8), (args, result.stderr)
        if result.returncode == 8:
            assert "does not report it" in result.stderr, result.stderr
        with sqlite3.connect(db) as connection:
            return connection.execute("SELECT status, routing_mode FROM numbers WHERE e164 = ?",
                                      (args[2],)).fetchone()

    def violations():
        result = subprocess.run([str(API_MOCKS), "violations", str(directory)],
                                capture_output=True, text=True, timeout=60)
        return result.returncode, result.stdout

    def served():
        return served_requests((directory / "elevenlabs.log").read_text())

    return run, run_allowing_uncertain, violations, served, db, home


def test_elevenlabs_operations_follow_the_official_contract(elevenlabs_contract):
    run, run_allowing_uncertain, violations, served, db, home = elevenlabs_contract

    voices = run("voices", "list", "--json")
    assert voices and voices[0]["voice_id"] and voices[0]["name"]
    voice = voices[0]

    run("tenants", "create", "acme", "--name", "Acme Dental", "--industry", "dental")
    agent = run("agents", "create", "--tenant", "acme", "--name", "Front Desk", "--voice",
                voice["name"], "--prompt", "Book appointments.", "--first-message",
                "Hello, Acme Dental.", "--language", "es", "--personality", "friendly", "--json")
    agent_id = agent["provider_agent_id"]
    assert agent_id and agent["voice_id"] == voice["voice_id"]
    run("agents", "update", "front-desk", "--name", "Front Desk ES", "--prompt", "Be brief.",
        "--first-message", "Hola.", "--voice", voice["voice_id"], "--language", "de",
        "--personality", "casual", "--json")

    # Knowledge: a file (multipart), a web page and a text, each attached then removed.
    pdf = home / "prices.pdf"
    pdf.write_bytes(PDF)
    (document,) = run("kb", "add", "front-desk", pdf, "--name", "Prices", "--json")
    assert document["id"] and document["mime_type"] == "application/pdf"
    run("kb", "remove", "front-desk", document["id"], "--json")
    (page,) = run("kb", "add", "front-desk", "--url", "https://acme.example/faq", "--name", "FAQ",
                  "--json")
    run("kb", "remove", "front-desk", page["id"], "--json")
    (text,) = run("kb", "add", "front-desk", "--text", "Open 9 to 17.", "--json")
    run("kb", "remove", "front-desk", text["id"], "--json")

    conversations = run("agents", "conversations", "front-desk", "--limit", "1", "--json")
    assert len(conversations) == 1 and conversations[0]["conversation_id"]

    # Phone numbers: import into the Agents Platform, assign, unassign.
    report = run("numbers", "buy", "--count", "1", "--area-code", "212", "--yes", "--json")
    e164 = report["items"][0]["e164"]
    # Prism keeps no state: the read-back of the voice URL after a native assign cannot find
    # the number, so vami keeps the assignment and says the routing is unconfirmed (exit 8).
    assigned = run_allowing_uncertain("numbers", "assign", e164, "--agent", "front-desk")
    assert assigned == ("assigned", "native")
    assigned_phone_id = run("route", e164, "--offline", "--json")["agent_phone_number_id"]
    assert assigned_phone_id
    assert run("numbers", "unassign", e164, "--json")["status"] == "available"

    run("agents", "delete", "front-desk", "--yes", "--json")
    # An interrupted creation: vami looks for the agent's tag at the provider before creating.
    with sqlite3.connect(db) as connection:
        connection.execute(
            "INSERT INTO agents (tenant_id, slug, name, status, created_at, updated_at) "
            "VALUES ((SELECT id FROM tenants WHERE slug = 'acme'), 'night-desk', 'Night Desk', "
            "'creating', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')")
    resumed = run("agents", "create", "--tenant", "acme", "--name", "Night Desk", "--json")
    assert resumed["status"] == "active" and resumed["provider_agent_id"]
    run("tenants", "delete", "acme", "--yes", "--json")

    # Prism logs each path without its query string.
    requests = {(m, p.split("?")[0]) for m, p in served()}
    for method, path in [
        ("get", "/v1/voices"),
        ("post", "/v1/convai/agents/create"),
        ("get", "/v1/convai/agents"),
        ("patch", f"/v1/convai/agents/{agent_id}"),
        ("delete", f"/v1/convai/agents/{agent_id}"),
        ("post", "/v1/convai/knowledge-base/file"),
        ("post", "/v1/convai/knowledge-base/url"),
        ("post", "/v1/convai/knowledge-base/text"),
        ("delete", f"/v1/convai/knowledge-base/{document['id']}"),
        ("post", "/v1/convai/phone-numbers"),
        ("patch", f"/v1/convai/phone-numbers/{assigned_phone_id}"),
        ("get", "/v1/convai/conversations"),
    ]:
        assert (method, path) in requests, f"no {method.upper()} {path} reached the mocks"

    code, report_text = violations()
    assert code == 0, "contract violations:\n" + report_text
