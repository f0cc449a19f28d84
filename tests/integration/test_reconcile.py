"""`vami reconcile [--apply]` against `vami sandbox serve`: the pool and the account drift apart."""
import json
import socket
import sqlite3

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
    assert lines[0].split() == ["KIND", "NUMBER", "DETAIL", "ACTION"]
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
