"""`vami reconcile [--apply]` against `vami sandbox serve`: the pool and the account drift apart."""
import json
import socket
import sqlite3
import urllib.error
import urllib.request

TAG = "vami:default:op-000000000000"
CONSOLE_URL = "https://console.example.com/voice"


def accounts_path(sandbox, rest):
    return f"/2010-04-01/Accounts/{sandbox.account_sid}/{rest}"


def buy_at_the_sandbox(sandbox, e164, friendly_name):
    status, body = sandbox.request("POST", accounts_path(sandbox, "IncomingPhoneNumbers.json"),
                                   {"PhoneNumber": e164, "FriendlyName": friendly_name})
    assert status == 201, body
    return body


def snapshot(vami):
    """Everything reconcile may change in the state database."""
    return (vami.rows("SELECT * FROM numbers ORDER BY e164"),
            vami.rows("SELECT * FROM operations ORDER BY id"),
            vami.rows("SELECT * FROM operation_items ORDER BY id"),
            vami.rows("SELECT * FROM audit_entries ORDER BY id"))


def reconcile(vami, *args):
    result = vami.run("reconcile", *args, "--json")
    return result.returncode, json.loads(result.stdout) if result.stdout else None, result.stderr


def kinds(report):
    return {f["e164"]: f["kind"] for f in report["findings"]}


def actions(report):
    return {f["e164"]: f["action"] for f in report["findings"]}


def test_reconcile_reports_every_drift_then_repairs_what_it_safely_can(live, sandbox):
    bought = live.json("numbers", "buy", "--count", "5", "--area-code", "212", "--yes")
    operation = bought["operation_id"]
    pool = sorted(item["e164"] for item in bought["items"])
    sids = dict(live.rows("SELECT e164, provider_sid FROM numbers"))

    # (a) Two numbers bought straight at the provider: one carries a vami tag, one does not.
    status, found = sandbox.request(
        "GET", accounts_path(sandbox, "AvailablePhoneNumbers/US/Local.json?AreaCode=646&PageSize=2"))
    assert status == 200, found
    tagged, foreign = [n["phone_number"] for n in found["available_phone_numbers"]]
    buy_at_the_sandbox(sandbox, tagged, TAG)
    foreign_sid = buy_at_the_sandbox(sandbox, foreign, "someone else")["sid"]

    # (b) Two pool numbers gone at the provider (ghosts), one of them assigned to an agent.
    with sqlite3.connect(live.db) as db:
        db.execute("INSERT INTO tenants (slug, name, created_at, updated_at) "
                   "VALUES ('acme', 'Acme', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')")
        db.execute("INSERT INTO agents (tenant_id, slug, name, created_at, updated_at) VALUES "
                   "(1, 'dr-smith', 'Dr Smith', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')")
        db.execute("UPDATE numbers SET status = 'assigned', tenant_id = 1, agent_id = 1 "
                   "WHERE e164 = ?", (pool[1],))
    for e164 in pool[:2]:
        status, _ = sandbox.request(
            "DELETE", accounts_path(sandbox, f"IncomingPhoneNumbers/{sids[e164]}.json"))
        assert status == 204

    # (c) Rows left transitional by commands that died, and a purchase that never happened.
    never_bought = "+12125550199"
    with sqlite3.connect(live.db) as db:
        db.execute("UPDATE numbers SET status = 'purchasing' WHERE e164 = ?", (pool[2],))
        db.execute("UPDATE numbers SET status = 'releasing' WHERE e164 = ?", (pool[3],))
        db.execute("INSERT INTO numbers (e164, provider, country, number_type, status, "
                   "friendly_name, operation_id, created_at, updated_at) VALUES (?, 'twilio', "
                   "'US', 'local', 'purchasing', ?, ?, '2026-01-01T00:00:00Z', "
                   "'2026-01-01T00:00:00Z')", (never_bought, "vami:default:" + operation, operation))

    # (d) A voice webhook changed in the provider's console.
    status, _ = sandbox.request(
        "POST", accounts_path(sandbox, f"IncomingPhoneNumbers/{sids[pool[4]]}.json"),
        {"VoiceUrl": CONSOLE_URL})
    assert status == 200

    owned_before = sandbox.owned()
    before = snapshot(live)
    code, report, stderr = reconcile(live)
    assert code == 4, stderr
    assert report["applied"] is False and report["operation_id"] is None
    assert kinds(report) == {
        tagged: "orphan_tagged", foreign: "orphan_untagged", pool[0]: "ghost",
        pool[1]: "ghost", pool[2]: "stale_purchasing", pool[3]: "stale_releasing",
        never_bought: "stale_purchasing", pool[4]: "webhook_drift"}
    assert report["in_sync"] == 0
    assert report["counts"]["ghost"] == 2 and report["counts"]["stale_purchasing"] == 2
    assert actions(report)[tagged] == "would adopt"
    assert actions(report)[foreign].startswith("left alone")
    assert "dr-smith" in {f["e164"]: f["detail"] for f in report["findings"]}[pool[1]]
    assert snapshot(live) == before
    assert sandbox.owned() == owned_before

    table = live.run("reconcile")
    assert table.returncode == 4
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["KIND", "SUBJECT", "DETAIL", "ACTION"]
    assert len(lines) == 1 + 8
    assert "0 numbers in sync" in table.stderr and "--apply' would repair 7" in table.stderr
    assert snapshot(live) == before

    code, applied, stderr = reconcile(live, "--apply")
    assert code == 4, stderr  # the untagged orphan is left for a person
    assert applied["applied"] is True
    assert actions(applied) == {
        tagged: "adopted", pool[0]: "marked released", pool[1]: "marked released",
        pool[2]: "completed purchase", never_bought: "abandoned purchase",
        pool[3]: "restored", pool[4]: "stored provider webhook",
        foreign: actions(report)[foreign]}
    assert sandbox.owned() == owned_before  # nothing bought or released at the provider

    rows = {r[0]: r[1:] for r in live.rows(
        "SELECT e164, status, provider_sid, operation_id, monthly_price_micros, agent_id, "
        "voice_url, friendly_name FROM numbers")}
    owned = {n["phone_number"]: n for n in sandbox.owned()}
    # Adopted: its tag names an operation this journal does not hold, so none is recorded.
    assert rows[tagged] == ("available", owned[tagged]["sid"], None, 1150000, None, None, TAG)
    assert rows[pool[0]][:2] == ("released", None)
    assert rows[pool[1]][:2] == ("released", None) and rows[pool[1]][4] is None
    assert rows[pool[2]][:2] == ("available", sids[pool[2]])
    assert rows[pool[3]][:2] == ("available", sids[pool[3]])
    assert rows[pool[4]][5] == CONSOLE_URL
    assert never_bought not in rows and foreign not in rows
    assert live.rows("SELECT kind, status, requested_count FROM operations WHERE id = ?",
                     (applied["operation_id"],)) == [("reconcile", "completed", 7)]
    assert live.rows("SELECT count(*) FROM audit_entries WHERE command = 'reconcile'") == [(7,)]
    assert live.rows("SELECT outcome FROM operation_items WHERE operation_id = ? AND e164 = ?",
                     (operation, never_bought)) == [("failed",)]

    # Safe to run twice: only the untagged orphan is left.
    after_first = snapshot(live)[0]
    code, again, stderr = reconcile(live, "--apply")
    assert code == 4, stderr
    assert kinds(again) == {foreign: "orphan_untagged"}
    assert again["in_sync"] == 4
    assert snapshot(live)[0] == after_first

    # Once the foreign number is gone from the account, nothing is left to do.
    status, _ = sandbox.request(
        "DELETE", accounts_path(sandbox, f"IncomingPhoneNumbers/{foreign_sid}.json"))
    assert status == 204
    settled = live.run("reconcile")
    assert settled.returncode == 0, settled.stderr
    assert settled.stdout == ""
    assert "4 numbers in sync; nothing to do" in settled.stderr


def test_a_pool_in_sync_exits_0_and_a_report_writes_nothing(live):
    live.json("numbers", "buy", "--count", "3", "--area-code", "212", "--yes")
    before = snapshot(live)
    code, report, stderr = reconcile(live)
    assert code == 0, stderr
    assert report["findings"] == [] and report["in_sync"] == 3 and report["counts"]["in_sync"] == 3
    assert snapshot(live) == before
    code, applied, stderr = reconcile(live, "--apply")
    assert code == 0, stderr
    assert applied["applied"] is True and applied["findings"] == []


def test_a_failed_listing_changes_nothing(live, sandbox):
    live.json("numbers", "buy", "--count", "2", "--area-code", "212", "--yes")
    with sqlite3.connect(live.db) as db:
        db.execute("UPDATE numbers SET status = 'purchasing' WHERE rowid = 1")
    before = snapshot(live)

    rejected = live.run("reconcile", "--apply", env={"TWILIO_AUTH_TOKEN": "wrong"})
    assert rejected.returncode == 5, rejected.stderr
    assert snapshot(live) == before

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    down = live.run("reconcile", "--apply",
                    env={"VAMI_TWILIO_BASE_URL": f"http://127.0.0.1:{closed}"})
    assert down.returncode == 6, down.stderr
    assert snapshot(live) == before


def test_help_states_the_exit_code_rule(vami):
    result = vami.run("reconcile", "--help", db=False)
    assert result.returncode == 0
    assert "--apply" in result.stdout and "4 when drift remains" in result.stdout


# --- The ElevenLabs side: agents, documents and imported numbers --------------------------------

OLD = "2026-01-01T00:00:00Z"  # a time long past the in-flight grace


def agents_api(sandbox, method, path, body=None):
    """One ElevenLabs API request straight to the served sandbox (drift made outside vami)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(sandbox.exports["VAMI_ELEVENLABS_BASE_URL"] + path,
                                     data=data, method=method)
    request.add_header("xi-api-key", sandbox.exports["ELEVENLABS_API_KEY"])
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        text = error.read()
        return error.code, json.loads(text) if text else None


def imported_numbers(sandbox):
    """E.164 -> (phone_number_id, agent id or None) of every number imported at the sandbox."""
    status, body = agents_api(sandbox, "GET", "/v1/convai/phone-numbers")
    assert status == 200, body
    return {n["phone_number"]: (n["phone_number_id"], (n.get("assigned_agent") or {}).get("agent_id"))
            for n in body}


def agent_ids(sandbox):
    status, page = agents_api(sandbox, "GET", "/v1/convai/agents?page_size=100")
    assert status == 200 and not page["has_more"], page
    return sorted(a["agent_id"] for a in page["agents"])


def database(vami):
    """What reconcile may change in the database about agents, documents and routing."""
    return (vami.rows("SELECT slug, status, provider_agent_id, updated_at FROM agents ORDER BY slug"),
            vami.rows("SELECT provider_document_id, agent_id FROM documents ORDER BY 1"),
            vami.rows("SELECT e164, status, agent_id, routing_mode, provider_agent_phone_id, "
                      "voice_url, updated_at FROM numbers ORDER BY e164"),
            vami.rows("SELECT count(*) FROM audit_entries"))


def elevenlabs_state(sandbox):
    return agent_ids(sandbox), imported_numbers(sandbox)


def ok(vami, *args):
    result = vami.run(*args)
    assert result.returncode == 0, result.stderr
    return result


def setup_tenant(live, numbers=3):
    """A tenant with agents, documents and natively routed numbers, everything old enough."""
    pool = sorted(item["e164"] for item in live.json(
        "numbers", "buy", "--count", str(numbers), "--area-code", "212", "--yes")["items"])
    ok(live, "tenants", "create", "acme", "--name", "Acme")
    agents = {}
    for slug in ("front-desk", "back-office", "old-desk"):
        created = live.json("agents", "create", "--tenant", "acme", "--slug", slug,
                            "--name", slug.replace("-", " ").title())
        agents[slug] = created["provider_agent_id"]
    for e164, slug in zip(pool, ("front-desk", "back-office", "old-desk")):
        ok(live, "numbers", "assign", e164, "--agent", slug)
    documents = [live.json("kb", "add", "front-desk", "--text", text)[0]["id"]
                 for text in ("Opening hours: 9 to 17", "We sell shoes")]
    with sqlite3.connect(live.db) as db:
        db.execute("UPDATE documents SET created_at = ?", (OLD,))
        db.execute("UPDATE numbers SET updated_at = ?", (OLD,))
    return pool, agents, documents


def findings(report):
    """(subject, kind) -> finding, for every finding of a report."""
    def subject(f):
        if f["subject"] == "number":
            return f["e164"]
        if f["subject"] == "agent":
            return "agent " + (f["provider_id"] if f["kind"] == "agent_orphan" else f["agent"])
        return "document " + f["provider_id"]
    return {(subject(f), f["kind"]): f for f in report["findings"]}


def test_reconcile_compares_elevenlabs_and_routes_numbers_as_the_database_says(live, sandbox):
    pool, agents, documents = setup_tenant(live)
    code, report, stderr = reconcile(live)
    assert code == 0, stderr
    assert (report["in_sync"], report["agents_in_sync"], report["documents_in_sync"]) == (3, 3, 2)
    assert report["voice_agents"] == "compared" and report["findings"] == []
    assert "3 numbers, 3 agents and 2 documents in sync; nothing to do" in stderr

    # Drift made at ElevenLabs outside vami, and rows left behind by commands that died.
    imports = imported_numbers(sandbox)
    status, _ = agents_api(sandbox, "PATCH", f"/v1/convai/phone-numbers/{imports[pool[0]][0]}",
                           {"agent_id": agents["back-office"]})
    assert status == 200
    status, _ = agents_api(sandbox, "DELETE", f"/v1/convai/agents/{agents['old-desk']}")
    assert status in (200, 204)
    status, _ = agents_api(sandbox, "DELETE",
                           f"/v1/convai/knowledge-base/{documents[1]}?force=true")
    assert status == 200
    status, leftover = agents_api(sandbox, "POST", "/v1/convai/agents/create", {
        "name": "Leftover", "conversation_config": {},
        "tags": ["vami", "vami-agent:leftover", "vami-tenant:acme"]})
    assert status == 200, leftover
    leftover = leftover["agent_id"]
    status, made = agents_api(sandbox, "POST", "/v1/convai/agents/create", {
        "name": "Night Line", "conversation_config": {},
        "tags": ["vami", "vami-agent:night-line", "vami-tenant:acme"]})
    assert status == 200, made
    made = made["agent_id"]
    with sqlite3.connect(live.db) as db:
        # An `agents create` whose answer was lost: the provider made it, the row says creating.
        db.execute("INSERT INTO agents (tenant_id, slug, name, status, created_at, updated_at) "
                   "VALUES (1, 'night-line', 'Night Line', 'creating', ?, ?)", (OLD, OLD))
        # The database lost the id of back-office's number's import.
        db.execute("UPDATE numbers SET provider_agent_phone_id = NULL WHERE e164 = ?", (pool[1],))

    world = (database(live), elevenlabs_state(sandbox), sandbox.owned())
    code, report, stderr = reconcile(live)
    assert code == 4, stderr
    found = findings(report)
    assert set(found) == {
        (pool[0], "agent_drift"), (pool[1], "import_drift"), (pool[2], "agent_drift"),
        ("agent old-desk", "agent_ghost"), ("agent night-line", "stale_creating"),
        ("agent " + leftover, "agent_orphan"), ("document " + documents[1], "document_ghost")}
    drift = found[(pool[0], "agent_drift")]
    assert drift["agent"] == "front-desk" and drift["repair"] == "set_provider_agent"
    assert "back-office" in drift["detail"] and "the database decides" in drift["detail"]
    assert drift["action"] == 'would route it to "front-desk" at ElevenLabs'
    assert found[(pool[2], "agent_drift")]["holdup"] == "agent_gone"
    ghost = found[("agent old-desk", "agent_ghost")]
    assert ghost["resolution"] == "unresolved" and ghost["provider_id"] == agents["old-desk"]
    assert "1 number rings nowhere" in ghost["detail"]
    assert "vami numbers unassign" in ghost["action"]
    assert found[("agent night-line", "stale_creating")]["action"] == "would adopt " + made
    assert found[("agent " + leftover, "agent_orphan")]["action"].startswith("left alone")
    assert found[("agent " + leftover, "agent_orphan")]["agent_provider"] == "elevenlabs"
    assert drift["agent_provider"] == "elevenlabs"
    assert "vami kb add" in found[("document " + documents[1], "document_ghost")]["action"]
    assert (database(live), elevenlabs_state(sandbox), sandbox.owned()) == world

    table = live.run("reconcile")
    assert table.returncode == 4
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["KIND", "SUBJECT", "DETAIL", "ACTION"]
    assert len(lines) == 1 + 7
    assert any(line.split()[:3] == ["agent_ghost", "agent", "old-desk"] for line in lines)

    code, applied, stderr = reconcile(live, "--apply")
    assert code == 4, stderr  # the deleted agent and the orphan need a person
    repaired = {key for key, f in findings(applied).items() if f["resolution"] == "repaired"}
    assert repaired == {(pool[0], "agent_drift"), (pool[1], "import_drift"),
                        ("agent night-line", "stale_creating"),
                        ("document " + documents[1], "document_ghost")}
    imports_after = imported_numbers(sandbox)
    assert imports_after[pool[0]][1] == agents["front-desk"]  # the database decided
    assert live.rows("SELECT provider_agent_phone_id FROM numbers WHERE e164 = ?",
                     (pool[1],)) == [(imports[pool[1]][0],)]
    assert live.rows("SELECT status, provider_agent_id FROM agents WHERE slug = 'night-line'") \
        == [("active", made)]
    assert live.rows("SELECT provider_document_id FROM documents") == [(documents[0],)]
    # The agent deleted outside vami keeps its row and its number.
    assert live.rows("SELECT status FROM agents WHERE slug = 'old-desk'") == [("active",)]
    assert live.rows("SELECT status FROM numbers WHERE e164 = ?", (pool[2],)) == [("assigned",)]
    assert live.rows("SELECT kind, status, requested_count FROM operations WHERE id = ?",
                     (applied["operation_id"],)) == [("reconcile", "completed", 4)]
    assert live.rows("SELECT count(*) FROM audit_entries WHERE command = 'reconcile'") == [(4,)]

    # Safe to run twice: only what needs a person is left, and nothing changes.
    world = (database(live), elevenlabs_state(sandbox), sandbox.owned())
    code, again, stderr = reconcile(live, "--apply")
    assert code == 4, stderr
    assert set(findings(again)) == {(pool[2], "agent_drift"), ("agent old-desk", "agent_ghost"),
                                    ("agent " + leftover, "agent_orphan")}
    assert (database(live), elevenlabs_state(sandbox), sandbox.owned()) == world

    # What the report tells the operator to do settles it.
    ok(live, "numbers", "unassign", pool[2])
    ok(live, "agents", "delete", "old-desk", "--yes")
    status, _ = agents_api(sandbox, "DELETE", f"/v1/convai/agents/{leftover}")
    assert status in (200, 204)
    settled = live.run("reconcile")
    assert settled.returncode == 0, settled.stderr
    assert settled.stdout == ""
    assert "3 numbers, 3 agents and 1 document in sync; nothing to do" in settled.stderr


def test_an_assigned_number_no_longer_imported_is_imported_again(live, sandbox):
    pool, agents, _ = setup_tenant(live)
    imports = imported_numbers(sandbox)
    status, _ = agents_api(sandbox, "DELETE", f"/v1/convai/phone-numbers/{imports[pool[0]][0]}")
    assert status in (200, 204)
    assert pool[0] not in imported_numbers(sandbox)

    code, applied, stderr = reconcile(live, "--apply")
    assert code == 0, stderr
    # Removing the import cleared the number's voice URL at Twilio too, so its calls are not
    # answered: routing it again imports it, which points the voice URL back, and stores it.
    assert [(f["e164"], f["kind"], f["resolution"]) for f in applied["findings"]] == [
        (pool[0], "voice_url_drift", "repaired")]
    assert applied["findings"][0]["action"] == (
        'imported into ElevenLabs again, which points its voice URL there, routed to "front-desk"')
    new_id, agent = imported_numbers(sandbox)[pool[0]]
    assert agent == agents["front-desk"] and new_id != imports[pool[0]][0]
    assert live.rows("SELECT provider_agent_phone_id FROM numbers WHERE e164 = ?",
                     (pool[0],)) == [(new_id,)]
    # The import pointed the number's voice URL at ElevenLabs again; the database knows it.
    code, again, stderr = reconcile(live)
    assert code == 0, stderr
    assert again["findings"] == []


def test_a_failed_elevenlabs_listing_changes_nothing(live, sandbox):
    pool, agents, _ = setup_tenant(live)
    # Drift on both sides that --apply would repair.
    status, _ = sandbox.request(
        "DELETE", accounts_path(sandbox, "IncomingPhoneNumbers/" + live.rows(
            "SELECT provider_sid FROM numbers WHERE e164 = ?", (pool[1],))[0][0] + ".json"))
    assert status == 204
    imports = imported_numbers(sandbox)
    status, _ = agents_api(sandbox, "PATCH", f"/v1/convai/phone-numbers/{imports[pool[0]][0]}",
                           {"agent_id": None})
    assert status == 200
    world = (snapshot(live), elevenlabs_state(sandbox))

    rejected = live.run("reconcile", "--apply", env={"ELEVENLABS_API_KEY": "wrong"})
    assert rejected.returncode == 5, rejected.stderr
    assert (snapshot(live), elevenlabs_state(sandbox)) == world

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    down = live.run("reconcile", "--apply",
                    env={"VAMI_ELEVENLABS_BASE_URL": f"http://127.0.0.1:{closed}"})
    assert down.returncode == 6, down.stderr
    assert (snapshot(live), elevenlabs_state(sandbox)) == world


def test_with_twilio_credentials_only_the_elevenlabs_side_is_skipped_and_said_so(live, sandbox):
    live.json("numbers", "buy", "--count", "2", "--area-code", "212", "--yes")
    twilio_only = {"ELEVENLABS_API_KEY": ""}
    # Nothing in the database depends on ElevenLabs: in sync, with a note.
    result = live.run("reconcile", "--json", env=twilio_only)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["voice_agents"] == "not_needed" and report["settled"] is True
    assert "ELEVENLABS_API_KEY" in report["voice_agents_skipped_because"]
    assert "ElevenLabs side was not compared" in result.stderr

    # With agents in the database, the Twilio side still runs and repairs; the exit says 5.
    ok(live, "tenants", "create", "acme", "--name", "Acme")
    ok(live, "agents", "create", "--tenant", "acme", "--slug", "front-desk", "--name", "Front")
    e164, sid = live.rows("SELECT e164, provider_sid FROM numbers ORDER BY e164")[0]
    status, _ = sandbox.request("DELETE", accounts_path(sandbox, f"IncomingPhoneNumbers/{sid}.json"))
    assert status == 204
    result = live.run("reconcile", "--apply", "--json", env=twilio_only)
    assert result.returncode == 5, result.stderr
    report = json.loads(result.stdout)
    assert report["voice_agents"] == "skipped" and report["settled"] is False
    assert [(f["e164"], f["kind"], f["resolution"]) for f in report["findings"]] == \
        [(e164, "ghost", "repaired")]
    assert "was not compared, though the database holds agents" in result.stderr
    assert "ELEVENLABS_API_KEY" in result.stderr
    assert live.rows("SELECT status FROM numbers WHERE e164 = ?", (e164,)) == [("released",)]


def test_a_synthflow_platform_without_an_elevenlabs_key_reconciles_its_agents(live, sandbox,
                                                                               home):
    # A platform on Synthflow alone: its profile's default provider, no ElevenLabs key at all.
    synthflow_only = {"ELEVENLABS_API_KEY": ""}
    config = home / "config" / "vami" / "config.toml"
    config.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    config.write_text('default_profile = "flows"\n\n[profiles.flows]\nagent_provider = "synthflow"\n')
    config.chmod(0o600)
    ok(live, "tenants", "create", "acme", "--name", "Acme")
    created = live.run("agents", "create", "--tenant", "acme", "--slug", "desk", "--name", "Desk",
                       "--json", env=synthflow_only)
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["provider"] == "synthflow"
    result = live.run("reconcile", "--json", env=synthflow_only)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["voice_agents"] == "compared" and report["settled"] is True
    # Compared for real: an agent deleted at Synthflow is found.
    agent_id = live.rows("SELECT provider_agent_id FROM agents WHERE slug = 'desk'")[0][0]
    request = urllib.request.Request(
        sandbox.exports["VAMI_SYNTHFLOW_BASE_URL"] + f"/assistants/{agent_id}", method="DELETE")
    request.add_header("Authorization", "Bearer " + sandbox.exports["SYNTHFLOW_API_KEY"])
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    gone = live.run("reconcile", "--json", env=synthflow_only)
    report = json.loads(gone.stdout)
    assert report["voice_agents"] == "compared", gone.stderr
    assert [(f["kind"], f["agent_provider"]) for f in report["findings"]] == \
        [("agent_ghost", "synthflow")], report["findings"]
