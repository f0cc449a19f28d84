"""The default voice-agent provider from the profile (`agent_provider`, docs/configuration.md):
`agents create`, `onboard` and `voices list` use it when no provider is named, a flag still
wins, an unknown name is refused where it is written or read, and `profiles show` shows it.
Everything runs on the in-process sandbox: the profile holds no credentials."""
import json

from conftest import buy_numbers, create_agent, create_tenant, error_line


def add_profile(vami, name, *flags):
    result = vami.run("profiles", "add", name, *flags)
    assert result.returncode == 0, result.stderr
    return result


def test_profiles_add_writes_agent_provider_and_show_shows_it(vami, home):
    add_profile(vami, "flows", "--agent-provider", "synthflow")
    shown = vami.json("profiles", "show", "flows")
    assert shown["agent_provider"] == "synthflow"
    assert 'agent_provider = "synthflow"' in (home / "config" / "vami" / "config.toml").read_text()
    assert "synthflow" in vami.run("profiles", "show", "flows").stdout
    add_profile(vami, "plain")
    assert vami.json("profiles", "show", "plain")["agent_provider"] is None


def test_an_unknown_agent_provider_is_refused_when_written_and_when_read(vami, home):
    refused = vami.run("profiles", "add", "bad", "--agent-provider", "vapi")
    assert refused.returncode == 2, refused.stderr
    assert "elevenlabs" in refused.stderr and "synthflow" in refused.stderr
    config = home / "config" / "vami" / "config.toml"
    assert not config.exists()

    config.parent.mkdir(parents=True, mode=0o700)
    config.write_text('default_profile = "bad"\n\n[profiles.bad]\nagent_provider = "vapi"\n')
    config.chmod(0o600)
    result = vami.run("voices", "list")
    assert result.returncode == 2, result.stderr
    line = error_line(result)
    assert f"{config}:4: key 'agent_provider' in [profiles.bad]" in line, line
    assert "elevenlabs, stream, synthflow" in line, line


def test_agents_create_uses_the_profile_default_unless_provider_is_given(vami):
    add_profile(vami, "flows", "--agent-provider", "synthflow")
    create_tenant(vami, "acme", "Acme Dental")
    by_default = create_agent(vami, "acme", "Acme Desk", "--slug", "acme-desk")
    assert by_default["provider"] == "synthflow"
    flagged = create_agent(vami, "acme", "Acme Night", "--slug", "acme-night",
                           "--provider", "elevenlabs")
    assert flagged["provider"] == "elevenlabs"
    # --profile chooses another profile, and with it another default.
    add_profile(vami, "plain")
    other = vami.run("--profile", "plain", "agents", "create", "--tenant", "acme",
                     "--name", "Acme Day", "--slug", "acme-day", "--json")
    assert other.returncode == 0, other.stderr
    assert json.loads(other.stdout)["provider"] == "elevenlabs"
    assert {a["slug"]: a["provider"] for a in vami.json("agents", "list")} == {
        "acme-desk": "synthflow", "acme-night": "elevenlabs", "acme-day": "elevenlabs"}


def test_voices_list_uses_the_profile_default(vami):
    elevenlabs = vami.json("voices", "list", "--provider", "elevenlabs")
    synthflow = vami.json("voices", "list", "--provider", "synthflow")
    assert elevenlabs != synthflow
    assert vami.json("voices", "list") == elevenlabs
    add_profile(vami, "flows", "--agent-provider", "synthflow")
    assert vami.json("voices", "list") == synthflow
    assert vami.json("voices", "list", "--provider", "elevenlabs") == elevenlabs
    add_profile(vami, "streams", "--agent-provider", "stream")
    result = vami.run("--profile", "streams", "voices", "list")
    assert result.returncode == 2, result.stderr
    assert "stream has no voices of its own" in error_line(result)


def test_onboard_uses_the_profile_default_for_agent_provider(vami):
    add_profile(vami, "flows", "--agent-provider", "synthflow")
    number = buy_numbers(vami, 1)[0]
    defaulted = vami.run("onboard", "--tenant", "acme", "--name", "Acme Dental",
                         "--agent-name", "Acme Desk", "--number", number, "--no-test-call",
                         "--json")
    assert defaulted.returncode == 0, defaulted.stderr
    assert json.loads(defaulted.stdout)["agent"]["provider"] == "synthflow"
    other = buy_numbers(vami, 1)[0]
    flagged = vami.run("onboard", "--tenant", "globex", "--name", "Globex",
                       "--agent-name", "Globex Desk", "--number", other, "--no-test-call",
                       "--agent-provider", "elevenlabs", "--json")
    assert flagged.returncode == 0, flagged.stderr
    assert json.loads(flagged.stdout)["agent"]["provider"] == "elevenlabs"


def test_help_says_the_default_comes_from_the_profile(vami):
    for args in (("agents", "create"), ("onboard",), ("voices", "list")):
        result = vami.run(*args, "--help")
        assert result.returncode == 0, result.stderr
        assert "profile's agent_provider" in " ".join(result.stdout.split()), args
    assert "--agent-provider" in vami.run("profiles", "add", "--help").stdout
