"""Tenants on their own accounts (issue 12 item 5): `tenants create|update --profile NAME`
ties a tenant to the voice-agent accounts of a profile; the state database, the audit trail and
every output hold the profile's name, never its keys."""
import json

from conftest import create_agent, create_tenant, error_line

# The tenant account's ElevenLabs key: a canary no output, database row or audit entry may show.
OWN_KEY = "canary-acme-own-eleven-2f9c41d7b8e3"


def add_own_profile(vami, sandbox, name="acme-own"):
    """A profile holding only a voice-agent key, pointed at the served sandbox."""
    result = vami.run("profiles", "add", name, "--from-env", "--elevenlabs-base-url",
                      sandbox.exports["VAMI_ELEVENLABS_BASE_URL"],
                      env={"ELEVENLABS_API_KEY": OWN_KEY, "SYNTHFLOW_WORKSPACE_ID": ""})
    assert result.returncode == 0, result.stderr
    assert OWN_KEY not in result.stdout + result.stderr


def dump_database(vami):
    return json.dumps([vami.rows(f"SELECT * FROM {table}")
                       for table in ("tenants", "agents", "audit_entries")])


def test_a_tenant_is_tied_to_a_profile_by_name_and_back(live, sandbox):
    add_own_profile(live, sandbox)
    created = create_tenant(live, "acme", "Acme Dental", "--profile", "acme-own")
    assert created["account_profile"] == "acme-own"
    assert live.rows("SELECT account_profile FROM tenants") == [("acme-own",)]
    listed = live.run("tenants", "list")
    assert "PROFILE" in listed.stdout.splitlines()[0] and "acme-own" in listed.stdout
    shown = live.json("tenants", "show", "acme")
    assert shown["account_profile"] == "acme-own"

    create_tenant(live, "bravo", "Bravo Law")
    assert live.json("tenants", "list")[1]["account_profile"] is None
    moved = live.run("tenants", "update", "bravo", "--profile", "acme-own", "--json")
    assert moved.returncode == 0, moved.stderr
    assert json.loads(moved.stdout)["account_profile"] == "acme-own"
    back = live.run("tenants", "update", "bravo", "--no-profile", "--json")
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["account_profile"] is None

    # The audit trail names the profile, never its key.
    audit = live.run("audit", "--json")
    assert audit.returncode == 0, audit.stderr
    assert "acme-own" in audit.stdout and OWN_KEY not in audit.stdout
    assert OWN_KEY not in dump_database(live)


def test_the_global_profile_before_the_subcommand_still_chooses_the_commands_own(live, sandbox):
    add_own_profile(live, sandbox)
    create_tenant(live, "acme")
    # Before the subcommand: the command's profile (it must exist); after it: the tenant's.
    unknown = live.run("--profile", "nowhere", "tenants", "update", "acme", "--profile",
                       "acme-own")
    assert unknown.returncode == 3 and "no profile 'nowhere'" in error_line(unknown)
    result = live.run("--profile", "acme-own", "tenants", "update", "acme", "--industry",
                      "dental", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["account_profile"] is None


def test_a_missing_profile_or_one_without_voice_agent_keys_is_refused(live, sandbox):
    create_tenant(live, "acme")
    missing = live.run("tenants", "update", "acme", "--profile", "acme-own")
    assert missing.returncode == 3
    assert "no profile 'acme-own'" in error_line(missing)
    assert "vami profiles add acme-own" in error_line(missing)
    twilio_only = live.run("profiles", "add", "phones", "--from-env",
                           "--twilio-account-sid", sandbox.account_sid,
                           env={"TWILIO_AUTH_TOKEN": sandbox.auth_token, "ELEVENLABS_API_KEY": "",
                                "SYNTHFLOW_WORKSPACE_ID": "", "SYNTHFLOW_API_KEY": ""})
    assert twilio_only.returncode == 0, twilio_only.stderr
    keyless = live.run("tenants", "create", "bravo", "--name", "Bravo", "--profile", "phones")
    assert keyless.returncode == 2
    assert "profile 'phones' holds no voice-agent credentials" in error_line(keyless)
    both = live.run("tenants", "update", "acme", "--profile", "phones", "--no-profile")
    assert both.returncode == 2
    assert live.rows("SELECT account_profile FROM tenants") == [(None,)]
    assert [t["slug"] for t in live.json("tenants", "list")] == ["acme"]


def test_the_profile_cannot_change_while_agents_live_in_the_old_account(live, sandbox):
    add_own_profile(live, sandbox)
    create_tenant(live, "acme")
    create_agent(live, "acme", "Front Desk")
    refused = live.run("tenants", "update", "acme", "--profile", "acme-own")
    assert refused.returncode == 4
    line = error_line(refused)
    assert "tenant \"acme\" has 1 agent in the platform's accounts" in line, line
    assert "delete its agents first" in line, line
    assert live.rows("SELECT account_profile FROM tenants") == [(None,)]


# --- A tenant's agents in its own account: a second served sandbox is that account. ----------

def test_a_tenant_on_its_own_account_never_touches_the_platforms(tmp_path, home, live, sandbox):
    from conftest import Sandbox, sandbox_agent, sandbox_agents, buy_numbers
    own = Sandbox(tmp_path / "acme-account.db", {**live.env})
    try:
        assert own.exports["ELEVENLABS_API_KEY"] != sandbox.exports["ELEVENLABS_API_KEY"]
        added = live.run(
            "profiles", "add", "acme-own", "--from-env",
            "--elevenlabs-base-url", own.exports["VAMI_ELEVENLABS_BASE_URL"],
            "--synthflow-base-url", own.exports["VAMI_SYNTHFLOW_BASE_URL"],
            env={"ELEVENLABS_API_KEY": own.exports["ELEVENLABS_API_KEY"],
                 "SYNTHFLOW_API_KEY": own.exports["SYNTHFLOW_API_KEY"],
                 "SYNTHFLOW_WORKSPACE_ID": own.exports["SYNTHFLOW_WORKSPACE_ID"]})
        assert added.returncode == 0, added.stderr
        create_tenant(live, "acme", "Acme Dental", "--profile", "acme-own")
        create_tenant(live, "bravo", "Bravo Law")
        acme = create_agent(live, "acme", "Front Desk")
        bravo = create_agent(live, "bravo", "Bravo Desk")
        for args in (["kb", "add", "front-desk", "--text", "Open 9 to 5.", "--name", "hours"],
                     ["agents", "update", "front-desk", "--first-message", "Hello, Acme!"]):
            result = live.run(*args)
            assert result.returncode == 0, result.stderr
        (acme_document,) = [d["id"] for d in live.json("kb", "list", "front-desk")]

        # acme's agent is in its own account only; bravo's in the platform's only.
        own_ids = {agent["agent_id"] for agent in sandbox_agents(own)}
        platform_ids = {agent["agent_id"] for agent in sandbox_agents(sandbox)}
        assert acme["provider_agent_id"] in own_ids
        assert acme["provider_agent_id"] not in platform_ids
        assert bravo["provider_agent_id"] in platform_ids
        assert bravo["provider_agent_id"] not in own_ids
        assert sandbox_agent(own, acme["provider_agent_id"])["conversation_config"]["agent"][
            "first_message"] == "Hello, Acme!"

        # Routed by webhook, a pool number of the platform's Twilio reaches acme's agent.
        (number,) = buy_numbers(live, 1)
        assigned = live.run("--router-url", "https://router.example.com/twilio/voice",
                            "numbers", "assign", number, "--agent", "front-desk", "--mode",
                            "webhook")
        assert assigned.returncode == 0, assigned.stderr

        # Reconcile reads both accounts: nothing is a ghost of one or an orphan of the other.
        # (No router runs here: reconcile says so, exit 4, beside its findings.)
        result = live.run("--router-url", "https://router.example.com/twilio/voice",
                          "reconcile", "--json")
        assert "1 number, 2 agents and 1 document in sync" in result.stderr, result.stderr
        report = json.loads(result.stdout)
        kinds = {finding["kind"] for finding in report["findings"]}
        assert kinds <= {"in_sync"}, report["findings"]

        # Deleting the tenant deletes its agent in its own account.
        unassigned = live.run("numbers", "unassign", number)
        assert unassigned.returncode == 0, unassigned.stderr
        deleted = live.run("tenants", "delete", "acme", "--yes")
        assert deleted.returncode == 0, deleted.stderr
        assert sandbox_agent(own, acme["provider_agent_id"]) is None
        assert sandbox_agent(sandbox, bravo["provider_agent_id"]) is not None

        # What each account was sent, from the sandboxes' request logs (complete once they
        # stopped: a running sandbox writes its log in batches, every 0.1 s).
        own.stop()
        sandbox.stop()
        check_request_logs(live, platform=(sandbox, tmp_path / "served-sandbox.db"),
                           tenant=(own, tmp_path / "acme-account.db"),
                           acme_ids=[acme["provider_agent_id"], acme_document],
                           bravo_id=bravo["provider_agent_id"])
    finally:
        own.stop()


ELLIPSIS = "\u2026"


def masks(exports):
    """How the request log shows a sandbox account's keys (xi-api-key, Bearer, Basic SID)."""
    return {"elevenlabs": "xi-api-key " + ELLIPSIS + exports["ELEVENLABS_API_KEY"][-4:],
            "synthflow": "Bearer " + ELLIPSIS + exports["SYNTHFLOW_API_KEY"][-4:],
            "twilio": "AC" + ELLIPSIS + exports["TWILIO_ACCOUNT_SID"][-4:]}


def request_log(vami, state):
    result = vami.run("sandbox", "requests", "--state", state, "--limit", 0, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def misdirected(platform_log, tenant_log, platform_keys, tenant_keys):
    """The requests that carried one account's key to the other account's sandbox."""
    return ([("platform", r) for r in platform_log if r["credential"] in tenant_keys.values()]
            + [("tenant", r) for r in tenant_log if r["credential"] in platform_keys.values()])


def logs_and_keys(vami, platform, tenant):
    (platform_sandbox, platform_state), (tenant_sandbox, tenant_state) = platform, tenant
    platform_keys, tenant_keys = masks(platform_sandbox.exports), masks(tenant_sandbox.exports)
    # Masks that could not tell the accounts apart would prove nothing (1 in 65536 runs).
    assert not set(platform_keys.values()) & set(tenant_keys.values()), (platform_keys,
                                                                         tenant_keys)
    return (request_log(vami, platform_state), request_log(vami, tenant_state), platform_keys,
            tenant_keys)


def about(log, ids):
    return [row for row in log if any(i in row["path"] for i in ids)]


def check_request_logs(vami, platform, tenant, acme_ids, bravo_id):
    """The platform's sandbox never saw the tenant's keys nor a request about the tenant's
    agent or document; the tenant's sandbox saw those requests, each with the tenant's own keys
    only (the platform's keys never). test_the_request_log_checks_catch_a_key_sent_to_the_
    wrong_account shows the key checks fail when a key goes to the wrong account."""
    platform_log, tenant_log, platform_keys, tenant_keys = logs_and_keys(vami, platform, tenant)
    assert misdirected(platform_log, tenant_log, platform_keys, tenant_keys) == []
    assert about(platform_log, acme_ids) == []
    # ... while the same look finds the platform's own traffic there: had acme's requests
    # gone to the platform, they would have been found.
    assert any(r["credential"] == platform_keys["elevenlabs"] for r in platform_log)
    assert about(platform_log, [bravo_id]) and about(tenant_log, [bravo_id]) == []

    # Every request about acme's agent and document reached its own account with its own key:
    # the agent read, updated and deleted, the document added.
    acme_requests = about(tenant_log, acme_ids)
    assert {r["method"] for r in acme_requests} >= {"GET", "PATCH", "DELETE"}, acme_requests
    # All answered 2xx, up to the agent's deletion (after it, this test's own look finds none).
    deleted = next(i for i, r in enumerate(acme_requests) if r["method"] == "DELETE"
                   and r["path"].endswith(acme_ids[0]))
    assert all(r["status"] < 300 for r in acme_requests[:deleted + 1]), acme_requests
    created = [r for r in tenant_log if r["path"] == "/v1/convai/agents/create"]
    assert [r["status"] for r in created] == [200], created
    for row in tenant_log:
        if row["provider"] in ("elevenlabs", "synthflow"):
            assert row["credential"] == tenant_keys[row["provider"]], row
        else:  # Twilio stays the platform's: nothing of it goes to the tenant's account
            assert False, f"a {row['provider']} request reached the tenant's account: {row}"


def test_the_request_log_checks_catch_a_key_sent_to_the_wrong_account(tmp_path, live, sandbox):
    """`check_request_logs` can fail: a tenant profile that holds the platform's key (or points
    the tenant's key at the platform's sandbox) shows in the logs, and the check says so."""
    import pytest
    from conftest import Sandbox
    own = Sandbox(tmp_path / "acme-account.db", {**live.env})
    try:
        create_tenant(live, "bravo", "Bravo Law")
        bravo = create_agent(live, "bravo", "Bravo Desk")
        # The platform's key sent to the tenant's account, then the tenant's key to the
        # platform's: each agent creation is refused (401), and logged.
        for name, key, base in (("wrong-key", sandbox.exports["ELEVENLABS_API_KEY"], own),
                                ("wrong-account", own.exports["ELEVENLABS_API_KEY"], sandbox)):
            added = live.run("profiles", "add", name, "--from-env", "--elevenlabs-base-url",
                             base.exports["VAMI_ELEVENLABS_BASE_URL"],
                             env={"ELEVENLABS_API_KEY": key, "SYNTHFLOW_WORKSPACE_ID": ""})
            assert added.returncode == 0, added.stderr
            create_tenant(live, name, name, "--profile", name)
            created = live.run("agents", "create", "--tenant", name, "--name", name + " desk")
            assert created.returncode == 5, created.stderr
        own.stop()
        sandbox.stop()
        platform_log, tenant_log, platform_keys, tenant_keys = logs_and_keys(
            live, (sandbox, tmp_path / "served-sandbox.db"), (own, tmp_path / "acme-account.db"))
        wrong = misdirected(platform_log, tenant_log, platform_keys, tenant_keys)
        assert [(side, r["method"], r["path"], r["status"]) for side, r in wrong] == [
            ("platform", "POST", "/v1/convai/agents/create", 401),
            ("tenant", "POST", "/v1/convai/agents/create", 401)], wrong
        with pytest.raises(AssertionError):
            check_request_logs(live, platform=(sandbox, tmp_path / "served-sandbox.db"),
                               tenant=(own, tmp_path / "acme-account.db"), acme_ids=["none"],
                               bravo_id=bravo["provider_agent_id"])
    finally:
        own.stop()


def test_voices_of_a_tenant_come_from_its_own_account(tmp_path, live, sandbox):
    """`voices list --tenant SLUG` lists the voices of the tenant's account; `agents create
    --voice` for that tenant resolves the voice there too, never at the platform's account."""
    from conftest import Sandbox
    own = Sandbox(tmp_path / "acme-account.db", {**live.env})
    try:
        added = live.run("profiles", "add", "platform", "--from-env")
        assert added.returncode == 0, added.stderr
        added = live.run("profiles", "add", "acme-own", "--from-env", "--elevenlabs-base-url",
                         own.exports["VAMI_ELEVENLABS_BASE_URL"],
                         env={"ELEVENLABS_API_KEY": own.exports["ELEVENLABS_API_KEY"],
                              "SYNTHFLOW_WORKSPACE_ID": ""})
        assert added.returncode == 0, added.stderr
        create_tenant(live, "acme", "Acme Dental", "--profile", "acme-own")
        create_tenant(live, "bravo", "Bravo Law")
        voices = live.json("voices", "list", "--tenant", "acme")
        assert "Rachel" in [v["name"] for v in voices], voices
        assert live.json("voices", "list", "--tenant", "bravo") == live.json("voices", "list")
        unknown = live.run("voices", "list", "--tenant", "nobody")
        assert unknown.returncode == 3, unknown.stderr
        create_agent(live, "acme", "Acme Desk", "--voice", "Rachel")
    finally:
        own.stop()
        sandbox.stop()
    platform_log = request_log(live, tmp_path / "served-sandbox.db")
    tenant_log = request_log(live, tmp_path / "acme-account.db")
    voices_of = lambda log: [r for r in log if r["provider"] == "elevenlabs" and "voices" in r["path"]]
    # The tenant's account: `voices list --tenant acme` and the agent's voice; the platform's:
    # `voices list --tenant bravo` and `voices list`.
    assert len(voices_of(tenant_log)) == 2, tenant_log
    assert len(voices_of(platform_log)) == 2, platform_log
