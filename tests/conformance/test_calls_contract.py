"""The requests of the call router's half of vami, checked against the official documents with
zero violations (issue 11): `vami router setup` (ElevenLabs workspace webhooks and
`/v1/convai/settings`, Twilio's voice webhook with its status callback), `vami router serve`
answering a signed voice webhook (ElevenLabs `register-call`), and `vami calls sync` (Twilio's
Calls list, ElevenLabs' conversations list and details).

The mocks are stateless and answer with the documents' examples (or values made from the
schemas), so this checks what vami sends and that it parses what the providers document; the
flow is chosen to work with that: the webhook `router setup` creates is never in the listed
webhooks, so the second run creates another (and nothing is deleted: DELETE is checked against
the document by the unit tests)."""
import base64
import hashlib
import hmac
import http.server
import json
import os
import re
import socket
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import API_MOCKS, VAMI

ACCOUNT_SID = "AC" + "a" * 32
AUTH_TOKEN = "b" * 32


def served_requests(log_text):
    return re.findall(r"\[HTTP SERVER\] (get|post|delete|patch|put) (\S+)", log_text)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def twilio_signature(token, url, params):
    signed = url + "".join(name + value for name, value in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


class OnePageProxy:
    """A loopback HTTP proxy to one mock that ends the Calls and conversations lists after their
    first page (see the module's note); everything else passes through as it is."""

    def __init__(self, upstream):
        upstream = upstream.rstrip("/")

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "content-length", "connection")}
                request = urllib.request.Request(upstream + self.path, data=body,
                                                 method=self.command, headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:
                        status, answer, kind = (response.status, response.read(),
                                                response.headers.get("Content-Type", ""))
                except urllib.error.HTTPError as error:
                    status, answer, kind = (error.code, error.read(),
                                            error.headers.get("Content-Type", ""))
                path = self.path.split("?")[0]
                if status == 200 and self.command == "GET" and (
                        path.endswith("/Calls.json") or path == "/v1/convai/conversations"):
                    page = json.loads(answer)
                    if "next_page_uri" in page:
                        page["next_page_uri"] = None
                    if "has_more" in page:
                        page["has_more"] = False
                    answer = json.dumps(page).encode()
                self.send_response(status)
                self.send_header("Content-Type", kind or "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_PATCH = do_DELETE = forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def calls_contract(mocks, tmp_path_factory):
    directory, mock_env = mocks
    home = tmp_path_factory.mktemp("calls-home")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TWILIO_", "ELEVENLABS_", "VAMI_"))}
    env.update(mock_env)
    env.update({"HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
                "XDG_CONFIG_HOME": str(home / "config"), "NO_COLOR": "1",
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "ELEVENLABS_API_KEY": "sk_" + "c" * 48})
    db = home / "vami.db"

    def run(*args, allowed=(0,), extra_env=None):
        result = subprocess.run([VAMI, "--db", str(db), *map(str, args)],
                                env={**env, **(extra_env or {})},
                                stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode in allowed, (args, result.returncode, result.stderr)
        return result

    def violations():
        result = subprocess.run([str(API_MOCKS), "violations", str(directory)],
                                capture_output=True, text=True, timeout=60)
        return result.returncode, result.stdout

    def served():
        return (served_requests((directory / "elevenlabs.log").read_text()) +
                served_requests((directory / "twilio.log").read_text()))

    return run, violations, served, env, db, home


def test_router_setup_serve_and_sync_follow_the_official_contracts(calls_contract):
    run, violations, served, env, db, home = calls_contract
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"

    run("tenants", "create", "acme", "--name", "Acme Dental", "--industry", "dental")
    agent = json.loads(run("agents", "create", "--tenant", "acme", "--name", "Front Desk",
                           "--prompt", "Book appointments.", "--json").stdout)
    bought = json.loads(run("numbers", "buy", "--count", "1", "--area-code", "212", "--yes",
                            "--json").stdout)
    e164 = bought["items"][0]["e164"]

    # The webhook and its attachment; the router URL goes into a new profile.
    setup = json.loads(run("router", "setup", "--public-url", public_url, "--json").stdout)
    assert setup["router_url"] == public_url + "/twilio/voice"
    assert setup["post_call_webhook"]["created"] is True
    config = (home / "config" / "vami" / "config.toml").read_text()
    assert "router_url" in config and "elevenlabs_webhook_secret" in config

    # Webhook routing without --router-url: the profile's router. (The mock's read-back cannot
    # match, which may leave the routing unconfirmed.)
    run("numbers", "assign", e164, "--agent", "front-desk", "--mode", "webhook", allowed=(0, 8))
    # Again: the number (at the mock, its example voice URL) is pointed at the router with the
    # status callback.
    again = run("router", "setup", "--public-url", public_url, "--json", allowed=(0, 7))
    assert json.loads(again.stdout)["numbers"][0]["e164"] == e164

    # The router answers a signed voice webhook by registering the call at ElevenLabs.
    router = subprocess.Popen(
        [VAMI, "--db", str(db), "router", "serve", "--listen", f"127.0.0.1:{port}",
         "--public-url", public_url, "--log", str(home / "router.log")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        text=True)
    try:
        for line in router.stderr:
            if "router listening on" in line:
                break
        else:
            pytest.fail("router serve exited")
        params = [("AccountSid", ACCOUNT_SID), ("CallSid", "CA" + "1" * 32),
                  ("From", "+14155550123"), ("To", e164), ("Direction", "inbound"),
                  ("CallStatus", "ringing")]
        url = public_url + "/twilio/voice"
        request = urllib.request.Request(
            url, data=urllib.parse.urlencode(params).encode(), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "X-Twilio-Signature": twilio_signature(AUTH_TOKEN, url, params)})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
            assert "<Response" in response.read().decode()
        # The router is up: route says so (GET /healthz), with no other fault than the mock's
        # voice URL.
        route = run("route", e164, "--json", allowed=(0, 8))
        assert "router_unhealthy" not in route.stdout
    finally:
        router.terminate()
        router.wait(timeout=30)

    # Call history: Twilio's Calls list, ElevenLabs' conversations and their details.
    twilio, elevenlabs = (OnePageProxy(env["VAMI_TWILIO_BASE_URL"]),
                          OnePageProxy(env["VAMI_ELEVENLABS_BASE_URL"]))
    try:
        run("calls", "sync", extra_env={"VAMI_TWILIO_BASE_URL": twilio.url,
                                        "VAMI_ELEVENLABS_BASE_URL": elevenlabs.url})
    finally:
        twilio.close()
        elevenlabs.close()

    requests = {(m, p.split("?")[0]) for m, p in served()}
    account = "/2010-04-01/Accounts/" + ACCOUNT_SID
    for method, path in [
        ("get", "/v1/workspace/webhooks"),
        ("post", "/v1/workspace/webhooks"),
        ("get", "/v1/convai/settings"),
        ("patch", "/v1/convai/settings"),
        ("post", "/v1/convai/twilio/register-call"),
        ("get", "/v1/convai/conversations"),
        ("get", account + "/Calls.json"),
    ]:
        assert (method, path) in requests, f"no {method.upper()} {path} reached the mocks"
    assert any(m == "get" and p.startswith("/v1/convai/conversations/") for m, p in requests), \
        "no conversation details were read"
    assert any(m == "post" and p.startswith(account + "/IncomingPhoneNumbers/PN")
               for m, p in requests)

    code, report_text = violations()
    assert code == 0, "contract violations:\n" + report_text
