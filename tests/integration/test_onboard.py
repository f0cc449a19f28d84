"""`vami onboard` against `vami sandbox serve`: a customer live in one command, asked for on a
terminal, and undone completely when a step fails half-way."""
import json
import os
import pty
import select
import subprocess
import time

from conftest import (VAMI, Sandbox, Vami, buy_numbers, clean_environment, create_tenant,
                      error_line, sandbox_agent, sandbox_agents,
                      sandbox_documents, sandbox_imported_numbers, sandbox_knowledge_base,
                      world_state)

GEORGE = "JBFqnCBsd6RMkjVDRZzb"


def assert_nothing_of(vami, sandbox, tenant):
    """No tenant, agent or document is left, locally or at the provider."""
    assert vami.rows("SELECT count(*) FROM tenants WHERE slug = ?", (tenant,)) == [(0,)]
    assert vami.rows("SELECT count(*) FROM agents") == [(0,)]
    assert vami.rows("SELECT count(*) FROM documents") == [(0,)]
    assert sandbox_agents(sandbox) == []
    assert sandbox_documents(sandbox) == []


def test_script_mode_puts_a_customer_live_and_prints_one_object(live, sandbox):
    numbers = buy_numbers(live, 2)
    result = live.run("onboard", "--tenant", "carol-dental", "--name", "Carol Dental",
                      "--industry", "dental", "--contact-email", "carol@carol.example",
                      "--area-code", "212", "--agent-name", "Carol Desk", "--voice", "George",
                      "--personality", "professional", "--first-message", "Carol Dental, hello!",
                      "--prompt", "Book appointments.", "--url", "https://carol.example/faq",
                      "--faq", "We open at 8.", "--faq", "Parking is free.", "--json")
    assert result.returncode == 0, result.stderr
    live_object = json.loads(result.stdout)
    # Live: the closing test call reached the new agent.
    assert live_object["status"] == "live"
    assert live_object["test_call"]["passed"] and live_object["test_call"]["placed"]
    assert live_object["test_call"]["call"]["provider_agent_id"] == \
        live_object["agent"]["provider_agent_id"]
    assert live_object["test_call"]["call"]["transcript"][0]["message"] == "Carol Dental, hello!"
    assert live_object["tenant"]["slug"] == "carol-dental"
    assert live_object["tenant"]["industry"] == "dental"
    agent = live_object["agent"]
    assert agent["slug"] == "carol-desk" and agent["tenant"] == "carol-dental"
    assert agent["voice_id"] == GEORGE and agent["personality"] == "professional"
    number = live_object["number"]
    assert number["e164"] in numbers and number["agent"] == "carol-desk"
    assert number["status"] == "assigned" and number["routing_mode"] == "native"
    document_ids = sorted(d["id"] for d in live_object["documents"])
    assert len(document_ids) == 3 and all(document_ids)
    for step in ("tenant", "agent", "knowledge", "number"):
        assert f"vami: {step}" in result.stderr

    # At the provider: the agent, configured, with its documents attached and the number.
    provider_agent = sandbox_agent(sandbox, agent["provider_agent_id"])
    config = provider_agent["conversation_config"]
    assert config["agent"]["prompt"]["prompt"].endswith("Book appointments.")
    assert config["agent"]["first_message"] == "Carol Dental, hello!"
    assert config["tts"]["voice_id"] == GEORGE
    assert sorted(e["id"] for e in sandbox_knowledge_base(provider_agent)) == document_ids
    assert sandbox_imported_numbers(sandbox) == {number["e164"]: agent["provider_agent_id"]}
    # Locally: the same, and the route lookup agrees.
    assert live.rows("SELECT slug FROM tenants") == [("carol-dental",)]
    assert sorted(r[0] for r in live.rows("SELECT provider_document_id FROM documents")) == \
        document_ids
    route = live.json("route", number["e164"])
    assert route["tenant"]["slug"] == "carol-dental" and route["agent"]["slug"] == "carol-desk"


def test_script_mode_uploads_knowledge_files(live, sandbox, documents):
    (e164,) = buy_numbers(live, 1)
    result = live.run("onboard", "--tenant", "carol", "--name", "Carol", "--agent-name",
                      "Carol Desk", "--number", e164, "--file", documents["pdf"], "--file",
                      documents["docx"], "--json")
    assert result.returncode == 0, result.stderr
    onboarded = json.loads(result.stdout)
    assert [d["mime_type"] for d in onboarded["documents"]] == [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"]
    assert sandbox_documents(sandbox) == sorted(d["id"] for d in onboarded["documents"])
    assert onboarded["number"]["e164"] == e164


def test_webhook_mode_onboarding(live, sandbox):
    (e164,) = buy_numbers(live, 1)
    result = live.run("--router-url", "https://router.example.com/voice", "onboard", "--tenant",
                      "carol", "--name", "Carol", "--agent-name", "Carol Desk", "--number", e164,
                      "--mode", "webhook", "--no-test-call", "--json")
    assert result.returncode == 0, result.stderr
    onboarded = json.loads(result.stdout)
    # No test call: onboarded, not claimed live.
    assert onboarded["status"] == "onboarded" and onboarded["test_call"] is None
    agent_id = onboarded["agent"]["provider_agent_id"]
    assert onboarded["number"]["routing_mode"] == "webhook"
    assert {n["phone_number"]: n["voice_url"] for n in sandbox.owned()}[e164] == \
        f"https://router.example.com/voice?agent_id={agent_id}"


def test_onboarding_whose_test_call_fails_is_not_live(live, sandbox):
    (e164,) = buy_numbers(live, 1)
    # A router URL nothing listens on: the number is routed there, the call reaches nobody.
    result = live.run("--router-url", "http://127.0.0.1:1/twilio/voice", "onboard", "--tenant",
                      "dave", "--name", "Dave", "--agent-name", "Dave Desk", "--number", e164,
                      "--mode", "webhook")
    assert result.returncode == 1, result.stderr
    assert "NOT live: " + e164 in result.stdout and "live: " + e164 not in \
        result.stdout.replace("NOT live: ", "")
    assert "broken at the router hop" in result.stderr
    result = live.run("calls", "test", e164, "--json", "--router-url",
                      "http://127.0.0.1:1/twilio/voice")
    assert result.returncode == 1
    assert json.loads(result.stdout)["broken_hop"] == "router"


def run_on_terminal(vami, args, dialogue, timeout=30):
    """Runs vami with a pseudo-terminal as stdin and stderr. `dialogue` is a list of (question,
    answer): each answer is typed once its question appears (None: nothing is typed, the text is
    only expected). Returns (code, stdout, what the terminal showed)."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([VAMI, "--db", str(vami.db), *args], env=vami.env,
                               stdin=terminal, stdout=subprocess.PIPE, stderr=terminal)
    os.close(terminal)
    screen = ""
    position = 0
    deadline = time.monotonic() + timeout
    try:
        for question, answer in dialogue:
            while question not in screen[position:]:
                assert time.monotonic() < deadline, f"no question {question!r} in:\n{screen}"
                ready, _, _ = select.select([controller], [], [], 0.5)
                if ready:
                    try:
                        screen += os.read(controller, 4096).decode(errors="replace")
                    except OSError:  # the program ended: the terminal is gone
                        raise AssertionError(f"no question {question!r} in:\n{screen}")
            position = screen.index(question, position) + len(question)
            if answer is not None:
                os.write(controller, (answer + "\n").encode())
        stdout = process.stdout.read()
        process.wait(timeout=timeout)
        while True:
            ready, _, _ = select.select([controller], [], [], 0.2)
            if not ready:
                break
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk.decode(errors="replace")
        return process.returncode, stdout.decode(), screen
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)


def test_interactive_mode_asks_for_what_the_flags_do_not_give(live, sandbox):
    (e164,) = buy_numbers(live, 1)
    code, stdout, screen = run_on_terminal(live, ["onboard", "--json"], [
        ("Step 1 of 4: business information", None),
        ("Business name: ", "Carol Dental"),
        ("Tenant slug [carol-dental]: ", ""),
        ("Industry (optional): ", "dental"),
        ("Contact e-mail (optional): ", "carol@carol.example"),
        ("Step 2 of 4: phone number", None),
        ("area code (3 digits) or city; empty for any: ", "212"),
        ("Step 3 of 4: the agent", None),
        ("Agent name [Carol Dental receptionist]: ", ""),
        ("Greeting (empty for the default): ", "Hi, Carol Dental here."),
        ("Voice name or id (empty for the default): ", "george"),
        ("Personality (friendly, professional, casual) [friendly]: ", ""),
        ("Prompt (empty for a default naming the business): ", ""),
        ("Step 4 of 4: knowledge (optional)", None),
        ("Files, comma-separated: ", ""),
        ("Web pages, comma-separated: ", "https://carol.example/faq, https://carol.example/team"),
        ("FAQ text: ", "We open at 8."),
    ])
    assert code == 0, screen
    onboarded = json.loads(stdout)
    assert onboarded["status"] == "live"
    assert onboarded["tenant"]["slug"] == "carol-dental"
    assert onboarded["tenant"]["contact_email"] == "carol@carol.example"
    assert onboarded["agent"]["slug"] == "carol-dental-receptionist"
    assert onboarded["agent"]["name"] == "Carol Dental receptionist"
    assert onboarded["agent"]["personality"] == "friendly"
    assert onboarded["agent"]["voice_id"] == GEORGE
    assert onboarded["agent"]["first_message"] == "Hi, Carol Dental here."
    assert onboarded["number"]["e164"] == e164
    assert sorted(d["source"] for d in onboarded["documents"] if d["source_kind"] == "url") == [
        "https://carol.example/faq", "https://carol.example/team"]
    assert len(onboarded["documents"]) == 3
    assert len(sandbox_agents(sandbox)) == 1 and len(sandbox_documents(sandbox)) == 3


def test_script_mode_never_asks_and_names_the_missing_flag(live, sandbox):
    buy_numbers(live, 1)
    before = world_state(live, sandbox)
    result = live.run("onboard", "--tenant", "carol", "--name", "Carol")
    assert result.returncode == 2
    assert "--agent-name" in error_line(result)
    assert world_state(live, sandbox) == before


def test_problems_found_before_the_first_step_change_nothing(live, sandbox, tmp_path):
    (e164,) = buy_numbers(live, 1)
    create_tenant(live, "taken", "Taken")
    base = ["onboard", "--name", "Carol", "--agent-name", "Carol Desk"]
    before = world_state(live, sandbox)
    cases = [
        (base + ["--tenant", "carol", "--voice", "Georgie"], 3, "George"),
        (base + ["--tenant", "Carol Dental"], 2, "Carol Dental"),
        (base + ["--tenant", "taken"], 4, '"taken"'),
        (base + ["--tenant", "carol", "--file", "/bin/ls"], 2, "/bin/ls"),
        (base + ["--tenant", "carol", "--url", "ftp://carol.example/faq"], 2, "ftp://"),
        (base + ["--tenant", "carol", "--prompt", ""], 2, "prompt"),
        (base + ["--tenant", "carol", "--prompt-file", str(tmp_path / "none.txt")], 2, "none.txt"),
        (base + ["--tenant", "carol", "--number", "+12125550199"], 3, "+12125550199"),
        (base + ["--tenant", "carol", "--area-code", "646"], 4, "646"),
        (base + ["--tenant", "carol", "--mode", "webhook"], 2, "VAMI_ROUTER_URL"),
    ]
    for command, code, mentioned in cases:
        result = live.run(*command)
        assert result.returncode == code, (command, result.stderr)
        assert mentioned in error_line(result), (command, result.stderr)
        assert result.stdout == ""
    assert world_state(live, sandbox) == before
    assert live.rows("SELECT status FROM numbers WHERE e164 = ?", (e164,)) == [("available",)]


def without_audit(state):
    # The audit trail keeps what was done and undone; everything else must be as before.
    state = dict(state)
    state["database"] = {k: v for k, v in state["database"].items() if k != "audit"}
    return state


def test_a_failure_at_the_last_step_undoes_every_step(live, sandbox):
    (e164,) = buy_numbers(live, 1)
    # The number is gone at Twilio behind vami's back: everything checks out locally, but the
    # Agents Platform refuses to import it, after the tenant, agent and documents are made.
    (sid,) = live.rows("SELECT provider_sid FROM numbers WHERE e164 = ?", (e164,))[0]
    status, _ = sandbox.request(
        "DELETE", f"/2010-04-01/Accounts/{sandbox.account_sid}/IncomingPhoneNumbers/{sid}.json")
    assert status == 204
    before = world_state(live, sandbox)

    result = live.run("onboard", "--tenant", "carol", "--name", "Carol", "--agent-name",
                      "Carol Desk", "--number", e164, "--faq", "We open at 8.", "--url",
                      "https://carol.example/faq", "--json")
    assert result.returncode == 2, result.stderr
    assert e164 in error_line(result)
    assert result.stdout == ""
    assert "2 document(s)" in result.stderr  # it did get that far
    assert_nothing_of(live, sandbox, "carol")
    assert without_audit(world_state(live, sandbox)) == without_audit(before)


def test_a_provider_failure_half_way_undoes_every_step(live, sandbox, tmp_path, home):
    (e164,) = buy_numbers(live, 1)
    before = world_state(live, sandbox)
    sandbox.stop()
    # The same sandbox account again, now answering 500 to its 4th request: onboarding creates
    # the agent, adds the text, attaches it, then the import of the number into the Agents
    # Platform fails (a POST that vami does not repeat blindly).
    state = sandbox.process.args[sandbox.process.args.index("--state") + 1]
    failing = Sandbox(state, clean_environment(home), extra_args=["--fail-nth", "4:500"])
    try:
        vami = Vami(tmp_path, {**clean_environment(home), **failing.exports})
        result = vami.run("onboard", "--tenant", "carol", "--name", "Carol", "--agent-name",
                          "Carol Desk", "--number", e164, "--faq", "We open at 8.")
        assert result.returncode == 6, result.stderr
        line = error_line(result)
        assert "import" in line and e164 in line
        assert_nothing_of(vami, failing, "carol")
        assert without_audit(world_state(vami, failing)) == without_audit(before)
    finally:
        failing.stop()


def test_buy_if_needed_provisions_a_number_when_the_pool_has_none(live, sandbox):
    flags = ["onboard", "--tenant", "carol", "--name", "Carol", "--agent-name", "Carol Desk",
             "--area-code", "303"]
    refused = live.run(*flags)
    assert refused.returncode == 4
    assert "the pool has no available number in area code 303" in error_line(refused)
    assert "--buy-if-needed" in refused.stderr
    assert sandbox.owned() == []

    result = live.run(*flags, "--buy-if-needed", "--max-monthly-cost", "5", "--json")
    assert result.returncode == 0, result.stderr
    onboarded = json.loads(result.stdout)
    number = onboarded["number"]
    assert number["e164"].startswith("+1303") and number["agent"] == "carol-desk"
    assert f"vami: number bought: {number['e164']}" in result.stderr
    # Bought as `numbers buy` buys: one journaled operation, the number tagged with it.
    operation = onboarded["bought_operation"]
    (journaled,) = live.json("operations", "list", "--kind", "buy")
    assert journaled["id"] == operation and journaled["status"] == "completed"
    assert journaled["succeeded"] == 1
    (owned,) = sandbox.owned()
    assert owned["phone_number"] == number["e164"]
    assert owned["friendly_name"] == f"vami:default:{operation}"
    assert sandbox_imported_numbers(sandbox) == {number["e164"]:
                                                 onboarded["agent"]["provider_agent_id"]}


def test_buy_if_needed_refuses_a_number_above_the_price_cap(live, sandbox):
    result = live.run("onboard", "--tenant", "carol", "--name", "Carol", "--agent-name",
                      "Carol Desk", "--area-code", "303", "--buy-if-needed",
                      "--max-monthly-cost", "0.01")
    assert result.returncode == 4, result.stderr
    assert "--max-monthly-cost" in error_line(result)
    assert_nothing_of(live, sandbox, "carol")
    assert live.rows("SELECT count(*) FROM numbers") == [(0,)]
    assert live.rows("SELECT count(*) FROM operations") == [(0,)]
    assert sandbox.owned() == []


def test_a_failed_step_after_buying_releases_the_bought_number(live, sandbox, tmp_path, home):
    sandbox.stop()
    # Requests: the price and one search (checks), the agent, the FAQ text and its attachment,
    # the purchase, then the import into the Agents Platform, which answers 500.
    state = sandbox.process.args[sandbox.process.args.index("--state") + 1]
    failing = Sandbox(state, clean_environment(home), extra_args=["--fail-nth", "7:500"])
    try:
        vami = Vami(tmp_path, {**clean_environment(home), **failing.exports})
        result = vami.run("onboard", "--tenant", "carol", "--name", "Carol", "--agent-name",
                          "Carol Desk", "--area-code", "303", "--buy-if-needed", "--faq",
                          "We open at 8.")
        assert result.returncode == 6, result.stderr
        assert "import" in error_line(result)
        assert "vami: number bought: +1303" in result.stderr
        assert_nothing_of(vami, failing, "carol")
        # Released again, through the journal: nothing is left to pay for.
        assert failing.owned() == []
        kinds = {(o["kind"], o["status"]) for o in vami.json("operations", "list")}
        assert kinds == {("buy", "completed"), ("release", "completed")}
        assert vami.rows("SELECT status FROM numbers") == [("released",)]
    finally:
        failing.stop()
