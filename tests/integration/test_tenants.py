"""`vami tenants create|list|show|update|delete` against `vami sandbox serve`."""
import json

from conftest import (buy_numbers, create_agent, create_tenant, database_state, error_line,
                      sandbox_agent, sandbox_documents, sandbox_imported_numbers, world_state)


def test_create_records_every_field_and_list_shows_it(live):
    created = create_tenant(live, "acme-dental", "Acme Dental", "--industry", "dental",
                            "--contact-name", "Ann Smith", "--contact-email", "ann@acme.example")
    assert created["slug"] == "acme-dental" and created["name"] == "Acme Dental"
    assert created["industry"] == "dental" and created["contact_name"] == "Ann Smith"
    assert created["contact_email"] == "ann@acme.example"
    assert live.rows("SELECT slug, name, industry, contact_name, contact_email FROM tenants") == [
        ("acme-dental", "Acme Dental", "dental", "Ann Smith", "ann@acme.example")]
    create_tenant(live, "bravo-law", "Bravo Law")

    listed = live.json("tenants", "list")
    assert [t["slug"] for t in listed] == ["acme-dental", "bravo-law"]
    assert listed[1]["industry"] is None and listed[1]["contact_email"] is None
    table = live.run("tenants", "list")
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["SLUG", "NAME", "INDUSTRY"]
    assert lines[1].startswith("acme-dental") and "ann@acme.example" in lines[1]


def test_list_of_no_tenants_is_an_empty_json_array(live):
    result = live.run("tenants", "list", "--json")
    assert result.returncode == 0 and json.loads(result.stdout) == []


def test_show_lists_agents_numbers_and_monthly_cost(live):
    create_tenant(live, "acme", "Acme Dental")
    agent = create_agent(live, "acme", "Front Desk")
    first, second, _spare = buy_numbers(live, 3)
    for e164 in (first, second):
        assert live.run("numbers", "assign", e164, "--agent", "front-desk").returncode == 0

    shown = live.json("tenants", "show", "acme")
    assert shown["slug"] == "acme"
    assert [a["slug"] for a in shown["agents"]] == ["front-desk"]
    assert shown["agents"][0]["provider_agent_id"] == agent["provider_agent_id"]
    assert sorted(n["e164"] for n in shown["numbers"]) == [first, second]
    assert {n["agent"] for n in shown["numbers"]} == {"front-desk"}
    assert shown["monthly_cost"] == [{"micros": 2_300_000, "currency": "USD"}]

    table = live.run("tenants", "show", "acme")
    assert table.returncode == 0
    assert "Agents (1)" in table.stdout and "Numbers (2)" in table.stdout
    assert "Monthly cost: 2.30 USD" in table.stdout
    assert first in table.stdout and agent["provider_agent_id"] in table.stdout


def test_show_of_a_tenant_without_numbers_costs_nothing(live):
    create_tenant(live, "acme")
    shown = live.json("tenants", "show", "acme")
    assert shown["agents"] == [] and shown["numbers"] == [] and shown["monthly_cost"] == []


def test_update_changes_only_the_given_fields(live):
    create_tenant(live, "acme", "Acme", "--industry", "dental", "--contact-email", "a@acme.example")
    updated = live.json("tenants", "update", "acme", "--name", "Acme Dental Care",
                        "--contact-name", "Bob")
    assert updated["name"] == "Acme Dental Care" and updated["contact_name"] == "Bob"
    assert updated["industry"] == "dental" and updated["contact_email"] == "a@acme.example"
    assert live.rows("SELECT name, industry, contact_name FROM tenants") == [
        ("Acme Dental Care", "dental", "Bob")]


def test_update_with_nothing_to_change_or_a_bad_email_changes_nothing(live):
    create_tenant(live, "acme", "Acme")
    before = database_state(live)
    nothing = live.run("tenants", "update", "acme")
    assert nothing.returncode == 2 and "nothing to change" in error_line(nothing)
    bad = live.run("tenants", "update", "acme", "--contact-email", "not an email")
    assert bad.returncode == 2 and "not an email" in error_line(bad)
    assert database_state(live) == before


def test_delete_removes_agents_and_documents_at_the_provider_and_returns_numbers(live, sandbox):
    create_tenant(live, "acme", "Acme")
    create_tenant(live, "other", "Other")
    front = create_agent(live, "acme", "Front Desk")
    back = create_agent(live, "acme", "Back Office")
    keeper = create_agent(live, "other", "Keeper")
    added = live.json("kb", "add", "front-desk", "--text", "Opening hours: 9 to 17")
    document_id = added[0]["id"]
    kept_document = live.json("kb", "add", "keeper", "--text", "We sell shoes")[0]["id"]
    first, second, other_number = buy_numbers(live, 3)
    assert live.run("numbers", "assign", first, "--agent", "front-desk").returncode == 0
    assert live.run("numbers", "assign", second, "--agent", "back-office").returncode == 0
    assert live.run("numbers", "assign", other_number, "--agent", "keeper").returncode == 0

    removal = live.json("tenants", "delete", "acme", "--yes")
    assert removal["slug"] == "acme"
    assert sorted(removal["agents_deleted"]) == ["back-office", "front-desk"]
    assert sorted(removal["numbers_returned"]) == [first, second]
    assert removal["numbers_released"] == []

    # At the provider: the tenant's agents and documents are gone, the other tenant's are not.
    assert sandbox_agent(sandbox, front["provider_agent_id"]) is None
    assert sandbox_agent(sandbox, back["provider_agent_id"]) is None
    assert sandbox_agent(sandbox, keeper["provider_agent_id"]) is not None
    assert sandbox_documents(sandbox) == [kept_document]
    imported = sandbox_imported_numbers(sandbox)
    assert imported.get(first) is None and imported.get(second) is None
    assert imported[other_number] == keeper["provider_agent_id"]
    # Locally: the numbers are back in the pool and still owned; nothing of acme is left.
    assert live.rows("SELECT e164, status, tenant_id, agent_id FROM numbers ORDER BY e164") == [
        (first, "available", None, None), (second, "available", None, None),
        (other_number, "assigned", 2, 3)]
    assert {n["phone_number"] for n in sandbox.owned()} == {first, second, other_number}
    assert live.rows("SELECT slug FROM tenants") == [("other",)]
    assert live.rows("SELECT slug FROM agents") == [("keeper",)]
    assert live.rows("SELECT provider_document_id FROM documents") == [(kept_document,)]
    assert document_id not in sandbox_documents(sandbox)
    shown = live.run("tenants", "show", "acme")
    assert shown.returncode == 3


def test_delete_with_release_numbers_releases_them_to_the_provider(live, sandbox):
    create_tenant(live, "acme", "Acme")
    agent = create_agent(live, "acme", "Front Desk")
    first, second = buy_numbers(live, 2)
    assert live.run("numbers", "assign", first, "--agent", "front-desk").returncode == 0

    removal = live.json("tenants", "delete", "acme", "--release-numbers", "--yes")
    assert removal["numbers_released"] == [first] and removal["numbers_returned"] == []
    assert [n["phone_number"] for n in sandbox.owned()] == [second]
    assert live.rows("SELECT e164, status FROM numbers ORDER BY e164") == [
        (first, "released"), (second, "available")]
    assert sandbox_agent(sandbox, agent["provider_agent_id"]) is None
    assert live.rows("SELECT count(*) FROM tenants") == [(0,)]


def test_delete_without_yes_in_a_script_or_as_a_dry_run_changes_nothing(live, sandbox):
    create_tenant(live, "acme", "Acme")
    create_agent(live, "acme", "Front Desk")
    (e164,) = buy_numbers(live, 1)
    assert live.run("numbers", "assign", e164, "--agent", "front-desk").returncode == 0
    before = world_state(live, sandbox)

    refused = live.run("tenants", "delete", "acme")
    assert refused.returncode == 2 and "--yes" in error_line(refused)
    dry = live.run("tenants", "delete", "acme", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "front-desk" in dry.stdout and e164 in dry.stdout
    assert world_state(live, sandbox) == before


BAD_SLUGS = [
    ("acme dental", "contains a space"),
    ("Acme", "upper-case"),
    ("ACME-DENTAL", "upper-case"),
    ("acme-", "'-'"),
    ("acme_dental", "not a lower-case letter"),
    ("a" * 64, "longer than 63"),
]


def test_bad_slugs_are_refused_and_change_nothing(live, sandbox):
    create_tenant(live, "existing")
    before = world_state(live, sandbox)
    for slug, why in BAD_SLUGS:
        result = live.run("tenants", "create", slug, "--name", "Acme")
        assert result.returncode == 2, (slug, result.stderr)
        line = error_line(result)
        assert slug in line and why in line, line
        assert result.stdout == ""
    assert world_state(live, sandbox) == before


def test_bad_fields_are_refused_and_change_nothing(live):
    for flags in (["--name", ""], ["--name", "   "], ["--name", "x" * 121],
                  ["--name", "Acme", "--contact-email", "ann.example.com"],
                  ["--name", "Acme", "--contact-email", "ann @acme.example"]):
        result = live.run("tenants", "create", "acme", *flags)
        assert result.returncode == 2, (flags, result.stderr)
        error_line(result)
    assert database_state(live).get("tenants", []) == []


def test_duplicate_slug_is_a_conflict_that_keeps_the_first(live):
    create_tenant(live, "acme", "Acme Dental")
    before = database_state(live)
    result = live.run("tenants", "create", "acme", "--name", "Acme Legal")
    assert result.returncode == 4
    line = error_line(result)
    assert "acme" in line and "already exists" in line
    assert database_state(live) == before


def test_unknown_tenants_are_not_found_and_change_nothing(live, sandbox):
    create_tenant(live, "acme")
    before = world_state(live, sandbox)
    for command in (["tenants", "show", "ghost"], ["tenants", "update", "ghost", "--name", "G"],
                    ["tenants", "delete", "ghost", "--yes"],
                    ["tenants", "delete", "ghost", "--dry-run"]):
        result = live.run(*command)
        assert result.returncode == 3, (command, result.stderr)
        assert '"ghost"' in error_line(result)
    assert world_state(live, sandbox) == before
