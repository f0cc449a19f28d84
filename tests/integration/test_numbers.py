"""`vami init`, `numbers search|buy|list|show|release` against `vami sandbox serve`."""
import json
import re
import sqlite3
import subprocess
import threading

import pytest

from conftest import VAMI

E164_212 = re.compile(r"^\+1212\d{7}$")


def error_line(result):
    lines = [l for l in result.stderr.splitlines() if l.startswith("vami: error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_version_names_release_and_revision(vami):
    result = vami.run("--version", db=False)
    assert result.returncode == 0
    assert re.match(r"^vami \d+\.\d+\.\d+ \(\S+\)$", result.stdout.strip()), result.stdout


def test_init_on_a_fresh_machine_uses_the_sandbox_and_says_so(vami):
    result = vami.run("init", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["mode"] == "sandbox"
    assert info["schema_version"] >= 1
    assert "sandbox" in result.stderr
    assert vami.db.exists()


def test_default_database_lives_under_xdg_data_home(vami, home):
    result = vami.run("init", db=False)
    assert result.returncode == 0, result.stderr
    assert (home / "data" / "vami" / "vami.db").exists()


def test_in_process_sandbox_keeps_its_account_between_runs(vami):
    assert vami.run("numbers", "buy", "--count", "2", "--area-code", "212", "--yes").returncode == 0
    listed = vami.json("numbers", "list")
    assert len(listed) == 2
    # A second run sees the same account: releasing works against it.
    assert vami.run("numbers", "release", listed[0]["e164"], "--yes").returncode == 0


def test_search_returns_numbers_of_the_area_code_with_their_price(live):
    numbers = live.json("numbers", "search", "--area-code", "212")
    assert 1 <= len(numbers) <= 30
    for number in numbers:
        assert E164_212.match(number["e164"])
        assert number["locality"] == "New York" and number["region"] == "NY"
        assert number["monthly_price"] == "1.15" and number["currency"] == "USD"
    assert len(live.json("numbers", "search", "--area-code", "212", "--limit", "5")) == 5


def test_search_filters_by_region_and_contains(live):
    for number in live.json("numbers", "search", "--region", "ON", "--country", "CA"):
        assert number["region"] == "ON" and number["country"] == "CA"
    for number in live.json("numbers", "search", "--area-code", "212", "--contains", "42$"):
        assert number["e164"].endswith("42")


def test_search_outputs_table_and_csv(live):
    table = live.run("numbers", "search", "--area-code", "212", "--limit", "3")
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["NUMBER", "TYPE", "LOCALITY", "REGION", "MONTHLY"]
    assert len(lines) == 4 and "1.15 USD" in lines[1]
    csv = live.run("numbers", "search", "--area-code", "212", "--limit", "3", "-o", "csv")
    assert csv.stdout.splitlines()[0].startswith("e164,country,type,locality,region")
    assert len(csv.stdout.splitlines()) == 4


def test_buy_fills_the_pool_tags_each_number_and_records_its_cost(live, sandbox):
    report = live.json("numbers", "buy", "--count", "10", "--area-code", "212", "--yes")
    assert report["requested"] == 10 and report["succeeded"] == 10 and report["failed"] == 0
    operation = report["operation_id"]
    owned = sandbox.owned()
    assert len(owned) == 10
    assert {n["friendly_name"] for n in owned} == {f"vami:default:{operation}"}
    rows = live.rows("SELECT e164, status, monthly_price_micros, currency, provider_sid "
                     "FROM numbers ORDER BY e164")
    assert sorted(n["phone_number"] for n in owned) == [r[0] for r in rows]
    assert {(r[1], r[2], r[3]) for r in rows} == {("available", 1150000, "USD")}
    assert {r[4] for r in rows} == {n["sid"] for n in owned}
    assert live.rows("SELECT status, requested_count FROM operations WHERE id = ?",
                     (operation,)) == [("completed", 10)]


def test_list_shows_the_pool_with_monthly_cost_and_total(live):
    assert live.run("numbers", "buy", "--count", "3", "--area-code", "212", "--yes").returncode == 0
    table = live.run("numbers", "list")
    assert table.returncode == 0
    assert table.stdout.splitlines()[0].split()[:3] == ["NUMBER", "STATUS", "TYPE"]
    assert table.stdout.count("1.15 USD") == 3
    assert "3 numbers, 3.45 USD per month" in table.stdout
    listed = live.json("numbers", "list", "--status", "available", "--area-code", "212")
    assert len(listed) == 3
    assert set(listed[0]) >= {"e164", "status", "type", "locality", "region", "tenant", "agent",
                              "monthly_price", "monthly_price_micros", "currency"}
    assert live.json("numbers", "list", "--status", "assigned") == []
    assert live.json("numbers", "list", "--region", "ny") != []
    assert live.json("numbers", "list", "--area-code", "646") == []


def test_list_of_an_empty_pool_is_an_empty_json_array(live):
    result = live.run("numbers", "list", "--json")
    assert result.returncode == 0 and json.loads(result.stdout) == []


def test_dry_run_lists_what_it_would_buy_and_buys_nothing(live, sandbox):
    plan = live.json("numbers", "buy", "--count", "3", "--area-code", "212", "--dry-run")
    assert plan["dry_run"] is True and len(plan["numbers"]) == 3
    assert plan["monthly_total"] == "3.45" and plan["currency"] == "USD"
    assert sandbox.owned() == []
    assert live.rows("SELECT count(*) FROM numbers") == [(0,)]


def test_buy_in_a_script_without_yes_refuses_and_buys_nothing(live, sandbox):
    result = live.run("numbers", "buy", "--count", "2", "--area-code", "212")
    assert result.returncode == 2
    assert "--yes" in error_line(result)
    assert sandbox.owned() == []


def test_buy_gathers_more_than_one_search_worth(live, sandbox):
    report = live.json("numbers", "buy", "--count", "45", "--area-code", "212", "--yes")
    assert report["succeeded"] == 45
    assert len({n["phone_number"] for n in sandbox.owned()}) == 45


def test_buy_refuses_when_too_few_are_for_sale_naming_how_many(live, sandbox):
    result = live.run("numbers", "buy", "--count", "40", "--area-code", "212", "--contains",
                      "42$", "--yes")
    assert result.returncode == 4
    line = error_line(result)
    assert re.search(r"found only \d+ of 40", line) and "area code" in line
    assert sandbox.owned() == []


def test_buy_honours_max_monthly_cost(live, sandbox):
    result = live.run("numbers", "buy", "--count", "1", "--area-code", "212",
                      "--max-monthly-cost", "1.00", "--yes")
    assert result.returncode == 4 and "1.15" in error_line(result)
    assert sandbox.owned() == []
    ok = live.run("numbers", "buy", "--count", "1", "--area-code", "212",
                  "--max-monthly-cost", "1.15", "--yes")
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize("count", ["0", "-3", "abc", "1001", "2.5"])
def test_bad_counts_are_usage_errors_that_change_nothing(live, sandbox, count):
    result = live.run("numbers", "buy", "--count", count, "--area-code", "212", "--yes")
    assert result.returncode == 2, result.stderr
    assert count in error_line(result) or "--count" in error_line(result)
    assert sandbox.owned() == []
    assert result.stdout == ""


@pytest.mark.parametrize("area_code", ["999", "21", "2x2", "416"])
def test_area_codes_not_in_service_are_rejected(live, sandbox, area_code):
    result = live.run("numbers", "buy", "--count", "1", "--area-code", area_code, "--yes")
    assert result.returncode == 2
    assert area_code in error_line(result)
    assert sandbox.owned() == []


def test_show_a_number_and_refuse_bad_or_unknown_ones(live):
    report = live.json("numbers", "buy", "--count", "1", "--area-code", "212", "--yes")
    e164 = report["items"][0]["e164"]
    shown = live.json("numbers", "show", e164)
    assert shown["e164"] == e164 and shown["status"] == "available"
    # What a person types, with spaces and dashes, names the same number.
    spaced = f"+1 ({e164[2:5]}) {e164[5:8]}-{e164[8:]}"
    assert live.json("numbers", "show", spaced)["e164"] == e164

    typo = live.run("numbers", "show", "+1 (212) 555-01O1")
    assert typo.returncode == 2 and "+1 (212) 555-01O1" in error_line(typo)
    unknown = live.run("numbers", "show", "+12125550199")
    assert unknown.returncode == 3 and "+12125550199" in error_line(unknown)


def test_release_gives_the_number_back_and_records_it(live, sandbox):
    report = live.json("numbers", "buy", "--count", "2", "--area-code", "212", "--yes")
    e164 = report["items"][0]["e164"]
    dry = live.run("numbers", "release", e164, "--dry-run")
    assert dry.returncode == 0 and e164 in dry.stdout
    assert len(sandbox.owned()) == 2
    refused = live.run("numbers", "release", e164)
    assert refused.returncode == 2 and len(sandbox.owned()) == 2
    released = live.json("numbers", "release", e164, "--yes")
    assert released["succeeded"] == 1
    assert e164 not in {n["phone_number"] for n in sandbox.owned()}
    assert live.rows("SELECT status FROM numbers WHERE e164 = ?", (e164,)) == [("released",)]
    again = live.run("numbers", "release", e164, "--yes")
    assert again.returncode == 3
    assert live.rows("SELECT count(*) FROM audit_entries WHERE command = 'numbers release'") == [(1,)]


def test_release_refuses_an_assigned_number_and_changes_nothing(live, sandbox):
    report = live.json("numbers", "buy", "--count", "1", "--area-code", "212", "--yes")
    e164 = report["items"][0]["e164"]
    with sqlite3.connect(live.db) as db:
        db.execute("INSERT INTO tenants (slug, name, created_at, updated_at) "
                   "VALUES ('acme', 'Acme', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')")
        db.execute("INSERT INTO agents (tenant_id, slug, name, created_at, updated_at) "
                   "VALUES (1, 'dr-smith', 'Dr Smith', '2026-01-01T00:00:00Z', "
                   "'2026-01-01T00:00:00Z')")
        db.execute("UPDATE numbers SET status = 'assigned', tenant_id = 1, agent_id = 1 "
                   "WHERE e164 = ?", (e164,))
    result = live.run("numbers", "release", e164, "--yes")
    assert result.returncode == 4
    line = error_line(result)
    assert "dr-smith" in line and "acme" in line and "unassign" in line
    assert len(sandbox.owned()) == 1
    assert live.rows("SELECT status FROM numbers WHERE e164 = ?", (e164,)) == [("assigned",)]


def test_release_of_a_number_the_pool_does_not_own_is_not_found(live):
    result = live.run("numbers", "release", "+12125550199", "--yes")
    assert result.returncode == 3 and "+12125550199" in error_line(result)


def test_two_concurrent_buyers_in_one_area_code_never_share_a_number(live, sandbox, tmp_path):
    other_db = tmp_path / "other.db"
    results = [None, None]

    def buy(index, db):
        results[index] = subprocess.run(
            [VAMI, "--db", str(db), "numbers", "buy", "--count", "20", "--area-code", "212",
             "--yes", "--json"], env=live.env, capture_output=True, text=True,
            stdin=subprocess.DEVNULL, timeout=120)

    threads = [threading.Thread(target=buy, args=(0, live.db)),
               threading.Thread(target=buy, args=(1, other_db))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["succeeded"] == 20
    owned = [n["phone_number"] for n in sandbox.owned()]
    assert len(owned) == 40 and len(set(owned)) == 40
