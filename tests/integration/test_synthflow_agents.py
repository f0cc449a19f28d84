"""Synthflow agents from the CLI, on the in-process sandbox's Synthflow emulator (no
credentials): created, listed, shown, updated and deleted with `--provider synthflow`,
knowledge added as text and by URL, files Synthflow cannot take refused, a pool number routed
natively over the SIP trunk and back, webhook routing refused before anything changes, and
reconcile in sync with a Synthflow agent present."""
import pytest

from conftest import buy_numbers, create_agent, create_tenant, error_line


@pytest.fixture
def synthflow_agent(vami):
    """Tenant acme with the Synthflow agent acme-desk."""
    create_tenant(vami, "acme", "Acme Dental")
    agent = create_agent(vami, "acme", "Acme Desk", "--slug", "acme-desk",
                         "--provider", "synthflow", "--prompt", "You answer for Acme Dental.",
                         "--first-message", "Acme Dental, hello!", "--voice", "Rachel",
                         "--language", "en")
    return vami, agent


def test_a_synthflow_agent_is_created_listed_shown_and_updated(synthflow_agent):
    vami, agent = synthflow_agent
    assert agent["provider"] == "synthflow"
    assert agent["provider_agent_id"]
    assert agent["voice_id"] == "21m00Tcm4TlvDq8ikWAM"  # the name resolved in its catalogue
    assert agent["language"] == "en"
    assert {a["slug"]: a["provider"] for a in vami.json("agents", "list")} == {
        "acme-desk": "synthflow"}
    shown = vami.json("agents", "show", "acme-desk")
    assert shown["provider"] == "synthflow"
    assert shown["provider_agent_id"] == agent["provider_agent_id"]

    updated = vami.run("agents", "update", "acme-desk", "--first-message", "Welcome to Acme!",
                       "--voice", "Drew")
    assert updated.returncode == 0, updated.stderr
    shown = vami.json("agents", "show", "acme-desk")
    assert shown["first_message"] == "Welcome to Acme!"
    assert shown["voice_id"] == "29vD33N1CtxCmqQRPOHJ"


def test_synthflow_voices_are_listed(vami):
    voices = vami.json("voices", "list", "--provider", "synthflow")
    assert {"Rachel", "Drew"} <= {v["name"] for v in voices}


def test_knowledge_is_added_as_text_and_by_url_and_a_pdf_file_is_refused(synthflow_agent,
                                                                         documents):
    vami, _agent = synthflow_agent
    text = vami.run("kb", "add", "acme-desk", "--text", "Parking is free.", "--name", "parking")
    assert text.returncode == 0, text.stderr
    url = vami.run("kb", "add", "acme-desk", "--url", "https://acme.example.com/faq",
                   "--name", "faq")
    assert url.returncode == 0, url.stderr
    assert sorted(d["name"] for d in vami.json("kb", "list", "acme-desk")) == ["faq", "parking"]

    pdf = vami.run("kb", "add", "acme-desk", documents["pdf"])
    assert pdf.returncode == 2, pdf.stderr
    assert "web pages and PDFs by URL" in pdf.stderr, pdf.stderr
    assert sorted(d["name"] for d in vami.json("kb", "list", "acme-desk")) == ["faq", "parking"]


def test_a_pool_number_is_not_routed_to_a_synthflow_agent_by_webhook(synthflow_agent):
    vami, _agent = synthflow_agent
    number = buy_numbers(vami, 1)[0]
    before = vami.json("numbers", "show", number)
    result = vami.run("--router-url", "https://router.example.com/twilio/voice", "numbers",
                      "assign", number, "--agent", "acme-desk", "--mode", "webhook")
    assert result.returncode == 2, result.stderr
    line = error_line(result)
    assert "synthflow" in line and "call router" in line, line
    assert "--mode native" in result.stderr, result.stderr
    assert "elevenlabs agent (native or webhook)" in result.stderr, result.stderr
    after = vami.json("numbers", "show", number)
    assert after["status"] == "available" and after == before


def test_a_pool_number_reaches_a_synthflow_agent_over_the_sip_trunk_and_leaves_it(
        synthflow_agent):
    vami, agent = synthflow_agent
    number = buy_numbers(vami, 1)[0]
    assigned = vami.run("numbers", "assign", number, "--agent", "acme-desk")
    assert assigned.returncode == 0, assigned.stderr
    route = vami.json("route", number)
    assert route["calls_answered"] is True, route
    assert route["routing_problems"] == [], route
    assert route["sip_trunk"], route
    # The workspace lists the number as the agent's (an import over SIP).
    reconcile = vami.run("reconcile")
    assert reconcile.returncode == 0, reconcile.stdout + reconcile.stderr

    unassigned = vami.run("numbers", "unassign", number)
    assert unassigned.returncode == 0, unassigned.stderr
    assert vami.json("numbers", "show", number)["status"] == "available"
    after = vami.json("route", number)
    assert after["routing_problems"] == [] and after["sip_trunk"] is None, after
    reconcile = vami.run("reconcile")
    assert reconcile.returncode == 0, reconcile.stdout + reconcile.stderr


def test_reconcile_is_in_sync_with_a_synthflow_agent_and_delete_removes_it(synthflow_agent):
    vami, _agent = synthflow_agent
    added = vami.run("kb", "add", "acme-desk", "--text", "Open 9 to 5.", "--name", "hours")
    assert added.returncode == 0, added.stderr
    reconcile = vami.run("reconcile")
    assert reconcile.returncode == 0, reconcile.stdout + reconcile.stderr

    deleted = vami.run("agents", "delete", "acme-desk", "--yes")
    assert deleted.returncode == 0, deleted.stderr
    assert vami.json("agents", "list") == []
    assert vami.run("agents", "show", "acme-desk").returncode == 3
