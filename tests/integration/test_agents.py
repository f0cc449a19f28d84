"""`vami agents create|list|show|update|delete` and `vami voices list` against
`vami sandbox serve`: the state database and the agents at the (emulated) ElevenLabs API."""
import json

from conftest import (buy_numbers, create_agent, create_tenant, database_state, error_line,
                      sandbox_agent, sandbox_agents, sandbox_documents, world_state)

RACHEL = "21m00Tcm4TlvDq8ikWAM"
GEORGE = "JBFqnCBsd6RMkjVDRZzb"


def provider_config(sandbox, agent_id):
    agent = sandbox_agent(sandbox, agent_id)
    assert agent is not None, agent_id
    return agent, agent["conversation_config"]


def test_create_with_every_flag_configures_the_agent_at_the_provider(live, sandbox):
    create_tenant(live, "acme", "Acme Dental", "--industry", "dental")
    created = create_agent(live, "acme", "Front Desk", "--prompt", "Book cleanings and check-ups.",
                           "--first-message", "Hola, Acme Dental.", "--voice", "rachel",
                           "--language", "es", "--personality", "professional")
    assert created["slug"] == "front-desk" and created["tenant"] == "acme"
    assert created["status"] == "active" and created["provider"] == "elevenlabs"
    assert created["voice_id"] == RACHEL and created["language"] == "es"
    assert created["personality"] == "professional"
    assert created["first_message"] == "Hola, Acme Dental."
    agent_id = created["provider_agent_id"]
    assert agent_id

    agent, config = provider_config(sandbox, agent_id)
    assert agent["name"] == "Front Desk"
    assert "vami-agent:front-desk" in agent["tags"] and "vami-tenant:acme" in agent["tags"]
    prompt = config["agent"]["prompt"]["prompt"]
    # The personality is a line before the user's prompt.
    assert prompt.endswith("\n\nBook cleanings and check-ups.")
    assert "professional" in prompt.split("\n\n")[0]
    assert config["agent"]["first_message"] == "Hola, Acme Dental."
    assert config["agent"]["language"] == "es"
    assert config["tts"]["voice_id"] == RACHEL

    assert live.rows("SELECT slug, provider_agent_id, voice_id, language, personality, prompt, "
                     "status FROM agents") == [
        ("front-desk", agent_id, RACHEL, "es", "professional", "Book cleanings and check-ups.",
         "active")]


def test_create_with_defaults_names_the_tenant(live, sandbox):
    create_tenant(live, "acme", "Acme Dental", "--industry", "dental")
    created = create_agent(live, "acme", "Reception", "--slug", "acme-reception")
    assert created["slug"] == "acme-reception" and created["language"] == "en"
    assert "Acme Dental" in created["first_message"]
    _, config = provider_config(sandbox, created["provider_agent_id"])
    assert "Acme Dental" in config["agent"]["prompt"]["prompt"]
    assert config["agent"]["first_message"] == created["first_message"]


def test_create_reads_the_prompt_from_a_file(live, sandbox, tmp_path):
    create_tenant(live, "acme")
    prompt = "You answer for Acme.\nNever give medical advice.\nCafé hours: 9–17.\n"
    path = tmp_path / "prompt.txt"
    path.write_text(prompt, encoding="utf-8")
    created = create_agent(live, "acme", "Front Desk", "--prompt-file", str(path))
    _, config = provider_config(sandbox, created["provider_agent_id"])
    assert config["agent"]["prompt"]["prompt"] == prompt
    assert live.rows("SELECT prompt FROM agents") == [(prompt,)]


def test_list_show_and_lookup_by_slug_or_provider_id(live):
    create_tenant(live, "acme")
    create_tenant(live, "bravo")
    front = create_agent(live, "acme", "Front Desk", "--prompt", "Answer for Acme.")
    create_agent(live, "bravo", "Bravo Desk")
    assert [a["slug"] for a in live.json("agents", "list")] == ["bravo-desk", "front-desk"]
    assert [a["slug"] for a in live.json("agents", "list", "--tenant", "acme")] == ["front-desk"]
    table = live.run("agents", "list")
    assert table.stdout.splitlines()[0].split()[:3] == ["SLUG", "TENANT", "NAME"]
    assert live.json("agents", "list", "--tenant", "bravo")[0]["tenant"] == "bravo"

    (e164,) = buy_numbers(live, 1)
    assert live.run("numbers", "assign", e164, "--agent", "front-desk").returncode == 0
    live.json("kb", "add", "front-desk", "--text", "Opening hours: 9 to 17")
    by_slug = live.json("agents", "show", "front-desk")
    by_id = live.json("agents", "show", front["provider_agent_id"])
    assert by_slug == by_id
    assert by_slug["prompt"] == "Answer for Acme."
    assert [n["e164"] for n in by_slug["numbers"]] == [e164]
    assert [d["name"] for d in by_slug["documents"]] == ["Opening hours: 9 to 17"]


def test_update_changes_the_agent_at_the_provider_and_locally(live, sandbox, tmp_path):
    create_tenant(live, "acme")
    created = create_agent(live, "acme", "Front Desk", "--prompt", "Old prompt.",
                           "--personality", "friendly")
    agent_id = created["provider_agent_id"]
    updated = live.json("agents", "update", agent_id, "--prompt", "New prompt.", "--voice",
                        GEORGE, "--first-message", "Good morning!", "--language", "de",
                        "--name", "Front Desk DE")
    assert updated["voice_id"] == GEORGE and updated["language"] == "de"
    assert updated["first_message"] == "Good morning!" and updated["name"] == "Front Desk DE"
    agent, config = provider_config(sandbox, agent_id)
    assert agent["name"] == "Front Desk DE"
    assert config["agent"]["prompt"]["prompt"].endswith("\n\nNew prompt.")
    assert config["tts"]["voice_id"] == GEORGE
    assert config["agent"]["first_message"] == "Good morning!"
    assert config["agent"]["language"] == "de"

    # A personality alone re-sends the prompt with its new first line.
    live.json("agents", "update", "front-desk", "--personality", "casual")
    _, config = provider_config(sandbox, agent_id)
    assert "casual" in config["agent"]["prompt"]["prompt"].split("\n\n")[0]
    assert live.json("agents", "show", "front-desk")["prompt"] == "New prompt."


def test_delete_removes_the_agent_and_its_documents_at_the_provider(live, sandbox):
    create_tenant(live, "acme")
    created = create_agent(live, "acme", "Front Desk")
    document = live.json("kb", "add", "front-desk", "--text", "Opening hours: 9 to 17")[0]["id"]
    assert sandbox_documents(sandbox) == [document]

    deleted = live.json("agents", "delete", "front-desk", "--yes")
    assert deleted["slug"] == "front-desk"
    assert sandbox_agent(sandbox, created["provider_agent_id"]) is None
    assert sandbox_documents(sandbox) == []
    assert live.rows("SELECT count(*) FROM agents") == [(0,)]
    assert live.rows("SELECT count(*) FROM documents") == [(0,)]
    assert live.run("agents", "show", "front-desk").returncode == 3


def test_delete_refuses_without_yes_and_while_the_agent_answers_a_number(live, sandbox):
    create_tenant(live, "acme")
    create_agent(live, "acme", "Front Desk")
    (e164,) = buy_numbers(live, 1)
    assert live.run("numbers", "assign", e164, "--agent", "front-desk").returncode == 0
    before = world_state(live, sandbox)

    script = live.run("agents", "delete", "front-desk")
    assert script.returncode == 2 and "--yes" in error_line(script)
    busy = live.run("agents", "delete", "front-desk", "--yes")
    assert busy.returncode == 4
    line = error_line(busy)
    assert e164 in line and "unassign" in line
    assert world_state(live, sandbox) == before


def test_voices_list_shows_the_providers_voices(live):
    voices = live.json("voices", "list")
    by_name = {v["name"]: v for v in voices}
    assert by_name["Rachel"]["voice_id"] == RACHEL
    assert by_name["George"]["accent"] == "british"
    assert [v["name"].lower() for v in voices] == sorted(v["name"].lower() for v in voices)
    table = live.run("voices", "list")
    assert table.stdout.splitlines()[0].split()[:3] == ["NAME", "VOICE", "ID"]


def test_unknown_voice_is_not_found_suggesting_close_names_and_creates_nothing(live, sandbox):
    create_tenant(live, "acme")
    before = world_state(live, sandbox)
    result = live.run("agents", "create", "--tenant", "acme", "--name", "Front Desk",
                      "--voice", "Rachl")
    assert result.returncode == 3
    line = error_line(result)
    assert '"Rachl"' in line and "Rachel" in line and RACHEL in line
    assert world_state(live, sandbox) == before

    created = create_agent(live, "acme", "Front Desk")
    before = world_state(live, sandbox)
    update = live.run("agents", "update", "front-desk", "--voice", "Georgie")
    assert update.returncode == 3 and "George" in error_line(update)
    assert world_state(live, sandbox) == before
    _, config = provider_config(sandbox, created["provider_agent_id"])
    assert config["tts"]["voice_id"] != GEORGE


def test_bad_agent_input_is_refused_and_changes_nothing(live, sandbox, tmp_path):
    create_tenant(live, "acme", "Acme")
    create_tenant(live, "bravo", "Bravo")
    create_agent(live, "bravo", "Front Desk", "--prompt", "Bravo's prompt.")
    before = world_state(live, sandbox)
    base = ["agents", "create", "--tenant", "acme", "--name", "Reception"]
    huge = tmp_path / "huge-prompt.txt"
    huge.write_text("Be helpful. " * 9000)  # about 100 kB
    cases = [
        (base + ["--prompt", ""], 2, "prompt"),
        (base + ["--prompt", "   "], 2, "prompt"),
        (base + ["--prompt", "x" * 100_000], 2, "100000"),
        (base + ["--prompt-file", str(huge)], 2, "prompt"),
        (base + ["--prompt-file", str(tmp_path / "missing.txt")], 2, "missing.txt"),
        (base + ["--language", "klingon"], 2, "klingon"),
        (base + ["--first-message", ""], 2, "--first-message"),
        (base + ["--slug", "Reception Desk"], 2, "Reception Desk"),
        (base + ["--personality", "grumpy"], 2, "grumpy"),
        (["agents", "create", "--tenant", "ghost", "--name", "Reception"], 3, '"ghost"'),
        (["agents", "create", "--tenant", "acme", "--name", "Front Desk"], 4, "front-desk"),
        (["agents", "list", "--tenant", "ghost"], 3, '"ghost"'),
        (["agents", "show", "ghost-agent"], 3, '"ghost-agent"'),
        (["agents", "update", "ghost-agent", "--prompt", "Hi"], 3, '"ghost-agent"'),
        (["agents", "delete", "ghost-agent", "--yes"], 3, '"ghost-agent"'),
        (["agents", "update", "front-desk"], 2, "nothing to change"),
        (["agents", "update", "front-desk", "--prompt", ""], 2, "prompt"),
        (["agents", "update", "front-desk", "--prompt", "y" * 100_000], 2, "100000"),
    ]
    for command, code, mentioned in cases:
        result = live.run(*command)
        assert result.returncode == code, (command[:6], result.stderr)
        assert mentioned in error_line(result), (command[:6], result.stderr)
        assert result.stdout == ""
    assert world_state(live, sandbox) == before
    assert [a["name"] for a in sandbox_agents(sandbox)] == ["Front Desk"]
    assert json.loads(live.run("agents", "list", "--json").stdout)[0]["tenant"] == "bravo"
    assert database_state(live)["agents"][0][8] == "Bravo's prompt."
