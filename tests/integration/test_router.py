"""`vami router serve` against `vami sandbox serve`, both on 127.0.0.1, with requests signed as
Twilio and ElevenLabs sign them (issue 11, item 1)."""
import base64
import hashlib
import hmac
import json
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import VAMI, Sandbox, Vami, buy_numbers, clean_environment, create_agent, create_tenant

WEBHOOK_SECRET = "wsec_router_test_secret_0123456789"
CALLER = "+14155550123"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def twilio_signature(token, url, params):
    """What Twilio sends as X-Twilio-Signature (names sorted, then values; no delimiters)."""
    signed = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def elevenlabs_signature(secret, body, timestamp=None):
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v0={digest}"


class Router:
    """`vami router serve` on a free loopback port, its public URL that same address."""

    def __init__(self, vami, log, extra_env=None, args=(), port=None):
        self.port = port or free_port()
        self.public_url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**vami.env, "VAMI_ELEVENLABS_WEBHOOK_SECRET": WEBHOOK_SECRET, **(extra_env or {})}
        self.process = subprocess.Popen(
            [VAMI, "--db", str(vami.db), "router", "serve", "--listen", f"127.0.0.1:{self.port}",
             "--public-url", self.public_url, "--log", str(log), *args],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            text=True)
        self.stderr = []
        while True:
            line = self.process.stderr.readline()
            if not line:
                raise RuntimeError("router serve exited: " + "".join(self.stderr) +
                                   self.process.stderr.read())
            self.stderr.append(line)
            if "router listening on" in line:
                break

    def post(self, path, body, headers):
        request = urllib.request.Request(self.public_url + path, data=body.encode(),
                                         method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers.get("Content-Type"), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type"), error.read().decode()

    def get(self, path):
        with urllib.request.urlopen(self.public_url + path, timeout=30) as response:
            return response.status, response.read().decode()

    def voice(self, params, token, path="/twilio/voice", signature=None):
        """A voice webhook as Twilio sends it, signed with `token`."""
        body = urllib.parse.urlencode(params)
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
                   "X-Twilio-Signature": signature if signature is not None
                   else twilio_signature(token, self.public_url + path, params)}
        return self.post(path, body, headers)

    def log_lines(self, count=0, where=lambda line: True):
        """The access log's lines that `where` accepts, once there are at least `count`: a line
        is written just after its response is sent, by the thread that sent it."""
        deadline = time.monotonic() + 10
        while True:
            lines = [json.loads(line) for line in self.log.read_text().splitlines() if line]
            lines = [line for line in lines if where(line)]
            if len(lines) >= count or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)

    def stop(self, sig=signal.SIGTERM):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def call(sandbox, to, call_sid="CA0123456789abcdef0123456789abcdef", caller=CALLER):
    return [("AccountSid", sandbox.account_sid), ("ApiVersion", "2010-04-01"),
            ("CallSid", call_sid), ("CallStatus", "ringing"), ("Called", to),
            ("Caller", caller), ("Direction", "inbound"), ("From", caller), ("To", to)]


@pytest.fixture
def platform(live, sandbox, tmp_path):
    """Two tenants, each with an agent; three pool numbers; the router running."""
    create_tenant(live, "acme", "Acme Dental")
    create_tenant(live, "globex", "Globex")
    agents = {"acme-desk": create_agent(live, "acme", "Acme Desk")["provider_agent_id"],
              "globex-desk": create_agent(live, "globex", "Globex Desk")["provider_agent_id"]}
    numbers = buy_numbers(live, 3)
    router = Router(live, tmp_path / "router.log")
    yield live, router, agents, numbers
    router.stop()


def assign(live, router, *args):
    result = live.run("--router-url", router.public_url + "/twilio/voice", "numbers", "assign",
                      *args)
    assert result.returncode == 0, result.stderr


def test_webhook_numbers_of_two_tenants_reach_their_agents(platform, sandbox):
    live, router, agents, numbers = platform
    assign(live, router, numbers[0], "--agent", "acme-desk", "--mode", "webhook")
    assign(live, router, numbers[1], "--agent", "globex-desk", "--mode", "webhook")
    voice_url = {n["phone_number"]: n["voice_url"] for n in sandbox.owned()}[numbers[0]]
    path = voice_url.removeprefix(router.public_url)  # Twilio requests the voice URL, query too

    status, content_type, twiml = router.voice(call(sandbox, numbers[0]), sandbox.auth_token, path)
    assert status == 200 and content_type.startswith("text/xml"), twiml
    assert "<Connect><Stream" in twiml
    assert f'<Parameter name="agent_id" value="{agents["acme-desk"]}"/>' in twiml
    assert '<Parameter name="vami_tenant" value="acme"/>' in twiml
    assert '<Parameter name="vami_call_sid" value="CA0123456789abcdef0123456789abcdef"/>' in twiml

    status, _, twiml = router.voice(call(sandbox, numbers[1]), sandbox.auth_token)
    assert status == 200
    assert f'<Parameter name="agent_id" value="{agents["globex-desk"]}"/>' in twiml
    assert '<Parameter name="vami_tenant" value="globex"/>' in twiml

    lines = router.log_lines(2, lambda l: l.get("route") == "/twilio/voice")
    assert sorted((l["outcome"], l["tenant"], l["agent"]) for l in lines) == [
        ("connected", "acme", "acme-desk"), ("connected", "globex", "globex-desk")]
    # The caller's number is masked; no secret is logged.
    assert all(l["from"] == "+1********23" for l in lines)
    log_text = router.log.read_text()
    assert CALLER not in log_text and sandbox.auth_token not in log_text
    assert WEBHOOK_SECRET not in log_text

    _, metrics = router.get("/metrics")
    assert 'vami_router_requests_total{route="/twilio/voice",outcome="connected"} 2' in metrics
    assert 'vami_router_calls_routed_total{tenant="acme"} 1' in metrics
    assert "vami_router_provider_latency_seconds_count 2" in metrics
    assert router.get("/healthz") == (200, '{"status":"ok"}')


def test_a_reassigned_number_reaches_the_new_agent_and_an_unassigned_one_is_rejected(
        platform, sandbox):
    live, router, agents, numbers = platform
    assign(live, router, numbers[0], "--agent", "acme-desk", "--mode", "webhook")
    _, _, twiml = router.voice(call(sandbox, numbers[0]), sandbox.auth_token)
    assert f'value="{agents["acme-desk"]}"' in twiml
    result = live.run("--router-url", router.public_url + "/twilio/voice", "numbers", "reassign",
                      numbers[0], "--agent", "globex-desk")
    assert result.returncode == 0, result.stderr
    _, _, twiml = router.voice(call(sandbox, numbers[0]), sandbox.auth_token)
    assert f'value="{agents["globex-desk"]}"' in twiml

    reject = '<?xml version="1.0" encoding="UTF-8"?><Response><Reject reason="rejected"/></Response>'
    # Never assigned, a number the pool does not hold, and one unassigned again.
    for to in (numbers[2], "+12125550000"):
        status, _, twiml = router.voice(call(sandbox, to), sandbox.auth_token)
        assert (status, twiml) == (200, reject)
    result = live.run("numbers", "unassign", numbers[0])
    assert result.returncode == 0, result.stderr
    assert router.voice(call(sandbox, numbers[0]), sandbox.auth_token)[2] == reject
    reasons = [l["reason"] for l in router.log_lines(3, lambda l: l.get("outcome") == "rejected")]
    assert sorted(reasons) == ["not_assigned", "not_assigned", "not_in_pool"]


def test_forged_and_resigned_requests_are_refused_and_logged(platform, sandbox):
    live, router, agents, numbers = platform
    assign(live, router, numbers[0], "--agent", "acme-desk", "--mode", "webhook")
    params = call(sandbox, numbers[0])
    # Signed with another account's token, not signed, signed for other parameters.
    assert router.voice(params, "f" * 32)[0] == 403
    assert router.voice(params, sandbox.auth_token, signature="")[0] == 403
    signature = twilio_signature(sandbox.auth_token, router.public_url + "/twilio/voice", params)
    forged = [(k, "+12125550000" if k == "To" else v) for k, v in params]
    assert router.voice(forged, sandbox.auth_token, signature=signature)[0] == 403
    # Another account's SID with a signature made with its own (unknown) token.
    other = [(k, "AC" + "b" * 32 if k == "AccountSid" else v) for k, v in params]
    assert router.voice(other, "b" * 32)[0] == 403
    # Signed for another URL (a replay to a different path or with another port).
    wrong_url = twilio_signature(sandbox.auth_token, "http://127.0.0.1:1/twilio/voice", params)
    assert router.voice(params, sandbox.auth_token, signature=wrong_url)[0] == 403
    # The genuine request still passes.
    assert router.voice(params, sandbox.auth_token)[0] == 200

    refused = router.log_lines(5, lambda l: l.get("outcome") == "forbidden")
    assert sorted(l["reason"] for l in refused) == [
        "bad_signature", "bad_signature", "bad_signature", "missing_signature", "unknown_account"]
    assert all(l["status"] == 403 for l in refused)
    _, metrics = router.get("/metrics")
    assert 'vami_router_signature_rejects_total{route="/twilio/voice"} 5' in metrics


def test_hostile_requests_get_4xx_without_affecting_calls(platform, sandbox):
    live, router, agents, numbers = platform
    assign(live, router, numbers[0], "--agent", "acme-desk", "--mode", "webhook")
    params = call(sandbox, numbers[0])
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    # Oversized body.
    status, _, _ = router.post("/twilio/voice", "Body=" + "x" * 200_000, form)
    assert status == 413
    # A malformed form, even correctly signed.
    body = "To=%zz&From=" + CALLER
    status, _, _ = router.post("/twilio/voice", body, {**form, "X-Twilio-Signature": "x"})
    assert status == 400
    # Not a form at all.
    assert router.post("/twilio/voice", "{}", {"Content-Type": "application/json"})[0] == 415
    # 10,000 headers, sent raw.
    with socket.create_connection(("127.0.0.1", router.port), timeout=30) as raw:
        raw.sendall(b"POST /twilio/voice HTTP/1.1\r\nHost: x\r\n" +
                    b"".join(b"X-H%d: v\r\n" % i for i in range(10_000)) +
                    b"Content-Length: 0\r\n\r\n")
        reply = raw.recv(4096)
    assert reply.startswith(b"HTTP/1.1 4"), reply[:100]
    # Unknown routes.
    assert router.post("/nowhere", "", form)[0] == 404
    # Calls still go through.
    status, _, twiml = router.voice(params, sandbox.auth_token)
    assert status == 200 and agents["acme-desk"] in twiml
    assert router.get("/healthz")[0] == 200


def test_a_keep_alive_connection_carries_many_webhooks(platform, sandbox):
    """Twilio and a proxy in front reuse connections: the router keeps one open for many requests
    instead of closing it every 5 (httplib's default), which cost a new TCP connection and a
    worker hand-off per 5 calls."""
    import http.client
    live, router, agents, numbers = platform
    connection = http.client.HTTPConnection("127.0.0.1", router.port, timeout=30)
    connection.connect()
    local = connection.sock.getsockname()
    for index in range(50):
        params = call(sandbox, "+12125550000", call_sid=f"CA{index:032x}")
        body = urllib.parse.urlencode(params)
        connection.request("POST", "/twilio/voice", body, {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": twilio_signature(sandbox.auth_token,
                                                   router.public_url + "/twilio/voice", params)})
        response = connection.getresponse()
        assert response.status == 200 and "<Reject" in response.read().decode()
        assert (response.getheader("Connection") or "").lower() != "close", index
        assert connection.sock is not None and connection.sock.getsockname() == local, index
    connection.close()


def test_post_call_webhooks_are_verified(platform):
    live, router, agents, numbers = platform
    body = json.dumps({"type": "post_call_transcription", "event_timestamp": int(time.time()),
                       "data": {"agent_id": agents["acme-desk"], "conversation_id": "conv_1"}})
    headers = {"Content-Type": "application/json"}
    status, _, answer = router.post("/elevenlabs/post-call", body, {
        **headers, "ElevenLabs-Signature": elevenlabs_signature(WEBHOOK_SECRET, body)})
    assert status == 200, answer
    for signature in (elevenlabs_signature("wrong", body),
                      elevenlabs_signature(WEBHOOK_SECRET, body, int(time.time()) - 31 * 60), ""):
        status, _, _ = router.post("/elevenlabs/post-call", body,
                                   {**headers, "ElevenLabs-Signature": signature})
        assert status == 403
    reasons = [l["reason"] for l in router.log_lines(3, lambda l: l.get("outcome") == "forbidden")]
    assert sorted(reasons) == ["expired_signature", "mismatch_signature", "missing_signature"]


def test_sigterm_stops_the_router_with_exit_0(platform):
    live, router, agents, numbers = platform
    assert router.get("/healthz")[0] == 200
    assert router.stop(signal.SIGTERM) == 0
    events = [l.get("event") for l in router.log_lines()]
    assert events[0] == "start" and events[-1] == "stop"


def test_a_slow_agent_provider_gets_an_apology(tmp_path, home):
    slow = Sandbox(tmp_path / "slow.db", clean_environment(home), latency_ms=1500)
    live = Vami(tmp_path, {**clean_environment(home), **slow.exports})
    router = None
    try:
        create_tenant(live, "acme", "Acme Dental")
        create_agent(live, "acme", "Acme Desk")
        (e164,) = buy_numbers(live, 1)
        router = Router(live, tmp_path / "router.log", args=("--budget-ms", "500"))
        assign(live, router, e164, "--agent", "acme-desk", "--mode", "webhook")
        status, _, twiml = router.voice(call(slow, e164), slow.auth_token)
        assert status == 200
        assert "<Say>We&apos;re sorry" in twiml and twiml.endswith("<Hangup/></Response>")
        (line,) = router.log_lines(1, lambda l: l.get("outcome") == "failed")
        assert line["reason"] in ("over_budget", "provider_error") and line["tenant"] == "acme"
    finally:
        if router:
            router.stop()
        slow.stop()


def test_the_router_refuses_to_start_without_its_secrets(live, sandbox, tmp_path):
    result = live.run("router", "serve", "--listen", "127.0.0.1:0", "--public-url",
                      "http://127.0.0.1:8080", timeout=30)
    assert result.returncode == 5, result.stderr
    assert "ElevenLabs webhook secret" in result.stderr
    env = {"VAMI_ELEVENLABS_WEBHOOK_SECRET": WEBHOOK_SECRET, "TWILIO_AUTH_TOKEN": ""}
    no_token = {**live.env, **env}
    del no_token["TWILIO_AUTH_TOKEN"]
    result = subprocess.run([VAMI, "--db", str(live.db), "router", "serve", "--public-url",
                             "http://127.0.0.1:8080"], env=no_token, capture_output=True,
                            text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert result.returncode == 5, result.stderr
    assert "Twilio Auth Token" in result.stderr
    result = live.run("router", "serve", "--public-url", "http://router.example.com",
                      env={"VAMI_ELEVENLABS_WEBHOOK_SECRET": WEBHOOK_SECRET}, timeout=30)
    assert result.returncode == 2 and "plain http" in result.stderr


def test_insecure_mode_warns_loudly(live, sandbox, tmp_path):
    router = Router(live, tmp_path / "router.log", extra_env={"VAMI_ELEVENLABS_WEBHOOK_SECRET": ""},
                    args=("--insecure-no-signatures",))
    try:
        assert any("WARNING: --insecure-no-signatures" in line for line in router.stderr)
        status, _, twiml = router.voice(call(sandbox, "+12125550000"), "", signature="")
        assert status == 200 and "<Reject" in twiml
    finally:
        router.stop()


def test_status_callbacks_and_post_call_webhooks_are_recorded_once(platform, sandbox):
    live, router, agents, numbers = platform
    assign(live, router, numbers[0], "--agent", "acme-desk", "--mode", "webhook")
    call_sid = "CA" + "1" * 32
    assert router.voice(call(sandbox, numbers[0], call_sid), sandbox.auth_token)[0] == 200
    status = call(sandbox, numbers[0], call_sid)
    status = [(k, "completed" if k == "CallStatus" else v) for k, v in status]
    status += [("CallDuration", "42"), ("Timestamp", "Sat, 05 Dec 2026 00:40:00 +0000")]
    assert router.voice(status, sandbox.auth_token, path="/twilio/status")[0] == 204

    body = json.dumps({"type": "post_call_transcription", "event_timestamp": int(time.time()),
                       "data": {
                           "agent_id": agents["acme-desk"], "conversation_id": "conv_acme_1",
                           "status": "done",
                           "transcript": [{"role": "agent", "message": "Hello, Acme Dental.",
                                           "time_in_call_secs": 0},
                                          {"role": "user", "message": "Are you open?",
                                           "time_in_call_secs": 3}],
                           "metadata": {"start_time_unix_secs": 1796000000,
                                        "call_duration_secs": 41, "cost": 296,
                                        "cost_fiat": 0.1234},
                           "analysis": {"call_successful": "success",
                                        "transcript_summary": "Asked about opening hours."},
                           "conversation_initiation_client_data": {
                               "user_id": "acme",
                               "dynamic_variables": {"vami_tenant": "acme",
                                                     "vami_call_sid": call_sid}}}})
    headers = {"Content-Type": "application/json"}
    for _ in range(2):  # a redelivery changes nothing
        status_code, _, _ = router.post("/elevenlabs/post-call", body, {
            **headers, "ElevenLabs-Signature": elevenlabs_signature(WEBHOOK_SECRET, body)})
        assert status_code == 200
    rows = live.rows("SELECT call_sid, conversation_id, number, caller, tenant_slug, agent_slug, "
                     "status, duration_seconds, agent_cost_micros, agent_credits, outcome, "
                     "summary, source FROM calls")
    assert rows == [(call_sid, "conv_acme_1", numbers[0], CALLER, "acme", "acme-desk",
                     "completed", 42, 123400, 296, "success", "Asked about opening hours.",
                     "router")]
    recorded = router.log_lines(3, lambda l: l.get("outcome") == "recorded")
    assert sorted(l["reason"] for l in recorded) == ["created", "unchanged", "updated"]

    failure = json.dumps({"type": "call_initiation_failure", "event_timestamp": int(time.time()),
                          "data": {"agent_id": agents["globex-desk"],
                                   "conversation_id": "conv_globex_1", "failure_reason": "busy"}})
    audio = json.dumps({"type": "post_call_audio", "event_timestamp": int(time.time()),
                        "data": {"agent_id": agents["globex-desk"],
                                 "conversation_id": "conv_globex_1", "full_audio": "AAAA"}})
    for event in (failure, audio):
        status_code, _, _ = router.post("/elevenlabs/post-call", event, {
            **headers, "ElevenLabs-Signature": elevenlabs_signature(WEBHOOK_SECRET, event)})
        assert status_code == 200
    assert live.rows("SELECT tenant_slug, agent_slug, status, failure_reason FROM calls "
                     "WHERE conversation_id = 'conv_globex_1'") == [
        ("globex", "globex-desk", "failed-to-start", "busy")]


def test_a_suspended_number_gets_its_message_not_its_agent(platform, sandbox):
    live, router, agents, numbers = platform
    assign(live, router, numbers[0], "--agent", "acme-desk", "--mode", "webhook")
    result = live.run("numbers", "suspend", numbers[0], "--message", "Acme's line is closed.")
    assert result.returncode == 0, result.stderr
    status, _, twiml = router.voice(call(sandbox, numbers[0]), sandbox.auth_token)
    assert status == 200
    assert twiml.endswith("<Say>Acme&apos;s line is closed.</Say><Hangup/></Response>"), twiml
    assert agents["acme-desk"] not in twiml


def test_a_call_in_flight_is_answered_before_sigterm_stops_the_router(tmp_path, home):
    import threading
    slow = Sandbox(tmp_path / "slow.db", clean_environment(home), latency_ms=1500)
    live = Vami(tmp_path, {**clean_environment(home), **slow.exports})
    router = None
    try:
        create_tenant(live, "acme", "Acme Dental")
        agent = create_agent(live, "acme", "Acme Desk")["provider_agent_id"]
        (e164,) = buy_numbers(live, 1)
        router = Router(live, tmp_path / "router.log")
        assign(live, router, e164, "--agent", "acme-desk", "--mode", "webhook")
        answers = []
        caller = threading.Thread(
            target=lambda: answers.append(router.voice(call(slow, e164), slow.auth_token)))
        caller.start()
        time.sleep(0.5)  # the register-call is on its way to the sandbox
        assert router.stop(signal.SIGTERM) == 0
        caller.join(timeout=30)
        (status, _, twiml), = answers
        assert status == 200 and f'value="{agent}"' in twiml
    finally:
        if router:
            router.stop()
        slow.stop()


@pytest.mark.skipif(subprocess.run(["which", "openssl"], capture_output=True).returncode != 0,
                    reason="no openssl command")
def test_the_router_serves_https_with_its_certificate(live, sandbox, tmp_path):
    import ssl
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    port = free_port()
    env = {**live.env, "VAMI_ELEVENLABS_WEBHOOK_SECRET": WEBHOOK_SECRET}
    process = subprocess.Popen(
        [VAMI, "--db", str(live.db), "router", "serve", "--listen", f"127.0.0.1:{port}",
         "--public-url", f"https://127.0.0.1:{port}", "--tls-cert", str(cert), "--tls-key",
         str(key), "--log", str(tmp_path / "tls.log")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        text=True)
    try:
        assert "router listening on https://" in process.stderr.readline()
        context = ssl.create_default_context(cafile=str(cert))
        url = f"https://127.0.0.1:{port}/twilio/voice"
        params = call(sandbox, "+12125550000")
        request = urllib.request.Request(
            url, data=urllib.parse.urlencode(params).encode(),
            headers={"X-Twilio-Signature": twilio_signature(sandbox.auth_token, url, params)})
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            assert response.status == 200 and "<Reject" in response.read().decode()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    broken = live.run("router", "serve", "--public-url", "https://router.example.com",
                      "--tls-cert", str(key), "--tls-key", str(key),
                      env={"VAMI_ELEVENLABS_WEBHOOK_SECRET": WEBHOOK_SECRET}, timeout=30)
    assert broken.returncode == 2 and "TLS certificate" in broken.stderr
