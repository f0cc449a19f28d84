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
