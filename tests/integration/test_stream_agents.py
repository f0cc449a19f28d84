"""Stream agents (issue 12, items 3 and 6): a tenant's agent on the platform's own orchestrator
behind Twilio Media Streams, beside an ElevenLabs agent in the same pool, through `vami router
serve` and `vami sandbox serve` on 127.0.0.1; the sandbox's own orchestrator takes the stream
over a real WebSocket and records what Twilio sends in its state file."""
import json
import socket
import sqlite3
import threading

import pytest

from conftest import buy_numbers, create_agent, create_tenant, error_line, world_state
from test_calls_test import hop, place_call, vami_at
from test_router import Router

ORCHESTRATOR = "wss://voice.example.com/media"
# The sandbox's own orchestrator: `.invalid` never resolves, the sandbox takes it for its own.
SANDBOX_ORCHESTRATOR = "wss://sandbox.vami.invalid/stream/initech"


@pytest.fixture
def platform(live, tmp_path):
    """Tenant acme with a stream agent, globex with an ElevenLabs agent, three pool numbers and
    the router."""
    create_tenant(live, "acme", "Acme Dental")
    create_tenant(live, "globex", "Globex")
    stream = create_agent(live, "acme", "Acme Desk", "--slug", "acme-desk", "--provider", "stream",
                          "--stream-url", ORCHESTRATOR, "--param", "plan=gold",
                          "--param", "crm=hubspot", "--first-message", "Acme Dental, hello!",
                          "--voice", "alloy")
    hosted = create_agent(live, "globex", "Globex Desk", "--slug", "globex-desk")
    numbers = buy_numbers(live, 3)
    router = Router(live, tmp_path / "router.log")
    yield live, router, stream, hosted, numbers
    router.stop()


def test_a_stream_agent_is_stored_with_its_settings_and_shown_with_its_provider(platform):
    live, _router, stream, hosted, _numbers = platform
    assert stream["provider"] == "stream"
    assert stream["provider_agent_id"].startswith("stream_")
    assert stream["stream_url"] == ORCHESTRATOR
    assert list(stream["stream_parameters"].items()) == [("plan", "gold"), ("crm", "hubspot")]
    assert stream["voice_id"] == "alloy"  # no catalogue: kept as given
    assert hosted["provider"] == "elevenlabs" and hosted["stream_url"] is None
    listed = {a["slug"]: a["provider"] for a in live.json("agents", "list")}
    assert listed == {"acme-desk": "stream", "globex-desk": "elevenlabs"}
    table = live.run("agents", "list").stdout
    assert "PROVIDER" in table and "stream" in table


def test_what_a_stream_agent_cannot_do_is_refused_before_anything_changes(platform):
    live, router, _stream, _hosted, numbers = platform
    native = vami_at(live, router, "numbers", "assign", numbers[0], "--agent", "acme-desk")
    assert native.returncode == 2, native.stderr
    assert "--mode webhook" in native.stderr
    assert live.json("numbers", "show", numbers[0])["status"] == "available"

    knowledge = live.run("kb", "add", "acme-desk", "--text", "Opening hours: 9-17")
    assert knowledge.returncode == 2, knowledge.stderr
    assert live.json("kb", "list", "acme-desk") == []

    no_url = live.run("agents", "create", "--tenant", "acme", "--name", "Night Line",
                      "--provider", "stream")
    assert no_url.returncode == 2 and "--stream-url" in error_line(no_url), no_url.stderr
    wrong = live.run("agents", "create", "--tenant", "globex", "--name", "Night Line",
                     "--stream-url", ORCHESTRATOR)
    assert wrong.returncode == 2, wrong.stderr
    reserved = live.run("agents", "update", "acme-desk", "--param", "vami_tenant=globex")
    assert reserved.returncode == 2, reserved.stderr
    assert [a["slug"] for a in live.json("agents", "list")] == ["acme-desk", "globex-desk"]


def test_a_call_to_a_stream_agents_number_streams_to_the_orchestrator_with_the_tenant(platform):
    live, router, stream, _hosted, numbers = platform
    assigned = vami_at(live, router, "numbers", "assign", numbers[0], "--agent", "acme-desk",
                       "--mode", "webhook")
    assert assigned.returncode == 0, assigned.stderr

    result, report = place_call(live, router, numbers[0])
    assert result.returncode == 0, result.stderr
    assert report["passed"], report
    assert [h["hop"] for h in report["hops"]] == [
        "number", "voice_url", "router", "tenant", "agent", "answer"]
    assert hop(report, "tenant")["value"] == "acme"
    assert hop(report, "agent")["value"] == "acme-desk"
    assert hop(report, "answer")["value"] == "Acme Dental, hello!"
    call = report["call"]
    assert call["stream_url"] == ORCHESTRATOR
    assert call["provider_agent_id"] == stream["provider_agent_id"]
    parameters = call["parameters"]
    assert list(parameters)[:2] == ["vami_tenant", "vami_agent"]
    assert parameters["vami_tenant"] == "acme"
    assert parameters["vami_agent_id"] == stream["provider_agent_id"]
    assert parameters["vami_voice"] == "alloy"
    assert parameters["vami_call_sid"] == call["call_sid"]
    assert list(parameters.items())[-2:] == [("plan", "gold"), ("crm", "hubspot")]
    # Another host's orchestrator is never contacted: followed to the TwiML only, and said.
    assert call["stream"]["followed"] == "twiml" and call["stream"]["upgraded"] is False
    assert call["stream"]["address"] is None and call["stream"]["events"] == []
    assert "no WebSocket was opened" in result.stderr
    table = vami_at(live, router, "calls", "test", numbers[0])
    assert "followed to the TwiML only" in table.stdout, table.stdout

    # A changed setting reaches the next call.
    assert live.run("agents", "update", "acme-desk", "--param", "plan=silver").returncode == 0
    _, again = place_call(live, router, numbers[0])
    assert again["call"]["parameters"]["plan"] == "silver"
    assert "crm" not in again["call"]["parameters"]


def test_a_number_moves_between_an_elevenlabs_and_a_stream_agent_and_back(platform):
    live, router, _stream, _hosted, numbers = platform
    assert vami_at(live, router, "numbers", "assign", numbers[1], "--agent", "globex-desk",
                   "--mode", "webhook").returncode == 0
    _, first = place_call(live, router, numbers[1])
    assert first["passed"] and first["call"]["stream_url"] is None
    assert hop(first, "agent")["value"] == "globex-desk"

    assert vami_at(live, router, "numbers", "reassign", numbers[1], "--agent",
                   "acme-desk").returncode == 0
    _, moved = place_call(live, router, numbers[1])
    assert moved["passed"], moved
    assert (hop(moved, "tenant")["value"], hop(moved, "agent")["value"]) == ("acme", "acme-desk")
    assert moved["call"]["stream_url"] == ORCHESTRATOR

    assert vami_at(live, router, "numbers", "reassign", numbers[1], "--agent",
                   "globex-desk").returncode == 0
    _, back = place_call(live, router, numbers[1])
    assert back["passed"] and hop(back, "agent")["value"] == "globex-desk"

    # Reconcile finds the pool in sync with both providers.
    reconcile = vami_at(live, router, "reconcile", "--json")
    assert reconcile.returncode == 0, reconcile.stdout + reconcile.stderr
    report = json.loads(reconcile.stdout)
    assert all(f["kind"] == "in_sync" for f in report["findings"]), report["findings"]


def test_deleting_the_stream_tenant_leaves_the_other_one_alone(platform):
    live, router, _stream, _hosted, numbers = platform
    assert vami_at(live, router, "numbers", "assign", numbers[0], "--agent", "acme-desk",
                   "--mode", "webhook").returncode == 0
    deleted = vami_at(live, router, "tenants", "delete", "acme", "--yes")
    assert deleted.returncode == 0, deleted.stderr
    assert [a["slug"] for a in live.json("agents", "list")] == ["globex-desk"]
    assert live.json("numbers", "show", numbers[0])["status"] == "available"


def test_onboarding_a_stream_tenant_ends_with_a_test_call_that_reaches_the_orchestrator(platform):
    live, router, _stream, _hosted, numbers = platform
    result = vami_at(live, router, "onboard", "--tenant", "initech", "--name", "Initech",
                     "--number", numbers[2], "--mode", "webhook", "--agent-name", "Initech Desk",
                     "--agent-provider", "stream", "--stream-url", ORCHESTRATOR,
                     "--param", "plan=bronze", "--first-message", "Initech, hello!", "--json")
    assert result.returncode == 0, result.stderr
    onboarded = json.loads(result.stdout)
    assert onboarded["status"] == "live", onboarded["test_call"]
    assert onboarded["agent"]["provider"] == "stream"
    assert onboarded["number"]["routing_mode"] == "webhook"
    call = onboarded["test_call"]["call"]
    assert call["stream_url"] == ORCHESTRATOR
    assert call["parameters"]["vami_tenant"] == "initech"
    assert call["parameters"]["plan"] == "bronze"

    # Natively, or with knowledge, it is refused before the tenant exists.
    for extra in (("--mode", "native"), ("--mode", "webhook", "--faq", "Open 9-17")):
        refused = vami_at(live, router, "onboard", "--tenant", "hooli", "--name", "Hooli",
                          "--number", numbers[1], "--agent-name", "Hooli Desk",
                          "--agent-provider", "stream", "--stream-url", ORCHESTRATOR, *extra)
        assert refused.returncode == 2, refused.stderr
    assert "hooli" not in [t["slug"] for t in live.json("tenants", "list")]
    assert live.json("numbers", "show", numbers[1])["status"] == "available"


def recorded_streams(state):
    """What the sandbox's orchestrator recorded in the state file, oldest first."""
    with sqlite3.connect(state) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM media_streams ORDER BY id")]


def check_streamed(call, state):
    """The call's stream went over a WebSocket to the sandbox's orchestrator, which recorded
    Twilio's messages with the call's parameters; returns the recorded row."""
    stream = call["stream"]
    assert stream["followed"] == "websocket" and stream["upgraded"] is True, stream
    assert stream["events"] == ["connected", "start", "media", "media", "stop"]
    assert stream["media_messages"] == 2 and stream["close_code"] == 1000
    assert stream["error"] is None and stream["stream_sid"].startswith("MZ")
    assert stream["address"].startswith("ws://127.0.0.1:")
    rows = [r for r in recorded_streams(state) if r["stream_sid"] == stream["stream_sid"]]
    assert len(rows) == 1, rows
    row = rows[0]
    assert row["call_sid"] == call["call_sid"]
    assert (row["protocol"], row["version"]) == ("Call", "1.0.0")
    assert json.loads(row["tracks"]) == ["inbound"]
    assert json.loads(row["media_format"]) == {
        "encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
    # The report's parameters are those the orchestrator received, in order.
    assert list(json.loads(row["custom_parameters"]).items()) == list(call["parameters"].items())
    return row


def test_onboarding_a_stream_tenant_on_the_sandboxs_orchestrator_crosses_a_websocket(
        live, sandbox, tmp_path):
    router = Router(live, tmp_path / "router.log")
    try:
        number = buy_numbers(live, 1)[0]
        result = vami_at(live, router, "onboard", "--tenant", "initech", "--name", "Initech",
                         "--number", number, "--mode", "webhook", "--agent-name", "Initech Desk",
                         "--agent-provider", "stream", "--stream-url", SANDBOX_ORCHESTRATOR,
                         "--param", "plan=bronze", "--first-message", "Initech, hello!", "--json")
        assert result.returncode == 0, result.stderr
        onboarded = json.loads(result.stdout)
        assert onboarded["status"] == "live", onboarded["test_call"]
        call = onboarded["test_call"]["call"]
        row = check_streamed(call, tmp_path / "served-sandbox.db")
        assert row["path"] == "/stream/initech"
        parameters = json.loads(row["custom_parameters"])
        assert parameters["vami_tenant"] == "initech" and parameters["plan"] == "bronze"
        assert parameters["vami_call_sid"] == call["call_sid"]

        # `calls test` again, in a table: the upgrade and what the orchestrator recorded.
        table = vami_at(live, router, "calls", "test", number)
        assert table.returncode == 0, table.stderr
        assert "WebSocket upgraded at ws://127.0.0.1:" in table.stdout, table.stdout
        assert "connected, start, 2 media, stop" in table.stdout
        assert "no WebSocket was opened" not in table.stderr

        # The orchestrator's own loopback URL, as `sandbox serve` prints it, works too.
        note = ""
        while "orchestrator" not in note:
            note = sandbox.process.stderr.readline()
            assert note, "sandbox serve printed no orchestrator URL"
        local = note.split("on ws://", 1)[1].split("/stream/NAME", 1)[0]
        updated = live.run("agents", "update", "initech-desk",
                           "--stream-url", f"ws://{local}/stream/initech-local")
        assert updated.returncode == 0, updated.stderr
        again, report = place_call(live, router, number)
        assert again.returncode == 0, again.stderr
        assert report["call"]["stream"]["address"] == f"ws://{local}/stream/initech-local"
        assert check_streamed(report["call"], tmp_path / "served-sandbox.db")["path"] == \
            "/stream/initech-local"
    finally:
        router.stop()


def test_the_embedded_sandbox_streams_to_its_orchestrator_too(vami, tmp_path):
    """No `sandbox serve`: vami's in-process sandbox starts its orchestrator for the call."""
    router = Router(vami, tmp_path / "router.log")
    try:
        create_tenant(vami, "initech", "Initech")
        create_agent(vami, "initech", "Initech Desk", "--slug", "initech-desk",
                     "--provider", "stream", "--stream-url", SANDBOX_ORCHESTRATOR,
                     "--param", "plan=bronze")
        number = buy_numbers(vami, 1)[0]
        assert vami_at(vami, router, "numbers", "assign", number, "--agent", "initech-desk",
                       "--mode", "webhook").returncode == 0
        result, report = place_call(vami, router, number)
        assert result.returncode == 0, result.stderr
        assert report["passed"], report
        state = json.loads(vami.run("init", "--json").stdout)["sandbox_state"]
        row = check_streamed(report["call"], state)
        assert json.loads(row["custom_parameters"])["plan"] == "bronze"
    finally:
        router.stop()


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it is offered and closes each at
    once: vami's proxy in the "real account" test, so that anything vami sends towards the
    internet lands here instead (and nothing leaves the machine)."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.settimeout(0.1)
        self.url = "http://127.0.0.1:%d" % self.socket.getsockname()[1]
        self.connections = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                connection, _ = self.socket.accept()
            except socket.timeout:
                continue
            self.connections += 1
            connection.close()

    def stop(self):
        self.stopping.set()
        self.thread.join()
        self.socket.close()


def test_a_real_twilio_account_is_refused_stream_urls_only_the_sandbox_reaches(live, sandbox):
    """With a Twilio base URL that is not on this machine (a real account), the sandbox's
    orchestrator and loopback stream URLs are refused before anything is contacted or changed;
    with the served sandbox's loopback base URL they are taken."""
    router_url = "https://router.example.com/twilio/voice"
    # On the served sandbox (a loopback Twilio base URL): the sandbox's orchestrator is taken.
    create_tenant(live, "initech", "Initech")
    sandboxed = create_agent(live, "initech", "Initech Desk", "--slug", "initech-desk",
                             "--provider", "stream", "--stream-url", SANDBOX_ORCHESTRATOR)
    assert sandboxed["stream_url"] == SANDBOX_ORCHESTRATOR
    number = buy_numbers(live, 1)[0]

    # The same credentials on a "real" Twilio base URL: every request vami would send goes to a
    # local proxy that counts connections (api.twilio.example never resolves; nothing leaves).
    proxy = Listener()
    real = {"VAMI_TWILIO_BASE_URL": "https://api.twilio.example",
            "VAMI_TWILIO_PRICING_BASE_URL": "https://pricing.twilio.example",
            "VAMI_TWILIO_TRUNKING_BASE_URL": "https://trunking.twilio.example"}
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "all_proxy", "ALL_PROXY"):
        real[name] = proxy.url
    # The served sandbox's ElevenLabs and Synthflow stay reachable on loopback.
    real["no_proxy"] = real["NO_PROXY"] = "127.0.0.1,localhost"
    try:
        before = world_state(live, sandbox)
        attempts = [
            ("agents", "create", "--tenant", "initech", "--name", "Night Line", "--provider",
             "stream", "--stream-url", SANDBOX_ORCHESTRATOR),
            ("agents", "create", "--tenant", "initech", "--name", "Night Line", "--provider",
             "stream", "--stream-url", "ws://127.0.0.1:9/media"),
            ("agents", "update", "initech-desk", "--stream-url", "wss://localhost/media"),
            ("--router-url", router_url, "numbers", "assign", number, "--agent", "initech-desk",
             "--mode", "webhook"),
            ("--router-url", router_url, "onboard", "--tenant", "hooli", "--name", "Hooli",
             "--number", number, "--mode", "webhook", "--agent-name", "Hooli Desk",
             "--agent-provider", "stream", "--stream-url", "wss://sandbox.vami.invalid/stream/h",
             "--yes"),
        ]
        for args in attempts:
            refused = live.run(*args, env=real)
            assert refused.returncode == 2, (args, refused.stderr)
            line = error_line(refused)
            assert "Twilio can never reach" in line and "real one" in line, line
            assert "wss://" in refused.stderr  # what to use instead
        assert "vami agents update initech-desk --stream-url" in \
            live.run(*attempts[3], env=real).stderr
        assert proxy.connections == 0, "a refused command contacted the network"
        assert world_state(live, sandbox) == before

        # The proxy does see what vami sends once the URL is one Twilio can reach: the count
        # above could have failed.
        public = live.run("agents", "update", "initech-desk", "--stream-url", ORCHESTRATOR,
                          env=real)
        assert public.returncode == 0, public.stderr
        sent = live.run("--router-url", router_url, "numbers", "assign", number, "--agent",
                        "initech-desk", "--mode", "webhook", env=real)
        assert sent.returncode != 0 and proxy.connections > 0, (sent.returncode, sent.stderr)
    finally:
        proxy.stop()
