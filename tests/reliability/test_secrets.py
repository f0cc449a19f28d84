"""Secrets canaries: the `--debug` output (stdout and stderr) of every kind of command never
contains the Twilio auth token, the API key's secret or the ElevenLabs key, in any
encoding a trace could carry them in, whether the providers accept or reject the credentials."""
import base64
import hashlib
import hmac
import json
import re
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

from conftest import VAMI, integration, state_file, vami_for

# `vami sandbox serve` prints credentials on purpose: handing them out is its job.
NOT_TRACED = {("sandbox", "serve")}


def command_tree(path=()):
    """Every leaf command of `vami`, from the --help of each group (so a new command must be
    added below before this test passes)."""
    result = subprocess.run([VAMI, *path, "--help"], capture_output=True, text=True, timeout=60,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    if "Subcommands:" not in result.stdout:
        return [tuple(path)]
    names = []
    for line in result.stdout.split("Subcommands:", 1)[1].splitlines():
        match = re.match(r"^  ([a-z][a-z-]*)\s", line)
        if match:
            names.append(match.group(1))
        elif line and not line.startswith(" "):
            break
    leaves = []
    for name in names:
        leaves += command_tree((*path, name))
    return leaves


def canaries(sandbox):
    """The secrets, raw and in the encodings a trace could show them in (Basic credentials).
    The SIDs (AC..., SK...) only name the account and the key, as a user name does: the API
    wire formats carry them in URLs and bodies (ElevenLabs' Twilio import takes `sid`), so a
    trace may show them; the token and secrets paired with them must never show."""
    sid = sandbox.account_sid
    key = sandbox.api_key["TWILIO_API_KEY"]
    secrets = {
        "TWILIO_AUTH_TOKEN": sandbox.auth_token,
        "TWILIO_API_SECRET": sandbox.api_key["TWILIO_API_SECRET"],
        "ELEVENLABS_API_KEY": sandbox.exports["ELEVENLABS_API_KEY"],
        "SYNTHFLOW_API_KEY": sandbox.exports["SYNTHFLOW_API_KEY"],
        "the sandbox's Synthflow webhook secret": sandbox.exports["VAMI_SYNTHFLOW_WEBHOOK_SECRET"],
    }
    for user, password in [(sid, sandbox.auth_token), (key, secrets["TWILIO_API_SECRET"])]:
        secrets[f"Basic credentials of {user[:2]}"] = base64.b64encode(
            f"{user}:{password}".encode()).decode()
    return secrets


def leaf_of(args, leaves):
    """The command path an argument list runs: its longest prefix that is a leaf command."""
    for length in range(len(args), 0, -1):
        if tuple(args[:length]) in leaves:
            return tuple(args[:length])
    return None


def test_debug_output_of_every_command_never_shows_a_secret(tmp_path, home, serve):
    sandbox = serve()
    leaves = set(command_tree())
    secrets = canaries(sandbox)
    token_env = vami_for(tmp_path, home, sandbox)
    key_env = vami_for(tmp_path, home, sandbox)
    key_env.env = {k: v for k, v in token_env.env.items() if k != "TWILIO_AUTH_TOKEN"}
    key_env.env.update(sandbox.api_key)
    documents = integration.write_documents(tmp_path / "documents")

    covered = set()
    traces = []

    def run(vami, *args, expect=(0,)):
        args = [str(a) for a in args]
        result = vami.run("--debug", *args, input="", timeout=300)
        what = f"vami --debug {' '.join(args)}"
        assert result.returncode in expect, f"{what} -> {result.returncode}: {result.stderr}"
        for name, secret in secrets.items():
            for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
                assert secret not in text, f"{what}: {name} in its {stream}"
        covered.add(leaf_of(args, leaves))
        traces.append(result.stderr)
        return result

    run(token_env, "init")
    run(token_env, "numbers", "search", "--area-code", "212")
    run(token_env, "numbers", "buy", "--count", 3, "--area-code", "212", "--yes")
    run(key_env, "numbers", "buy", "--count", 3, "--area-code", "646", "--yes")
    pool = [row[0] for row in token_env.rows("SELECT e164 FROM numbers ORDER BY e164")]
    run(token_env, "numbers", "list")
    run(token_env, "numbers", "import", "--provider", "synthflow", "--dry-run")
    run(key_env, "numbers", "import", "--provider", "synthflow")
    run(token_env, "numbers", "show", pool[0])
    run(token_env, "voices", "list")
    run(token_env, "tenants", "create", "acme", "--name", "Acme Dental")
    run(token_env, "tenants", "list")
    run(token_env, "tenants", "update", "acme", "--industry", "dental")
    run(token_env, "agents", "create", "--tenant", "acme", "--name", "Front Desk")
    run(key_env, "agents", "create", "--tenant", "acme", "--name", "Back Office")
    # A Synthflow agent: its key goes as `Authorization: Bearer` on every request.
    run(token_env, "voices", "list", "--provider", "synthflow")
    run(token_env, "agents", "create", "--tenant", "acme", "--name", "Synthflow Desk",
        "--provider", "synthflow", "--prompt", "You answer for Acme Dental.")
    run(key_env, "kb", "add", "synthflow-desk", "--text", "Open 9 to 5.", "--name", "hours")
    run(token_env, "agents", "list")
    run(token_env, "agents", "update", "front-desk", "--first-message", "Hello, Acme Dental!")
    run(token_env, "agents", "conversations", "front-desk")
    run(token_env, "kb", "add", "front-desk", documents["txt"], documents["pdf"])
    run(token_env, "kb", "add", "front-desk", "--text", "Parking is free.", "--name", "parking")
    run(token_env, "kb", "list", "front-desk")
    run(token_env, "kb", "remove", "front-desk", "parking", "--yes")
    run(token_env, "numbers", "assign", pool[0], "--agent", "front-desk")
    run(key_env, "numbers", "assign", "--pick", "--area-code", "646", "--agent", "back-office")
    run(token_env, "numbers", "reassign", pool[0], "--agent", "back-office")
    run(token_env, "route", pool[0])
    run(token_env, "calls", "test", pool[0], "--say", "Hello?")
    run(key_env, "calls", "test", pool[1], "--json")
    run(token_env, "numbers", "suspend", pool[0], "--message", "We are closed today.")
    run(key_env, "numbers", "resume", pool[0])
    run(key_env, "tenants", "suspend", "acme")
    run(token_env, "tenants", "resume", "acme")
    run(token_env, "numbers", "unassign", pool[0])
    run(token_env, "agents", "show", "front-desk")
    run(token_env, "tenants", "show", "acme")
    run(token_env, "webhooks", "set", pool[1], "--voice-url", "https://router.example.com/voice")
    run(key_env, "webhooks", "show", pool[1])
    run(token_env, "onboard", "--tenant", "bravo", "--name", "Bravo Law", "--area-code", "212",
        "--agent-name", "Bravo Desk", "--faq", "We answer from 9 to 5.", "--yes")
    run(token_env, "numbers", "release", pool[2], "--yes")
    run(key_env, "numbers", "release", pool[-1], "--yes")
    run(token_env, "reconcile")
    run(key_env, "reconcile", "--apply")
    run(token_env, "audit")
    run(token_env, "calls", "sync")
    run(key_env, "calls", "list")
    run(token_env, "calls", "show", "CA" + "6" * 32, expect=(0, 3))
    run(key_env, "usage", "--by", "number")
    run(token_env, "operations", "list")
    operation = token_env.rows("SELECT id FROM operations WHERE kind = 'buy' LIMIT 1")[0][0]
    run(token_env, "operations", "show", operation)
    # A finished operation has nothing left to do; what matters is what its trace shows.
    run(token_env, "operations", "resume", operation, "--yes", expect=(0, 2, 4))
    # The whole state copied, and shown: a state database's facts, never a credential.
    run(token_env, "db", "status")
    run(key_env, "db", "copy", "--from", token_env.db, "--to", tmp_path / "copy.db")
    run(token_env, "agents", "delete", "back-office", "--yes", expect=(0, 4))
    run(token_env, "tenants", "delete", "bravo", "--yes")

    # Profiles: the secrets stored from the environment, listed masked, then used with none of
    # them in the environment.
    config = tmp_path / "config" / "config.toml"
    token_env.env["VAMI_CONFIG"] = str(config)
    # Synthflow's key and webhook secret too, for the workspace of SYNTHFLOW_WORKSPACE_ID.
    run(token_env, "profiles", "add", "sandbox", "--from-env", "--twilio-base-url",
        token_env.env["VAMI_TWILIO_BASE_URL"], "--elevenlabs-base-url",
        token_env.env["VAMI_ELEVENLABS_BASE_URL"], "--synthflow-base-url",
        token_env.env["VAMI_SYNTHFLOW_BASE_URL"])
    run(token_env, "profiles", "list")
    run(token_env, "profiles", "show", "sandbox")
    run(token_env, "profiles", "use", "sandbox")
    profile_env = vami_for(tmp_path, home, sandbox)
    profile_env.env = {k: v for k, v in token_env.env.items()
                       if not k.startswith("TWILIO_") and not k.startswith("SYNTHFLOW_")
                       and k not in ("ELEVENLABS_API_KEY", "VAMI_SYNTHFLOW_BASE_URL")}
    assert config.stat().st_mode & 0o777 == 0o600
    run(profile_env, "--profile", "sandbox", "numbers", "search", "--area-code", "212")
    run(profile_env, "voices", "list")
    assert token_env.env["VAMI_ELEVENLABS_BASE_URL"] in traces[-1]  # the profile's account
    run(profile_env, "voices", "list", "--provider", "synthflow")
    assert token_env.env["VAMI_SYNTHFLOW_BASE_URL"] in traces[-1]  # the profile's workspace
    run(profile_env, "completion", "bash")
    # A tenant on its own account: the profile's name goes to the database, the audit trail and
    # the output; its keys never do.
    secrets["tenant account's ElevenLabs key"] = "sk_tenant_canary_" + "4" * 32
    secrets["tenant account's Synthflow key"] = "sf_tenant_canary_" + "5" * 32
    secrets["tenant account's Synthflow webhook secret"] = "sfwh_tenant_canary_" + "6" * 24
    own_env = vami_for(tmp_path, home, sandbox)
    own_env.env = {**token_env.env,
                   "ELEVENLABS_API_KEY": secrets["tenant account's ElevenLabs key"],
                   "SYNTHFLOW_API_KEY": secrets["tenant account's Synthflow key"],
                   "VAMI_SYNTHFLOW_WEBHOOK_SECRET":
                       secrets["tenant account's Synthflow webhook secret"]}
    run(own_env, "profiles", "add", "acme-own", "--from-env", "--synthflow-workspace-id", "ws-acme")
    run(token_env, "tenants", "create", "gamma", "--name", "Gamma", "--profile", "acme-own")
    run(token_env, "tenants", "update", "gamma", "--no-profile")
    run(token_env, "tenants", "update", "gamma", "--profile", "acme-own")
    run(token_env, "tenants", "show", "gamma")
    run(token_env, "audit", "--json")
    dumped = "\n".join(str(row) for table in ("tenants", "audit_entries")
                       for row in token_env.rows(f"SELECT * FROM {table}"))
    for name in ("tenant account's ElevenLabs key", "tenant account's Synthflow key",
                 "tenant account's Synthflow webhook secret"):
        assert secrets[name] not in dumped, f"{name} in the state database"
    # A tenant on an account that answers (a second served sandbox): router setup makes that
    # account's post-call webhook too, its secret kept in the tenant's profile only.
    own = serve(state="own-account.db")
    secrets["second account's ElevenLabs key"] = own.exports["ELEVENLABS_API_KEY"]
    delta_env = vami_for(tmp_path, home, sandbox)
    delta_env.env = {**token_env.env, "ELEVENLABS_API_KEY": own.exports["ELEVENLABS_API_KEY"]}
    run(delta_env, "profiles", "add", "delta-own", "--from-env", "--elevenlabs-base-url",
        own.exports["VAMI_ELEVENLABS_BASE_URL"])
    run(token_env, "tenants", "create", "delta", "--name", "Delta", "--profile", "delta-own")
    # The voices of the tenant's own account, with that account's key.
    run(token_env, "voices", "list", "--tenant", "delta")
    assert own.exports["VAMI_ELEVENLABS_BASE_URL"] in traces[-1]  # the tenant's account
    # The default profile goes: router setup writes the platform's into a new one.
    run(token_env, "profiles", "remove", "sandbox", "--yes")

    # router setup: the post-call webhooks' secrets, handed out once by ElevenLabs, go into the
    # profiles only; neither that run nor any later one shows them. (acme-own's canary key is
    # refused by the sandbox: that account fails, exit 7.)
    setup = run(token_env, "router", "setup", "--public-url", "http://127.0.0.1:9", expect=(7,))
    stored = re.findall(r'^elevenlabs_webhook_secret = "([^"]+)"$', config.read_text(),
                        re.MULTILINE)
    assert len(stored) == 2, "router setup stored no webhook secret for the platform or delta"
    for number, secret in enumerate(stored):
        secrets[f"router setup's webhook secret {number}"] = secret
        for stream, text in (("stdout", setup.stdout), ("stderr", setup.stderr)):
            assert secret not in text, f"vami --debug router setup: a secret in its {stream}"
    run(token_env, "router", "setup", "--public-url", "http://127.0.0.1:9", expect=(7,))
    run(token_env, "route", pool[1])

    # Credentials the providers reject: their error answers are traced too.
    rejected = vami_for(tmp_path, home, sandbox, "rejected.db")
    rejected.env["TWILIO_AUTH_TOKEN"] = "0" * 32
    rejected.env["ELEVENLABS_API_KEY"] = "sk_" + "0" * 48
    secrets["rejected auth token"] = rejected.env["TWILIO_AUTH_TOKEN"]
    secrets["rejected ElevenLabs key"] = rejected.env["ELEVENLABS_API_KEY"]
    run(rejected, "numbers", "search", "--area-code", "212", expect=(5,))
    run(rejected, "voices", "list", expect=(5,))
    # The sandbox's request log: every request above, the rejected ones too, each credential
    # masked, in each format.
    for output in ("table", "json", "csv"):
        logged = run(token_env, "sandbox", "requests", "--state", state_file(sandbox),
                     "--limit", 0, "-o", output)
        assert "xi-api-key \u2026" in logged.stdout and "Bearer \u2026" in logged.stdout
        assert "AC\u2026" in logged.stdout and "SK\u2026" in logged.stdout

    # The call router holds the auth token and the post-call webhook secret for as long as it
    # runs: its --debug output over a voice webhook, a post-call delivery and a stop shows neither.
    secrets["VAMI_ELEVENLABS_WEBHOOK_SECRET"] = "wsec_canary_" + "7" * 24
    secrets["VAMI_SYNTHFLOW_WEBHOOK_SECRET"] = "sfwh_canary_" + "8" * 24
    run_router(token_env, pool[1], sandbox.account_sid, secrets)
    covered.add(("router", "serve"))

    missing = sorted(" ".join(leaf) for leaf in leaves - covered - NOT_TRACED)
    assert not missing, f"commands without a secrets canary run: {missing}"
    # The runs did go through the traced HTTP client, with both kinds of credentials.
    everything = "\n".join(traces)
    assert "Authorization: [REDACTED]" in everything
    assert re.search(r"xi-api-key: \[REDACTED\]", everything, re.IGNORECASE)


def run_router(vami, number, account_sid, secrets):
    """`vami --debug router serve` answering one signed voice webhook and one signed post-call
    delivery, then stopped with SIGTERM; neither of its streams may carry a secret."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    public_url = f"http://127.0.0.1:{port}"
    webhook_secret = secrets["VAMI_ELEVENLABS_WEBHOOK_SECRET"]
    router = subprocess.Popen(
        [VAMI, "--debug", "--db", str(vami.db), "router", "serve", "--listen",
         f"127.0.0.1:{port}", "--public-url", public_url],
        env={**vami.env, "VAMI_ELEVENLABS_WEBHOOK_SECRET": webhook_secret,
             "VAMI_SYNTHFLOW_WEBHOOK_SECRET": secrets["VAMI_SYNTHFLOW_WEBHOOK_SECRET"]},
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(public_url + "/healthz", timeout=5).close()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        params = [("AccountSid", account_sid), ("CallSid", "CA" + "5" * 32), ("From", "+14155550123"),
                  ("To", number), ("Direction", "inbound"), ("CallStatus", "ringing")]
        signed = public_url + "/twilio/voice" + "".join(n + v for n, v in sorted(params))
        signature = base64.b64encode(hmac.new(secrets["TWILIO_AUTH_TOKEN"].encode(),
                                              signed.encode(), hashlib.sha1).digest()).decode()
        voice = urllib.request.Request(
            public_url + "/twilio/voice", data=urllib.parse.urlencode(params).encode(),
            headers={"X-Twilio-Signature": signature,
                     "Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(voice, timeout=30) as response:
            assert response.status == 200
        body = '{"type": "post_call_transcription", "event_timestamp": 1, "data": {}}'
        stamp = str(int(time.time()))
        digest = hmac.new(webhook_secret.encode(), f"{stamp}.{body}".encode(),
                          hashlib.sha256).hexdigest()
        post_call = urllib.request.Request(
            public_url + "/elevenlabs/post-call", data=body.encode(),
            headers={"ElevenLabs-Signature": f"t={stamp},v0={digest}",
                     "Content-Type": "application/json"})
        try:
            urllib.request.urlopen(post_call, timeout=30).close()
        except urllib.error.HTTPError:
            pass  # a delivery the router cannot use is refused; its trace is what matters
        # Synthflow's inbound webhook, signed with its secret (base64 HMAC of the call id).
        inbound = json.dumps({"event": "call_inbound", "call_inbound": {
            "from_number": "+14155550123", "to_number": number, "call_id": "c-canary"}})
        sf_signature = base64.b64encode(hmac.new(
            secrets["VAMI_SYNTHFLOW_WEBHOOK_SECRET"].encode(), b"c-canary",
            hashlib.sha256).digest()).decode()
        synthflow_inbound = urllib.request.Request(
            public_url + "/synthflow/inbound", data=inbound.encode(),
            headers={"HTTP_SYNTHFLOW_SIGNATURE": sf_signature,
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(synthflow_inbound, timeout=30) as response:
            assert response.status == 200
    finally:
        router.terminate()
        stdout, stderr = router.communicate(timeout=30)
    assert router.returncode == 0, stderr
    for name, secret in secrets.items():
        for stream, text in (("stdout", stdout), ("stderr", stderr)):
            assert secret not in text, f"vami --debug router serve: {name} in its {stream}"
