"""vami calls list/show/sync and vami usage on the sandbox: the call history filled from the
emulated Twilio call log and ElevenLabs conversations (seeded with sqlite3, as nothing in the
emulator places calls yet), and usage with exact decimal money."""
import csv
import io
import json
import sqlite3

from conftest import buy_numbers, create_agent, create_tenant, error_line

CALLER = "+14155550199"
# 2026-11-20T10:00:00Z and the following times, in Unix seconds.
T0 = 1795687200 - 6 * 86400


def sandbox_db(vami):
    return vami.db.with_name(vami.db.name.removesuffix(".db") + ".sandbox.db")


def seed_calls(state, numbers, agent_id):
    """Into the sandbox state file `state`: CA1 to numbers[0] (answered by the agent: conv_1),
    CA2 to a number not in the pool, CA3 to numbers[1] still in progress."""
    with sqlite3.connect(state) as db:
        db.executemany(
            "INSERT INTO calls (sid, from_number, to_number, direction, status, start_time, "
            "end_time, duration, price, price_unit, date_created) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [("CA" + "1" * 32, CALLER, numbers[0], "inbound", "completed", T0, T0 + 95, 95,
              "-0.01700", "USD", T0),
             ("CA" + "2" * 32, CALLER, "+19995550000", "inbound", "completed", T0 + 100,
              T0 + 130, 30, "-0.00850", "USD", T0 + 100),
             ("CA" + "3" * 32, "+14155550123", numbers[1], "inbound", "in-progress", T0 + 3600,
              None, None, None, "USD", T0 + 3600)])
        db.execute(
            "INSERT INTO conversations (conversation_id, agent_id, start_time_unix_secs, "
            "call_duration_secs, message_count, status, call_successful, direction, "
            "transcript_summary) VALUES (?,?,?,?,?,?,?,?,?)",
            ("conv_1", agent_id, T0 + 1, 95, 2, "done", "success", "inbound",
             "=HYPERLINK(\"http://x\") booked a cleaning"))
        db.execute(
            "INSERT INTO conversation_details VALUES (?,?,?,?,?,?,?,?)",
            ("conv_1", "CA" + "1" * 32, "phnum_1", numbers[0], CALLER, 296, 0.1234,
             json.dumps([{"role": "agent", "message": "Hello, Acme Dental.",
                          "time_in_call_secs": 0},
                         {"role": "user", "message": "I need a cleaning.",
                          "time_in_call_secs": 3}])))


def setup_world(vami, state=None):
    create_tenant(vami, "acme", "Acme Dental")
    agent = create_agent(vami, "acme", "Front Desk")
    numbers = buy_numbers(vami, 2)
    assert vami.run("numbers", "assign", numbers[0], "--agent", "front-desk").returncode == 0
    seed_calls(state or sandbox_db(vami), numbers, agent["provider_agent_id"])
    return agent, numbers


def test_sync_fills_the_history_once_and_list_and_show_read_it(vami):
    agent, numbers = setup_world(vami)
    assert vami.json("calls", "list") == []
    empty = vami.run("calls", "list")
    assert empty.returncode == 0 and empty.stdout == ""
    assert "the call history is empty; 'vami calls sync'" in empty.stderr

    first = vami.json("calls", "sync")
    assert first == {"since": None, "telephony_calls": 2, "conversations": 1,
                     "conversation_details": 1, "created": 2, "updated": 1, "unchanged": 0}
    again = vami.json("calls", "sync")
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert again["conversation_details"] == 0

    calls = vami.json("calls", "list")
    assert [c["id"] for c in calls] == ["CA" + "3" * 32, "CA" + "1" * 32]
    answered = calls[1]
    assert answered == {
        "id": "CA" + "1" * 32, "call_sid": "CA" + "1" * 32, "conversation_id": "conv_1",
        "number": numbers[0], "caller": CALLER, "tenant": "acme", "agent": "front-desk",
        "provider_agent_id": agent["provider_agent_id"], "direction": "inbound",
        "status": "completed", "started_at": "2026-11-20T10:00:00Z", "duration_seconds": 95,
        "telephony_cost": "0.017", "telephony_cost_micros": 17000,
        "telephony_cost_currency": "USD", "agent_cost": "0.1234", "agent_cost_micros": 123400,
        "agent_cost_currency": "USD", "agent_credits": 296, "outcome": "success",
        "summary": "=HYPERLINK(\"http://x\") booked a cleaning", "failure_reason": None,
        "source": "sync", "created_at": answered["created_at"],
        "updated_at": answered["updated_at"]}
    ongoing = calls[0]
    assert ongoing["tenant"] is None and ongoing["status"] == "in-progress"
    assert ongoing["duration_seconds"] is None and ongoing["telephony_cost"] is None

    # Filters.
    assert [c["id"] for c in vami.json("calls", "list", "--tenant", "acme")] == ["CA" + "1" * 32]
    assert len(vami.json("calls", "list", "--agent", agent["provider_agent_id"])) == 1
    assert len(vami.json("calls", "list", "--number", numbers[1])) == 1
    assert len(vami.json("calls", "list", "--status", "in-progress")) == 1
    assert vami.json("calls", "list", "--since", "2026-11-20T10:30:00Z")[0]["number"] == numbers[1]
    assert vami.json("calls", "list", "--until", "2026-11-20T10:30:00Z")[0]["number"] == numbers[0]
    assert len(vami.json("calls", "list", "--limit", "1")) == 1
    bad = vami.run("calls", "list", "--status", "done")
    assert bad.returncode == 2 and "not a call status" in error_line(bad)

    # show, by either id; the transcript only when asked.
    shown = vami.json("calls", "show", "conv_1")
    assert shown == answered and "transcript" not in shown
    with_transcript = vami.json("calls", "show", "CA" + "1" * 32, "--transcript")
    assert with_transcript["transcript"] == [
        {"role": "agent", "message": "Hello, Acme Dental.", "time_in_call_seconds": 0},
        {"role": "user", "message": "I need a cleaning.", "time_in_call_seconds": 3}]
    table = vami.run("calls", "show", "conv_1", "--transcript")
    assert table.returncode == 0
    assert "[3s] user: I need a cleaning." in table.stdout
    missing = vami.run("calls", "show", "CA" + "9" * 32)
    assert missing.returncode == 3 and "no call" in error_line(missing)

    # CSV: free text that a spreadsheet would run is neutralised.
    rows = list(csv.DictReader(io.StringIO(vami.run("calls", "list", "-o", "csv").stdout)))
    assert rows[1]["summary"] == "'=HYPERLINK(\"http://x\") booked a cleaning"
    assert rows[1]["agent_cost_micros"] == "123400"


def test_sync_since_keeps_later_calls_only(vami):
    setup_world(vami)
    report = vami.json("calls", "sync", "--since", "2026-11-20T10:30:00Z")
    assert (report["telephony_calls"], report["conversations"]) == (1, 0)
    assert [c["status"] for c in vami.json("calls", "list")] == ["in-progress"]


def test_sync_against_the_served_sandbox(live, sandbox):
    """The same through HTTP: vami configured like a live account."""
    served = sandbox.process.args[sandbox.process.args.index("--state") + 1]
    setup_world(live, served)
    report = live.json("calls", "sync")
    assert (report["telephony_calls"], report["created"], report["updated"]) == (2, 2, 1)
    assert live.json("calls", "show", "conv_1")["agent_cost_micros"] == 123400


def test_usage_prorates_numbers_and_bills_at_the_rates(vami):
    _, numbers = setup_world(vami)
    vami.json("calls", "sync")
    # Both numbers held from Nov 16: 15 of November's 30 days.
    with sqlite3.connect(vami.db) as db:
        db.execute("UPDATE numbers SET created_at = '2026-11-16T00:00:00Z'")
    price = vami.json("numbers", "show", numbers[0])["monthly_price_micros"]
    half = (price * 15 * 86400 + 30 * 86400 // 2) // (30 * 86400)

    report = vami.json("usage", "--since", "2026-11-01", "--until", "2026-12-01",
                       "--rate-number", "2", "--rate-minute", "0.10")
    assert (report["since"], report["until"], report["by"], report["currency"]) == (
        "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", "tenant", "USD")
    pool, acme = report["rows"]
    assert pool["tenant"] is None and acme["tenant"] == "acme"
    assert acme["numbers"] == 1 and acme["number_months"] == "0.50"
    assert acme["number_cost_micros"] == half
    assert (acme["calls"], acme["seconds"], acme["minutes"]) == (1, 95, 2)
    assert acme["telephony_cost"] == "0.017" and acme["agent_cost"] == "0.1234"
    assert acme["total_cost_micros"] == half + 17000 + 123400
    # 2.00 * 0.5 month + 0.10 * 2 minutes = 1.20
    assert acme["bill"] == "1.20" and acme["bill_micros"] == 1_200_000
    assert acme["margin_micros"] == 1_200_000 - acme["total_cost_micros"]
    assert pool["calls"] == 1 and pool["minutes"] == 0  # the call still in progress
    total = report["total"]
    assert "tenant" not in total
    assert total["number_cost_micros"] == 2 * half
    assert total["bill_micros"] == 2_200_000
    assert total["total_cost_micros"] == 2 * half + 17000 + 123400

    by_number = vami.json("usage", "--since", "2026-11-01", "--until", "2026-12-01",
                          "--by", "number", "--tenant", "acme")
    assert [(r["number"], r["tenant"]) for r in by_number["rows"]] == [(numbers[0], "acme")]
    assert by_number["rows"][0]["bill"] is None

    text = vami.run("usage", "--since", "2026-11-01", "--until", "2026-12-01", "-o", "csv")
    rows = list(csv.DictReader(io.StringIO(text.stdout)))
    assert [r["tenant"] for r in rows] == ["", "acme", "TOTAL"]
    assert rows[2]["total_cost_micros"] == str(total["total_cost_micros"])
    assert rows[2]["currency"] == "USD"

    table = vami.run("usage", "--since", "2026-11-01", "--until", "2026-12-01")
    assert table.returncode == 0 and "TOTAL" in table.stdout and "amounts in USD" in table.stdout

    for bad in (["--rate-minute", "-1"], ["--rate-number", "1.1234567"],
                ["--since", "2026-12-01", "--until", "2026-11-01"], ["--by", "caller"]):
        result = vami.run("usage", *bad)
        assert result.returncode == 2, (bad, result.stderr)
    unknown = vami.run("usage", "--tenant", "nobody")
    assert unknown.returncode == 3


def decimal(micros):
    """Micros as vami writes them: two to six decimals."""
    units, fraction = divmod(abs(micros), 1_000_000)
    digits = ("%06d" % fraction).rstrip("0").ljust(2, "0")
    return "%s%d.%s" % ("-" if micros < 0 else "", units, digits)


def test_usage_bills_each_tenant_at_its_stored_rates_unless_rates_are_given(vami):
    """Two tenants with their own stored rates: each is billed at its own, the margin is the
    bill minus its costs; rates on the command line bill every row instead."""
    create_tenant(vami, "acme", "Acme Dental", "--rate-number", "2.00", "--rate-minute", "0.10")
    agent = create_agent(vami, "acme", "Front Desk")
    create_tenant(vami, "globex", "Globex")
    create_agent(vami, "globex", "Reception")
    numbers = buy_numbers(vami, 2)
    assert vami.run("numbers", "assign", numbers[0], "--agent", "front-desk").returncode == 0
    assert vami.run("numbers", "assign", numbers[1], "--agent", "reception").returncode == 0
    seed_calls(sandbox_db(vami), numbers, agent["provider_agent_id"])
    with sqlite3.connect(sandbox_db(vami)) as db:  # globex: 130 s, so 3 billed minutes
        db.execute(
            "INSERT INTO calls (sid, from_number, to_number, direction, status, start_time, "
            "end_time, duration, price, price_unit, date_created) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            ("CA" + "4" * 32, CALLER, numbers[1], "inbound", "completed", T0 + 7200,
             T0 + 7330, 130, "-0.02550", "USD", T0 + 7200))
    vami.json("calls", "sync")
    with sqlite3.connect(vami.db) as db:  # both held 15 of November's 30 days
        db.execute("UPDATE numbers SET created_at = '2026-11-16T00:00:00Z'")

    rated = vami.json("tenants", "update", "globex", "--rate-number", "3",
                      "--rate-minute", "0.25", "--rate-currency", "USD")
    assert (rated["rate_number"], rated["rate_number_micros"]) == ("3.00", 3_000_000)
    assert (rated["rate_minute"], rated["rate_minute_micros"]) == ("0.25", 250_000)
    assert rated["rate_currency"] == "USD"
    shown = vami.json("tenants", "show", "acme")
    assert (shown["rate_number_micros"], shown["rate_minute_micros"]) == (2_000_000, 100_000)
    assert [t["rate_minute"] for t in vami.json("tenants", "list")] == ["0.10", "0.25"]
    change = [e for e in vami.json("audit") if e["command"] == "tenants update"][-1]
    assert change["entity_id"] == "globex"
    assert change["before"]["rate_number_micros"] is None
    assert change["after"]["rate_number_micros"] == 3_000_000

    period = ("--since", "2026-11-01", "--until", "2026-12-01")
    report = vami.json("usage", *period)
    acme, globex = report["rows"]
    assert (acme["tenant"], globex["tenant"]) == ("acme", "globex")
    assert (acme["number_months"], acme["minutes"]) == ("0.50", 2)
    assert (globex["number_months"], globex["minutes"]) == ("0.50", 3)
    # acme: 2.00 * 0.5 + 0.10 * 2 = 1.20; globex: 3.00 * 0.5 + 0.25 * 3 = 2.25
    assert (acme["bill"], acme["bill_micros"], acme["rates_from"]) == ("1.20", 1_200_000, "tenant")
    assert (globex["bill"], globex["bill_micros"], globex["rates_from"]) == (
        "2.25", 2_250_000, "tenant")
    for row in (acme, globex):
        assert row["margin_micros"] == row["bill_micros"] - row["total_cost_micros"]
        assert row["margin"] == decimal(row["margin_micros"])
    assert globex["telephony_cost_micros"] == 25_500
    assert report["total"]["bill_micros"] == 3_450_000
    assert report["total"]["margin_micros"] == acme["margin_micros"] + globex["margin_micros"]
    assert "rates_from" not in report["total"]

    # A command-line rate wins, for every row; the stored ones are not used at all.
    given = vami.json("usage", *period, "--rate-minute", "1")
    assert [(r["bill_micros"], r["rates_from"]) for r in given["rows"]] == [
        (2_000_000, "options"), (3_000_000, "options")]
    rows = list(csv.DictReader(io.StringIO(vami.run("usage", *period, "-o", "csv").stdout)))
    assert [(r["tenant"], r["bill_micros"], r["rates_from"]) for r in rows] == [
        ("acme", "1200000", "tenant"), ("globex", "2250000", "tenant"), ("TOTAL", "3450000", "")]
    table = vami.run("usage", *period)
    assert table.returncode == 0 and "BILL" in table.stdout.splitlines()[0]

    # 'none' removes one stored rate; the other still bills.
    cleared = vami.json("tenants", "update", "globex", "--rate-number", "none")
    assert cleared["rate_number"] is None and cleared["rate_minute_micros"] == 250_000
    assert vami.json("usage", *period)["rows"][1]["bill_micros"] == 750_000
    both = vami.json("tenants", "update", "globex", "--rate-minute", "none")
    assert both["rate_minute"] is None and both["rate_currency"] is None
    rows = vami.json("usage", *period)["rows"]
    assert rows[1]["bill"] is None and rows[1]["rates_from"] is None

    # An empty or bad value never clears or switches off a rate: exit 2, nothing changes.
    before = vami.json("tenants", "show", "acme")
    for bad in (["--rate-number", ""], ["--rate-minute", ""], ["--rate-minute", "-0.10"],
                ["--rate-number", "1e3"], ["--rate-number", "0x10"], ["--rate-minute", "0,10"],
                ["--rate-currency", ""], ["--rate-currency", "usd"], ["--rate-number", "NONE"]):
        result = vami.run("tenants", "update", "acme", *bad)
        assert result.returncode == 2, (bad, result.stderr)
    assert vami.json("tenants", "show", "acme") == before
    for bad in (["--rate-number", ""], ["--rate-minute", ""], ["--rate-number", "none"]):
        result = vami.run("usage", *period, *bad)
        assert result.returncode == 2, (bad, result.stderr)
    refused = vami.run("tenants", "create", "initech", "--name", "Initech", "--rate-minute", "")
    assert refused.returncode == 2
    assert vami.run("tenants", "show", "initech").returncode == 3

    # A tenant billed in another currency than the costs is named; nothing is added up.
    assert vami.run("tenants", "update", "globex", "--rate-minute", "0.20",
                    "--rate-currency", "EUR").returncode == 0
    mixed = vami.run("usage", *period)
    assert mixed.returncode == 2 and 'tenant "globex" is billed in EUR' in error_line(mixed)
    assert vami.json("usage", *period, "--tenant", "acme")["rows"][0]["bill_micros"] == 1_200_000
