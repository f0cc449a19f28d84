"""`vami router setup` against `vami sandbox serve`, and what route and reconcile say about the
router (issue 11, items 1 and 6): every webhook-routed number pointed at the router with its
status callback, the ElevenLabs post-call webhook created (HMAC), attached and its secret kept
in the profile (0600, never printed), the configured router used without --router-url, a
router that is down or a voice URL that is not the router's reported as drift."""
import json
import re
import stat
import time

from conftest import buy_numbers, create_agent, create_tenant, elevenlabs, error_line
from test_router import CALLER, Router, call, elevenlabs_signature, free_port

OLD_ROUTER = "https://old-router.example.com/voice"


def config_path(live):
    return live.workdir / "home" / "config" / "vami" / "config.toml"


def profile_value(live, key):
    match = re.search(rf'^{key} = "([^"]*)"', config_path(live).read_text(), re.MULTILINE)
    return match.group(1) if match else None


def voice_of(sandbox, e164):
    (number,) = [n for n in sandbox.owned() if n["phone_number"] == e164]
    return number["voice_url"], number["status_callback"]


def workspace_webhooks(sandbox):
    status, body = elevenlabs(sandbox, "GET", "/v1/workspace/webhooks")
    assert status == 200, body
    return body["webhooks"]


def post_call_setting(sandbox):
    status, body = elevenlabs(sandbox, "GET", "/v1/convai/settings")
    assert status == 200, body
    return body.get("webhooks") or {}


def router_setup(live, public_url, *args, expect=0):
    result = live.run("router", "setup", "--public-url", public_url, "--json", *args)
    assert result.returncode == expect, result.stderr
    return json.loads(result.stdout), result


def test_router_setup_points_the_providers_at_the_router_and_can_run_again(live, sandbox):
    create_tenant(live, "acme", "Acme Dental")
    agent_id = create_agent(live, "acme", "Front Desk")["provider_agent_id"]
    first, second, native = buy_numbers(live, 3)
    for number, mode in ((first, "webhook"), (native, "native")):
        result = live.run("--router-url", OLD_ROUTER, "numbers", "assign", number, "--agent",
                          "front-desk", "--mode", mode)
        assert result.returncode == 0, result.stderr
    public_url = f"http://127.0.0.1:{free_port()}"

    # A dry run reads and says; it changes nothing and writes no profile.
    plan, _ = router_setup(live, public_url, "--dry-run")
    assert plan["dry_run"] is True and plan["post_call_webhook"]["created"] is True
    assert plan["post_call_webhook"]["webhook_id"] is None
    assert plan["counts"]["pointed"] == 1 and voice_of(sandbox, first)[0].startswith(OLD_ROUTER)
    assert workspace_webhooks(sandbox) == [] and not config_path(live).exists()

    report, result = router_setup(live, public_url)
    assert report["router_url"] == public_url + "/twilio/voice"
    assert report["post_call_webhook"]["created"] is True
    assert report["counts"] == {"in_place": 0, "pointed": 1, "failed": 0, "interrupted": 0}
    assert [n["e164"] for n in report["numbers"]] == [first]
    assert voice_of(sandbox, first) == (f"{public_url}/twilio/voice?agent_id={agent_id}",
                                        f"{public_url}/twilio/status")
    assert voice_of(sandbox, native)[0] != report["router_url"]  # native routing is left alone

    # ElevenLabs: one HMAC webhook to the router, attached as the post-call webhook.
    (webhook,) = workspace_webhooks(sandbox)
    assert webhook["webhook_url"] == public_url + "/elevenlabs/post-call"
    assert webhook["auth_type"] == "hmac"
    setting = post_call_setting(sandbox)
    assert setting["post_call_webhook_id"] == webhook["webhook_id"]
    assert set(setting["events"]) == {"transcript", "call_initiation_failure"}

    # The profile holds the router and the secret, 0600; the secret is printed nowhere.
    config = config_path(live)
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    secret = profile_value(live, "elevenlabs_webhook_secret")
    assert secret and secret not in result.stdout and secret not in result.stderr
    assert profile_value(live, "router_url") == public_url + "/twilio/voice"
    assert profile_value(live, "elevenlabs_webhook_id") == webhook["webhook_id"]
    shown = live.run("profiles", "show", "default", "--json")
    assert shown.returncode == 0 and secret not in shown.stdout

    # Again: nothing changes.
    again, _ = router_setup(live, public_url)
    assert again["post_call_webhook"]["created"] is False
    assert again["post_call_webhook"]["attachment_changed"] is False
    assert again["counts"]["in_place"] == 1 and again["counts"]["pointed"] == 0
    assert profile_value(live, "elevenlabs_webhook_secret") == secret
    assert len(workspace_webhooks(sandbox)) == 1

    # Webhook routing now needs no --router-url.
    assigned = live.json("numbers", "assign", second, "--agent", "front-desk", "--mode", "webhook")
    assert assigned["voice_url"] == f"{public_url}/twilio/voice?agent_id={agent_id}"
    assert voice_of(sandbox, second)[1] == f"{public_url}/twilio/status"

    # A router moved elsewhere: the earlier vami webhook is replaced, not leaked.
    moved_url = f"http://127.0.0.1:{free_port()}"
    moved, _ = router_setup(live, moved_url)
    assert moved["post_call_webhook"]["created"] is True
    assert moved["post_call_webhook"]["deleted"] == [webhook["webhook_id"]]
    (replacement,) = workspace_webhooks(sandbox)
    assert replacement["webhook_url"] == moved_url + "/elevenlabs/post-call"
    assert post_call_setting(sandbox)["post_call_webhook_id"] == replacement["webhook_id"]
    assert moved["counts"]["pointed"] == 2
    assert profile_value(live, "elevenlabs_webhook_secret") != secret


def test_router_setup_refuses_plain_http_on_another_host(live, sandbox):
    result = live.run("router", "setup", "--public-url", "http://router.example.com")
    assert result.returncode == 2
    assert "plain http" in error_line(result)
    assert not config_path(live).exists()


def test_the_router_uses_the_secret_setup_stored_and_reconcile_checks_it(live, sandbox, tmp_path):
    create_tenant(live, "acme", "Acme Dental")
    agent_id = create_agent(live, "acme", "Front Desk")["provider_agent_id"]
    (number,) = buy_numbers(live, 1)
    # No VAMI_ELEVENLABS_WEBHOOK_SECRET: the router reads the profile's, written by setup.
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    router_setup(live, public_url)
    assert live.run("numbers", "assign", number, "--agent", "front-desk", "--mode",
                    "webhook").returncode == 0

    # The router is not running: route and reconcile say so, and neither offers a repair that
    # cannot start it.
    route = live.run("route", number, "--json")
    assert "router_unhealthy" in json.loads(route.stdout)["routing_problems"], route.stdout
    assert "reconcile --apply" not in route.stderr, route.stderr
    assert "vami router serve" in route.stderr
    down = live.run("reconcile", "--json")
    assert down.returncode == 4, down.stderr
    assert json.loads(down.stdout)["router"]["healthy"] is False
    assert "health check" in down.stderr
    assert "nothing to do" not in down.stderr, down.stderr

    router = Router(live, tmp_path / "router.log", extra_env={"VAMI_ELEVENLABS_WEBHOOK_SECRET": ""},
                    port=port)
    try:
        status, _, body = router.voice(call(sandbox, number), sandbox.auth_token)
        assert status == 200 and "<Connect>" in body, body
        delivery = json.dumps({"type": "call_initiation_failure",
                               "event_timestamp": int(time.time()),
                               "data": {"agent_id": agent_id, "conversation_id": "conv_setup_1",
                                        "failure_reason": "busy"}})
        secret = profile_value(live, "elevenlabs_webhook_secret")
        status, _, _ = router.post("/elevenlabs/post-call", delivery,
                                   {"Content-Type": "application/json",
                                    "ElevenLabs-Signature": elevenlabs_signature(secret, delivery)})
        assert status == 200

        up = live.run("reconcile", "--json")
        assert up.returncode == 0, up.stdout + up.stderr
        assert json.loads(up.stdout)["router"]["healthy"] is True

        # A voice URL changed by hand is drift; --apply points it back at the router.
        owned = [n for n in sandbox.owned() if n["phone_number"] == number][0]
        sandbox.request("POST", f"/2010-04-01/Accounts/{sandbox.account_sid}/IncomingPhoneNumbers/"
                        f"{owned['sid']}.json", {"VoiceUrl": "https://elsewhere.example.com/v"})
        drift = live.run("reconcile", "--json")
        assert drift.returncode == 4
        kinds = [f["kind"] for f in json.loads(drift.stdout)["findings"]]
        assert "voice_url_drift" in kinds
        assert live.run("reconcile", "--apply").returncode == 0
        assert voice_of(sandbox, number)[0].startswith(public_url + "/twilio/voice?agent_id=")

        # The post-call webhook detached at ElevenLabs is drift (conversations would no longer
        # reach the call history); --apply attaches the router's again.
        webhook_id = profile_value(live, "elevenlabs_webhook_id")
        status, body = elevenlabs(sandbox, "PATCH", "/v1/convai/settings",
                                  {"webhooks": {"post_call_webhook_id": None}})
        assert status == 200, body
        detached = live.run("reconcile", "--json")
        assert detached.returncode == 4, detached.stdout + detached.stderr
        (finding,) = json.loads(detached.stdout)["findings"]
        assert finding["kind"] == "post_call_webhook_detached"
        assert finding["provider_id"] == webhook_id
        assert finding["repair"] == "attach_post_call_webhook"
        assert live.run("reconcile", "--apply").returncode == 0
        assert post_call_setting(sandbox)["post_call_webhook_id"] == webhook_id

        # Deleted at ElevenLabs: no repair can bring its secret back; router setup can.
        status, _ = elevenlabs(sandbox, "DELETE", f"/v1/workspace/webhooks/{webhook_id}")
        assert status == 200
        gone = live.run("reconcile", "--apply", "--json")
        assert gone.returncode == 4, gone.stdout + gone.stderr
        (finding,) = json.loads(gone.stdout)["findings"]
        assert finding["kind"] == "post_call_webhook_gone"
        assert finding["holdup"] == "needs_router_setup"
        assert "vami router setup" in finding["action"]
    finally:
        router.stop()
