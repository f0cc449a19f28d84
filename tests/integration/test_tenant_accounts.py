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
    finally:
        own.stop()
