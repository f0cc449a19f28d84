"""Bulk assign / unassign and the journal (`vami operations list|show|resume`) against
`vami sandbox serve`: output, exit codes, the state database and the sandbox afterwards."""
import json
import sqlite3

import pytest

from conftest import buy_numbers, create_agent, create_tenant, error_line, sandbox_imported_numbers


@pytest.fixture
def agent_id(live):
    """Tenant acme with the agent front-desk; its provider id."""
    create_tenant(live, "acme", "Acme Dental")
    return create_agent(live, "acme", "Front Desk")["provider_agent_id"]


def purchases(sandbox):
    """Every number the sandbox account owns, by E.164, with its FriendlyName (the vami tag)."""
    return {n["phone_number"]: n["friendly_name"] for n in sandbox.owned()}


def test_bulk_assign_from_arguments_and_a_file_then_unassign_from_stdin(live, sandbox, agent_id,
                                                                       tmp_path):
    numbers = buy_numbers(live, 5)
    listed = tmp_path / "numbers.txt"
    listed.write_text(f"# front desk overflow\n\n  {numbers[2]}  \n{numbers[3]} # second line\n")
    result = live.run("numbers", "assign", numbers[0], numbers[1], "--from-file", listed,
                      "--agent", "front-desk", "--concurrency", "2", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["requested"] == 4 and report["succeeded"] == 4 and report["failed"] == 0
    assert [item["e164"] for item in report["items"]] == numbers[:4]
    assert all(item["number"]["agent"] == "front-desk" for item in report["items"])
    assert "assigned 4 of 4 numbers (operation " + report["operation_id"] in result.stderr
    assert sandbox_imported_numbers(sandbox) == {e164: agent_id for e164 in numbers[:4]}
    assert live.rows("SELECT e164 FROM numbers WHERE status = 'assigned' ORDER BY e164") == [
        (e164,) for e164 in numbers[:4]]

    shown = live.json("operations", "show", report["operation_id"])
    assert shown["kind"] == "assign" and shown["status"] == "completed"
    assert shown["requested"] == 4 and shown["succeeded"] == 4
    assert shown["parameters"]["agent"] == "front-desk"
    assert sorted((i["e164"], i["outcome"]) for i in shown["items"]) == [
        (e164, "succeeded") for e164 in numbers[:4]]  # in the order they settled
    assert shown["not_started"] == []

    # Standard input, with a number that is not assigned: that one fails, the rest carry on.
    result = live.run("numbers", "unassign", "--from-file", "-", "--json",
                      input="\n".join(numbers[:4] + [numbers[4]]) + "\n")
    assert result.returncode == 7, result.stderr
    report = json.loads(result.stdout)
    assert report["succeeded"] == 4 and report["failed"] == 1
    failed = [item for item in report["items"] if item["result"] == "failed"]
    assert [(i["e164"], i["error_kind"]) for i in failed] == [(numbers[4], "conflict")]
    assert "not assigned" in failed[0]["message"]
    assert live.rows("SELECT count(*) FROM numbers WHERE status = 'available'") == [(5,)]
    assert set(sandbox_imported_numbers(sandbox).values()) == {None}
    assert live.rows("SELECT kind, status FROM operations WHERE id = ?",
                     (report["operation_id"],)) == [("unassign", "partial")]


def test_bulk_assign_carries_on_past_failures_and_exits_7(live, sandbox, agent_id):
    numbers = buy_numbers(live, 2)
    outsider = "+12125550199"
    assert outsider not in numbers
    result = live.run("numbers", "assign", numbers[0], outsider, numbers[1],
                      "--agent", "front-desk", "--json")
    assert result.returncode == 7, result.stderr
    report = json.loads(result.stdout)
    assert [(i["e164"], i["result"]) for i in report["items"]] == [
        (numbers[0], "succeeded"), (outsider, "failed"), (numbers[1], "succeeded")]
    assert report["items"][1]["error_kind"] == "not_found"
    assert "1 failed" in result.stderr
    assert sandbox_imported_numbers(sandbox) == {numbers[0]: agent_id, numbers[1]: agent_id}
    listed = live.json("operations", "list", "--kind", "assign")
    assert [(o["status"], o["succeeded"], o["failed"]) for o in listed] == [("partial", 2, 1)]


def test_single_number_assign_keeps_its_output_and_journals_nothing(live, sandbox, agent_id):
    (e164,) = buy_numbers(live, 1)
    assigned = live.json("numbers", "assign", e164, "--agent", "front-desk")
    assert assigned["e164"] == e164 and assigned["agent"] == "front-desk"
    assert live.rows("SELECT kind FROM operations ORDER BY created_at") == [("buy",)]


def test_bulk_commands_refuse_bad_input_before_journaling_anything(live, sandbox, agent_id,
                                                                   tmp_path):
    numbers = buy_numbers(live, 2)
    before = live.rows("SELECT count(*) FROM operations")
    bad = live.run("numbers", "assign", numbers[0], "+1 (212) 555-01O1", "--agent", "front-desk")
    assert bad.returncode == 2 and "555-01O1" in error_line(bad)
    missing = live.run("numbers", "assign", "--from-file", tmp_path / "absent.txt",
                       "--agent", "front-desk")
    assert missing.returncode == 2 and "absent.txt" in error_line(missing)
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n\n")
    nothing = live.run("numbers", "unassign", "--from-file", empty)
    assert nothing.returncode == 2 and "lists no number" in error_line(nothing)
    unknown_agent = live.run("numbers", "assign", *numbers, "--agent", "nobody")
    assert unknown_agent.returncode == 3, unknown_agent.stderr
    too_many = live.run("numbers", "unassign", *numbers, "--concurrency", "65")
    assert too_many.returncode == 2 and "--concurrency" in error_line(too_many)
    assert live.rows("SELECT count(*) FROM operations") == before
    assert sandbox_imported_numbers(sandbox) == {}


def test_progress_goes_to_stderr_and_stdout_holds_only_the_result(live, sandbox, agent_id):
    numbers = buy_numbers(live, 3)
    result = live.run("--progress", "always", "numbers", "assign", *numbers,
                      "--agent", "front-desk", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["succeeded"] == 3
    assert "assigning 3/3" in result.stderr
    never = live.run("--progress", "never", "numbers", "unassign", *numbers, "--json")
    assert never.returncode == 0, never.stderr
    assert "unassigning" not in never.stderr and "\r" not in never.stderr


def test_operations_list_and_show(live, sandbox):
    numbers = buy_numbers(live, 3)
    released = live.json("numbers", "release", numbers[0], "--yes")
    operations = live.json("operations", "list")
    assert [(o["kind"], o["status"], o["requested"], o["succeeded"]) for o in operations] == [
        ("release", "completed", 1, 1), ("buy", "completed", 3, 3)]
    assert operations[0]["id"] == released["operation_id"]
    assert all(o["actor"] and o["created_at"] and o["finished_at"] for o in operations)
    assert [o["kind"] for o in live.json("operations", "list", "--kind", "buy")] == ["buy"]
    assert live.json("operations", "list", "--status", "interrupted") == []
    assert len(live.json("operations", "list", "--limit", "1")) == 1

    buy = operations[1]
    shown = live.json("operations", "show", buy["id"])
    assert shown["parameters"]["count"] == 3 and shown["parameters"]["area_codes"] == ["212"]
    assert sorted(i["e164"] for i in shown["items"]) == numbers
    assert {i["outcome"] for i in shown["items"]} == {"succeeded"}

    table = live.run("operations", "show", buy["id"])
    assert table.returncode == 0, table.stderr
    assert buy["id"] in table.stdout and "OUTCOME" in table.stdout
    assert all(e164 in table.stdout for e164 in numbers)
    listing = live.run("operations", "list")
    assert listing.stdout.splitlines()[0].split()[:3] == ["ID", "KIND", "STATUS"]

    unknown = live.run("operations", "show", "op-000000000000")
    assert unknown.returncode == 3 and "op-000000000000" in error_line(unknown)
    bad_kind = live.run("operations", "list", "--kind", "lunch")
    assert bad_kind.returncode == 2


def test_resume_of_a_completed_operation_does_nothing(live, sandbox):
    numbers = buy_numbers(live, 2)
    operation_id = live.rows("SELECT id FROM operations")[0][0]
    owned = purchases(sandbox)
    result = live.run("operations", "resume", operation_id, "--yes", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["already_complete"] is True and report["items"] == []
    assert report["done_before"] == 2
    assert "already completed" in result.stderr and "nothing to do" in result.stderr
    assert purchases(sandbox) == owned and sorted(owned) == numbers
    assert live.rows("SELECT status FROM operations") == [("completed",)]


def test_resume_refuses_unknown_ids_and_kinds_that_cannot_be_resumed(live, sandbox):
    unknown = live.run("operations", "resume", "op-123456789abc", "--yes")
    assert unknown.returncode == 3 and "op-123456789abc" in error_line(unknown)
    buy_numbers(live, 1)
    assert live.run("reconcile", "--apply").returncode == 0
    reconcile_id = live.rows("SELECT id FROM operations WHERE kind = 'reconcile'")[0][0]
    refused = live.run("operations", "resume", reconcile_id, "--yes")
    assert refused.returncode == 2 and "cannot be resumed" in error_line(refused)


def test_resume_buys_the_rest_of_a_purchase_into_the_same_operation(live, sandbox):
    """A purchase that stopped short (as a crash leaves it: operation `running`, fewer numbers
    than asked) is finished to exactly its count, with the same tag, and only after the pool
    rows it left in flight are settled at the provider."""
    first = live.json("numbers", "buy", "--count", "3", "--area-code", "212", "--yes")
    operation_id = first["operation_id"]
    # What a kill -9 mid-way looks like to the journal: 5 asked for, 3 bought, one intent row
    # whose request never reached the provider, and the operation still running.
    with sqlite3.connect(live.db) as db:
        db.execute("UPDATE operations SET status = 'running', requested_count = 5, "
                   "finished_at = NULL WHERE id = ?", (operation_id,))
        db.execute("INSERT INTO numbers (e164, provider, country, number_type, status, "
                   "friendly_name, operation_id, created_at, updated_at) VALUES "
                   "('+14155550188', 'twilio', 'US', 'local', 'purchasing', ?, ?, "
                   "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                   (f"vami:default:{operation_id}", operation_id))
    refused = live.run("operations", "resume", operation_id)
    assert refused.returncode == 2 and "--yes" in error_line(refused)

    result = live.run("operations", "resume", operation_id, "--yes", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["operation_id"] == operation_id
    assert report["done_before"] == 3 and report["settled"] == 1
    assert report["requested"] == 2 and report["succeeded"] == 2
    assert "3 of 5 numbers bought" in result.stderr

    owned = purchases(sandbox)
    assert len(owned) == 5
    assert set(owned.values()) == {f"vami:default:{operation_id}"}
    assert "+14155550188" not in owned
    assert live.rows("SELECT count(*) FROM numbers WHERE operation_id = ? AND status = "
                     "'available'", (operation_id,)) == [(5,)]
    assert live.rows("SELECT count(*) FROM numbers WHERE status = 'purchasing'") == [(0,)]
    assert live.rows("SELECT count(*), status FROM operations") == [(1, "completed")]
    shown = live.json("operations", "show", operation_id)
    assert shown["succeeded"] == 5 and shown["failed"] == 1  # the settled intent
    again = live.run("operations", "resume", operation_id, "--yes", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["already_complete"] is True
    assert len(purchases(sandbox)) == 5
