"""Profiles and credentials: the config file, its privacy, `vami profiles`, and precedence
(flags, then environment variables, then the profile, then the sandbox)."""
import json
import os
import pty
import select
import stat
import subprocess
import time
import tomllib

import pytest

from conftest import VAMI, Vami, clean_environment, error_line

SID = "AC" + "0123456789abcdef" * 2
KEY_SID = "SK" + "fedcba9876543210" * 2
# Canaries: secrets that must never be printed in full by any command.
TOKEN = "canary-token-7f3a9c2e51d04b68"
SECRET = "canary-secret-0b9e4d7731aa52c6"
ELEVEN = "canary-eleven-5d21e8f0c4b7a913"
CANARIES = [TOKEN, SECRET, ELEVEN]

# Where nothing listens: a profile pointing here fails with exit 6 when it is used.
NOWHERE = "http://127.0.0.1:9"


@pytest.fixture
def config(home):
    """The config file path of the clean environment (XDG_CONFIG_HOME/vami/config.toml)."""
    return home / "config" / "vami" / "config.toml"


def assert_no_canary(result, canaries=CANARIES):
    for canary in canaries:
        assert canary not in result.stdout and canary not in result.stderr, canary


def add(vami, name, *flags, env=None):
    """`profiles add NAME` in a script: the secrets come from the environment."""
    return vami.run("profiles", "add", name, *flags, env=env or {})


def add_full(vami, name, *flags):
    result = add(vami, name, "--twilio-account-sid", SID, *flags,
                 env={"TWILIO_AUTH_TOKEN": TOKEN, "ELEVENLABS_API_KEY": ELEVEN})
    assert result.returncode == 0, result.stderr
    return result


def add_sandbox_profile(vami, sandbox, name, *flags, with_elevenlabs=True):
    """A profile holding the served sandbox's credentials and base URLs."""
    env = {"TWILIO_ACCOUNT_SID": sandbox.account_sid, "TWILIO_AUTH_TOKEN": sandbox.auth_token}
    if with_elevenlabs:
        env["ELEVENLABS_API_KEY"] = sandbox.exports["ELEVENLABS_API_KEY"]
    result = vami.run("profiles", "add", name, "--from-env",
                      "--twilio-base-url", sandbox.base_url,
                      "--twilio-pricing-base-url", sandbox.exports["VAMI_TWILIO_PRICING_BASE_URL"],
                      "--elevenlabs-base-url", sandbox.exports["VAMI_ELEVENLABS_BASE_URL"],
                      *flags, env=env)
    assert result.returncode == 0, result.stderr
    return result


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


# --- The file: where, how it is written, what is refused. ------------------------------------

def test_list_is_empty_without_a_file(vami, config):
    assert vami.json("profiles", "list") == []
    table = vami.run("profiles", "list")
    assert table.returncode == 0 and table.stdout == ""
    assert f"no profiles in {config}" in table.stderr
    assert not config.exists()


def test_add_from_env_in_a_script_writes_0600_in_a_0700_folder(vami, config):
    result = add(vami, "prod", "--twilio-account-sid", SID, "--default-country", "gb",
                 "--concurrency", "16",
                 env={"TWILIO_AUTH_TOKEN": TOKEN, "ELEVENLABS_API_KEY": ELEVEN})
    assert result.returncode == 0, result.stderr
    assert_no_canary(result)
    assert mode(config) == 0o600
    assert mode(config.parent) == 0o700
    data = tomllib.loads(config.read_text())
    assert data == {"default_profile": "prod", "profiles": {"prod": {
        "twilio_account_sid": SID, "twilio_auth_token": TOKEN, "elevenlabs_api_key": ELEVEN,
        "default_country": "GB", "concurrency": 16}}}
    assert [p for p in config.parent.iterdir()] == [config]  # no temporary file left


def test_vami_config_overrides_the_path(vami, tmp_path, config):
    elsewhere = tmp_path / "private" / "vami.toml"
    env = {"VAMI_CONFIG": str(elsewhere), "TWILIO_AUTH_TOKEN": TOKEN}
    assert add(vami, "ci", "--twilio-account-sid", SID, env=env).returncode == 0
    assert elsewhere.exists() and not config.exists()
    assert mode(elsewhere) == 0o600 and mode(elsewhere.parent) == 0o700
    assert [p["name"] for p in vami.json("profiles", "list", env=env)] == ["ci"]
    assert vami.json("profiles", "list") == []


def test_a_file_others_can_read_is_refused_with_the_fix(vami, config, sandbox):
    add_sandbox_profile(vami, sandbox, "prod")
    config.chmod(0o644)
    for args in (["profiles", "list"], ["numbers", "search", "--area-code", "212"]):
        result = vami.run(*args)
        assert result.returncode == 2, result.stderr
        assert error_line(result) == (
            f"vami: error: {config} is readable by others (mode 0644); "
            f"run 'chmod 600 {config}'")
        assert result.stdout == ""
    config.chmod(0o640)
    assert vami.run("profiles", "show", "prod").returncode == 2
    config.chmod(0o600)
    assert vami.run("profiles", "show", "prod").returncode == 0


def test_a_folder_others_can_write_to_is_refused(vami, config):
    add_full(vami, "prod")
    config.parent.chmod(0o777)
    result = vami.run("profiles", "list")
    assert result.returncode == 2
    line = error_line(result)
    assert f"{config.parent} is writable by others (mode 0777)" in line
    assert f"chmod 700 {config.parent}" in line
    # Writing is refused too, and the file is left as it was.
    before = config.read_bytes()
    assert vami.run("profiles", "use", "prod").returncode == 2
    assert config.read_bytes() == before
    config.parent.chmod(0o700)


def test_every_write_replaces_the_file_whole(vami, config):
    add_full(vami, "prod")
    # Held open, the old file keeps its inode (so its number cannot be reused) and shows
    # whether it was truncated and rewritten in place.
    with open(config, "rb") as old:
        before = old.read()
        first = os.fstat(old.fileno()).st_ino
        add_full(vami, "staging")
        assert vami.run("profiles", "use", "staging").returncode == 0
        old.seek(0)
        assert old.read() == before
    assert config.stat().st_ino != first
    assert mode(config) == 0o600
    assert sorted(p.name for p in config.parent.iterdir()) == ["config.toml"]
    data = tomllib.loads(config.read_text())
    assert data["default_profile"] == "staging"
    assert set(data["profiles"]) == {"prod", "staging"}


@pytest.mark.parametrize("text, line, words", [
    ('[profiles.prod]\ntwilio_account_sid = "%s"\ntwilio_token = "x"\n' % SID, 3,
     "unknown key 'twilio_token' in [profiles.prod]"),
    ('default_profile = "prod"\n\n[profiles.prod]\nconcurrency = "16"\n', 4,
     "key 'concurrency' in [profiles.prod] must be an integer from 1 to 64"),
    ('[profiles.prod]\nconcurrency = 65\n', 2,
     "key 'concurrency' in [profiles.prod] must be an integer from 1 to 64"),
    ('[profiles.prod]\nelevenlabs_api_key = 12345\n', 2,
     "key 'elevenlabs_api_key' in [profiles.prod] must be a string"),
    ('colour = "blue"\n', 1, "unknown key 'colour'"),
    ('[profiles.Prod]\n', 1, "'Prod' is not a valid profile name"),
    ('[profiles.prod]\ntwilio_account_sid = "AC12"\n', 2, "is not an Account SID"),
    ('[profiles.prod\n', 1, "not valid TOML"),
])
def test_a_bad_file_names_the_file_line_and_key(vami, config, text, line, words):
    config.parent.mkdir(parents=True, mode=0o700)
    config.write_text(text)
    config.chmod(0o600)
    result = vami.run("profiles", "list")
    assert result.returncode == 2, result.stderr
    message = error_line(result)
    assert f"{config}:{line}: " in message and words in message, message


def test_a_bad_value_is_never_quoted(vami, config):
    config.parent.mkdir(parents=True, mode=0o700)
    config.write_text(f'[profiles.prod]\ntwilio_account_sid = "{TOKEN}"\n')
    config.chmod(0o600)
    result = vami.run("profiles", "list")
    assert result.returncode == 2
    assert_no_canary(result)


# --- profiles add|list|show|use|remove ----------------------------------------------------------

def test_list_and_show_mask_every_secret(vami, config):
    add_full(vami, "prod", "--twilio-base-url", "https://api.example.test")
    assert add(vami, "keyed", "--twilio-account-sid", SID, "--twilio-api-key", KEY_SID,
               env={"TWILIO_API_SECRET": SECRET}).returncode == 0
    records = vami.json("profiles", "list")
    assert [r["name"] for r in records] == ["prod", "keyed"]
    prod, keyed = records
    assert prod["default"] is True and keyed["default"] is False
    assert prod["twilio_account_sid"] == SID
    assert prod["twilio_auth_token"] == "••••" + TOKEN[-4:]
    assert prod["elevenlabs_api_key"] == "••••" + ELEVEN[-4:]
    assert prod["twilio_api_secret"] is None and prod["twilio_base_url"] == "https://api.example.test"
    assert keyed["twilio_api_key"] == KEY_SID
    assert keyed["twilio_api_secret"] == "••••" + SECRET[-4:]
    assert keyed["twilio_auth_token"] is None and keyed["elevenlabs_api_key"] is None
    assert vami.json("profiles", "show", "keyed") == keyed
    for args in (["profiles", "list"], ["profiles", "list", "-o", "csv"],
                 ["profiles", "show", "prod"], ["profiles", "show", "keyed", "-o", "csv"]):
        result = vami.run(*args)
        assert result.returncode == 0, result.stderr
        assert_no_canary(result)
    table = vami.run("profiles", "list").stdout
    assert "••••" + TOKEN[-4:] in table and "••••" + SECRET[-4:] in table


def test_add_prompts_on_a_terminal_without_echo(vami, config):
    """A pseudo-terminal is stdin and stderr: what vami echoes would be read back from it."""
    controller, terminal = pty.openpty()
    seen = b""

    def read_until(text, deadline):
        nonlocal seen
        while text.encode() not in seen:
            assert time.monotonic() < deadline, seen
            ready, _, _ = select.select([controller], [], [], 1)
            if ready:
                seen += os.read(controller, 4096)

    try:
        process = subprocess.Popen(
            [VAMI, "profiles", "add", "prod", "--twilio-account-sid", SID],
            env=vami.env, stdin=terminal, stdout=subprocess.PIPE, stderr=terminal)
        deadline = time.monotonic() + 60
        read_until("Twilio auth token (not shown): ", deadline)
        os.write(controller, (TOKEN + "\n").encode())
        read_until("ElevenLabs API key (not shown; empty for none): ", deadline)
        os.write(controller, (ELEVEN + "\n").encode())
        stdout, _ = process.communicate(timeout=60)
        while select.select([controller], [], [], 0.2)[0]:
            try:
                seen += os.read(controller, 4096)
            except OSError:
                break
    finally:
        os.close(controller)
        os.close(terminal)
    assert process.returncode == 0, seen
    for canary in (TOKEN, ELEVEN):
        assert canary.encode() not in seen and canary.encode() not in stdout
    profile = tomllib.loads(config.read_text())["profiles"]["prod"]
    assert profile["twilio_auth_token"] == TOKEN and profile["elevenlabs_api_key"] == ELEVEN


def test_add_checks_before_writing(vami, config):
    cases = [
        (["--twilio-account-sid", "AC123"], {"TWILIO_AUTH_TOKEN": TOKEN}, "Account SID"),
        (["--twilio-account-sid", SID, "--twilio-api-key", "SK12"], {"TWILIO_API_SECRET": SECRET},
         "API key SID"),
        (["--twilio-account-sid", SID], {}, "no auth token"),
        (["--twilio-account-sid", SID, "--twilio-api-key", KEY_SID], {}, "no secret"),
        (["--default-country", "GBR"], {}, "country"),
        (["--twilio-base-url", "ftp://x"], {}, "URL"),
    ]
    for flags, env, words in cases:
        result = add(vami, "prod", *flags, env=env)
        assert result.returncode == 2, (flags, result.stderr)
        assert words in error_line(result)
        assert_no_canary(result)
    assert add(vami, "Prod", env={"ELEVENLABS_API_KEY": ELEVEN}).returncode == 2
    assert add(vami, "prod", "--concurrency", "65").returncode == 2
    assert not config.exists()


def test_secrets_are_never_flag_values(vami):
    for flag in ("--twilio-auth-token", "--twilio-api-secret", "--elevenlabs-api-key"):
        result = vami.run("profiles", "add", "prod", flag, TOKEN)
        assert result.returncode == 2


def test_an_existing_name_is_a_conflict_unless_replaced(vami, config):
    add_full(vami, "prod")
    again = add(vami, "prod", env={"ELEVENLABS_API_KEY": "canary-other-key-99"})
    assert again.returncode == 4
    assert "already exists" in error_line(again) and "--replace" in error_line(again)
    replaced = add(vami, "prod", "--replace", env={"ELEVENLABS_API_KEY": "canary-other-key-99"})
    assert replaced.returncode == 0, replaced.stderr
    profile = tomllib.loads(config.read_text())["profiles"]["prod"]
    assert profile == {"elevenlabs_api_key": "canary-other-key-99"}


def test_the_first_profile_is_the_default_and_use_changes_it(vami, config):
    add_full(vami, "prod")
    add_full(vami, "staging")
    assert tomllib.loads(config.read_text())["default_profile"] == "prod"
    assert vami.run("profiles", "use", "staging").returncode == 0
    assert [r["default"] for r in vami.json("profiles", "list")] == [False, True]
    missing = vami.run("profiles", "use", "nope")
    assert missing.returncode == 3
    assert "known profiles: prod, staging" in error_line(missing)


def test_remove_needs_yes_in_a_script(vami, config):
    add_full(vami, "prod")
    add_full(vami, "staging")
    refused = vami.run("profiles", "remove", "prod")
    assert refused.returncode == 2 and "--yes" in error_line(refused)
    dry = vami.run("profiles", "remove", "prod", "--dry-run")
    assert dry.returncode == 0 and "would remove profile 'prod'" in dry.stderr
    assert len(vami.json("profiles", "list")) == 2
    assert vami.run("profiles", "remove", "prod", "--yes").returncode == 0
    data = tomllib.loads(config.read_text())
    assert list(data["profiles"]) == ["staging"]
    # The default was removed: none is the default now, rather than another account silently.
    assert "default_profile" not in data
    assert vami.run("profiles", "remove", "prod", "--yes").returncode == 3


def test_no_profiles_command_prints_a_secret(vami, config):
    results = [add_full(vami, "prod")]
    results.append(add(vami, "keyed", "--twilio-account-sid", SID, "--twilio-api-key", KEY_SID,
                       env={"TWILIO_API_SECRET": SECRET}))
    for args in (["profiles", "list"], ["profiles", "list", "--json"],
                 ["profiles", "list", "-o", "csv"], ["profiles", "show", "prod", "--json"],
                 ["profiles", "show", "keyed"], ["profiles", "use", "keyed"],
                 ["profiles", "add", "prod"], ["profiles", "show", "nope"],
                 ["profiles", "remove", "prod", "--dry-run"], ["profiles", "remove", "prod"],
                 ["--debug", "-v", "profiles", "remove", "keyed", "--yes"]):
        results.append(vami.run(*args))
    for result in results:
        assert_no_canary(result)


# --- Precedence: flags, environment, profile, sandbox. -----------------------------------------

def test_without_credentials_or_profile_the_sandbox_is_announced(vami):
    result = vami.run("numbers", "search", "--area-code", "212")
    assert result.returncode == 0, result.stderr
    assert "built-in sandbox" in result.stderr
    # Every platform vami reaches is named (Synthflow was missing).
    assert "no Twilio, ElevenLabs or Synthflow credentials set" in result.stderr, result.stderr
    assert "SYNTHFLOW_API_KEY and SYNTHFLOW_WORKSPACE_ID" in result.stderr, result.stderr


def test_the_default_profile_is_used_and_never_falls_back_to_the_sandbox(vami, sandbox):
    add_sandbox_profile(vami, sandbox, "served")
    report = vami.json("numbers", "buy", "--count", "1", "--area-code", "212", "--yes")
    assert report["succeeded"] == 1
    assert len(sandbox.owned()) == 1
    result = vami.run("numbers", "search", "--area-code", "212")
    assert result.returncode == 0 and "built-in sandbox" not in result.stderr


def test_a_profile_with_only_twilio_fails_elevenlabs_commands(vami, sandbox):
    add_sandbox_profile(vami, sandbox, "phones", with_elevenlabs=False)
    result = vami.run("voices", "list")
    assert result.returncode == 5, result.stderr
    assert "no ElevenLabs API key in profile 'phones'" in error_line(result)
    assert "built-in sandbox" not in result.stderr


def test_environment_beats_the_profile(vami, sandbox):
    add_sandbox_profile(vami, sandbox, "served")
    # A base URL from the environment wins over the profile's.
    result = vami.run("numbers", "search", "--area-code", "212",
                      env={"VAMI_TWILIO_BASE_URL": NOWHERE})
    assert result.returncode == 6, result.stderr
    # Credentials come as a group: a wrong token in the environment is not helped by the
    # profile's right one...
    wrong = vami.run("numbers", "search", "--area-code", "212",
                     env={"TWILIO_ACCOUNT_SID": sandbox.account_sid, "TWILIO_AUTH_TOKEN": "0" * 32})
    assert wrong.returncode == 5, wrong.stderr
    # ...and an SID alone in the environment never borrows the profile's token.
    alone = vami.run("numbers", "search", "--area-code", "212",
                     env={"TWILIO_ACCOUNT_SID": sandbox.account_sid})
    assert alone.returncode == 5, alone.stderr
    assert "TWILIO_AUTH_TOKEN" in error_line(alone)
    # The environment's full set works even when the profile's endpoints are dead.
    assert vami.run("profiles", "remove", "served", "--yes").returncode == 0
    add_full(vami, "dead", "--twilio-base-url", NOWHERE, "--elevenlabs-base-url", NOWHERE)
    env = dict(sandbox.exports)
    good = vami.run("numbers", "search", "--area-code", "212", env=env)
    assert good.returncode == 0, good.stderr
    assert vami.run("numbers", "search", "--area-code", "212").returncode in (5, 6)


def test_the_profile_flag_beats_vami_profile_which_beats_the_default(vami, sandbox):
    add_full(vami, "dead", "--twilio-base-url", NOWHERE)  # the default
    add_sandbox_profile(vami, sandbox, "served")
    search = ["numbers", "search", "--area-code", "212"]
    assert vami.run(*search).returncode == 6
    assert vami.run(*search, env={"VAMI_PROFILE": "served"}).returncode == 0
    assert vami.run("--profile", "dead", *search, env={"VAMI_PROFILE": "served"}).returncode == 6
    assert vami.run("--profile", "served", *search, env={"VAMI_PROFILE": "dead"}).returncode == 0
    # --profile may also follow the command.
    assert vami.run(*search, "--profile", "served").returncode == 0


def test_an_unknown_profile_is_exit_3_listing_the_known_names(vami, sandbox):
    add_sandbox_profile(vami, sandbox, "served")
    add_full(vami, "prod")
    for flag, env in ((["--profile", "nope"], {}), ([], {"VAMI_PROFILE": "nope"})):
        result = vami.run(*flag, "numbers", "search", "--area-code", "212", env=env)
        assert result.returncode == 3, result.stderr
        line = error_line(result)
        assert "no profile 'nope'" in line and "known profiles: served, prod" in line


def test_profile_default_country_applies_unless_the_flag_is_given(vami, sandbox):
    add_sandbox_profile(vami, sandbox, "served", "--default-country", "CA", "--concurrency", "2")
    found = vami.json("numbers", "search", "--limit", "3")
    assert found and all(n["country"] == "CA" for n in found)
    flagged = vami.json("numbers", "search", "--limit", "3", "--country", "US")
    assert flagged and all(n["country"] == "US" for n in flagged)
    report = vami.json("numbers", "buy", "--count", "2", "--yes")
    assert report["succeeded"] == 2
    assert all(item["number"]["country"] == "CA" for item in report["items"])


def test_debug_trace_with_a_profile_shows_no_secret(vami, sandbox):
    add_sandbox_profile(vami, sandbox, "served")
    secrets = [sandbox.auth_token, sandbox.exports["ELEVENLABS_API_KEY"]]
    for args in (["numbers", "search", "--area-code", "212"], ["voices", "list"],
                 ["profiles", "show", "served"], ["profiles", "list", "--json"]):
        result = vami.run("--debug", *args)
        assert result.returncode == 0, result.stderr
        assert_no_canary(result, secrets)
    assert "GET " in vami.run("--debug", "voices", "list").stderr


# --- Synthflow in a profile. -------------------------------------------------------------------

SYNTHFLOW_KEY = "canary-synthflow-3e8a61d0b2c94f57"
SYNTHFLOW_HOOK = "canary-sfhook-91c0d7e2a4b85f36"


def test_synthflow_keys_are_stored_and_shown_masked(vami, config):
    result = add(vami, "acme-own", "--synthflow-workspace-id", "ws-acme", "--synthflow-region",
                 "eu", env={"SYNTHFLOW_API_KEY": SYNTHFLOW_KEY,
                            "VAMI_SYNTHFLOW_WEBHOOK_SECRET": SYNTHFLOW_HOOK})
    assert result.returncode == 0, result.stderr
    canaries = [SYNTHFLOW_KEY, SYNTHFLOW_HOOK]
    assert_no_canary(result, canaries)
    profile = tomllib.loads(config.read_text())["profiles"]["acme-own"]
    assert profile["synthflow_api_key"] == SYNTHFLOW_KEY
    assert profile["synthflow_webhook_secret"] == SYNTHFLOW_HOOK
    assert profile["synthflow_workspace_id"] == "ws-acme" and profile["synthflow_region"] == "eu"
    shown = vami.run("profiles", "show", "acme-own", "--json")
    assert shown.returncode == 0, shown.stderr
    assert_no_canary(shown, canaries)
    record = json.loads(shown.stdout)
    assert record["synthflow_api_key"] == "••••" + SYNTHFLOW_KEY[-4:]
    assert record["synthflow_webhook_secret"] == "••••" + SYNTHFLOW_HOOK[-4:]
    assert record["synthflow_workspace_id"] == "ws-acme" and record["synthflow_region"] == "eu"
    listed = vami.run("profiles", "list")
    assert_no_canary(listed, canaries)
    assert "ws-acme key ••••" + SYNTHFLOW_KEY[-4:] in listed.stdout


def test_a_synthflow_workspace_without_its_key_or_a_bad_region_is_refused(vami, config):
    missing = add(vami, "acme-own", "--synthflow-workspace-id", "ws-acme")
    assert missing.returncode == 2
    assert "no API key for the Synthflow workspace ws-acme" in error_line(missing)
    region = add(vami, "acme-own", "--synthflow-region", "ap")
    assert region.returncode == 2, region.stderr
    assert not config.exists()
