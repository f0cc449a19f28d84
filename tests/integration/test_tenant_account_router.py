"""The call router and tenants on their own accounts (issue 12 item 5): `vami router setup` sets
up each tenant account's webhooks (the ElevenLabs post-call webhook, its secret kept in that
account's profile; Synthflow agents' webhook URLs), and `vami router serve` checks each webhook
with the secret of the account that owns what it is about, and no other. A second served
sandbox is the tenant's account; everything on 127.0.0.1."""
import base64
import hashlib
import hmac
import json
import time
import tomllib

import pytest

from conftest import (Sandbox, buy_numbers, create_agent, create_tenant, elevenlabs,
                      error_line)
from test_router import Router, elevenlabs_signature, free_port
from test_router_setup import config_path, post_call_setting, workspace_webhooks
from test_synthflow_webhooks import synthflow, synthflow_webhooks


def profile(live, name):
    return tomllib.loads(config_path(live).read_text())["profiles"][name]


def synthflow_signature(secret, call_id):
    return base64.b64encode(hmac.new(secret.encode(), call_id.encode(),
                                     hashlib.sha256).digest()).decode()


def post_call(agent_id, conversation_id, tenant=None):
    data = {"agent_id": agent_id, "conversation_id": conversation_id, "failure_reason": "busy"}
    if tenant:
        data["conversation_initiation_client_data"] = {"dynamic_variables": {"vami_tenant": tenant}}
    return json.dumps({"type": "call_initiation_failure", "event_timestamp": int(time.time()),
                       "data": data})


def add_platform_profile(live):
    """The platform's own profile, the default: where router setup keeps the platform's secret
    (the first profile added becomes the default, and a tenant's must not be)."""
    added = live.run("profiles", "add", "platform", "--from-env")
    assert added.returncode == 0, added.stderr


@pytest.fixture
def accounts(tmp_path, live, sandbox):
    """Tenant acme on its own account (a second served sandbox, profile acme-own, ElevenLabs
    and Synthflow), tenant bravo on the platform's; an ElevenLabs agent each, and a Synthflow
    agent of acme's."""
    own = Sandbox(tmp_path / "acme-account.db", {**live.env})
    try:
        add_platform_profile(live)
        assert own.exports["VAMI_SYNTHFLOW_WEBHOOK_SECRET"] != \
            sandbox.exports["VAMI_SYNTHFLOW_WEBHOOK_SECRET"]
        added = live.run(
            "profiles", "add", "acme-own", "--from-env",
            "--elevenlabs-base-url", own.exports["VAMI_ELEVENLABS_BASE_URL"],
            "--synthflow-base-url", own.exports["VAMI_SYNTHFLOW_BASE_URL"],
            "--synthflow-workspace-id", own.exports["SYNTHFLOW_WORKSPACE_ID"],
            env={"ELEVENLABS_API_KEY": own.exports["ELEVENLABS_API_KEY"],
                 "SYNTHFLOW_API_KEY": own.exports["SYNTHFLOW_API_KEY"],
                 "SYNTHFLOW_WORKSPACE_ID": own.exports["SYNTHFLOW_WORKSPACE_ID"],
                 "VAMI_SYNTHFLOW_WEBHOOK_SECRET": own.exports["VAMI_SYNTHFLOW_WEBHOOK_SECRET"]})
        assert added.returncode == 0, added.stderr
        create_tenant(live, "acme", "Acme Dental", "--profile", "acme-own")
        create_tenant(live, "bravo", "Bravo Law")
        agents = {
            "acme-desk": create_agent(live, "acme", "Acme Desk", "--slug", "acme-desk"),
            "acme-line": create_agent(live, "acme", "Acme Line", "--slug", "acme-line",
                                      "--provider", "synthflow"),
            "bravo-desk": create_agent(live, "bravo", "Bravo Desk", "--slug", "bravo-desk"),
        }
        yield own, agents
    finally:
        own.stop()


def router_setup(live, public_url, *args):
    result = live.run("router", "setup", "--public-url", public_url, "--json", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout), result


def test_router_setup_sets_up_each_tenant_account_with_its_own_secret(live, sandbox, accounts):
    own, agents = accounts
    public_url = f"http://127.0.0.1:{free_port()}"

    plan, _ = router_setup(live, public_url, "--dry-run")
    (account,) = plan["accounts"]
    assert (account["profile"], account["tenants"], account["outcome"]) == (
        "acme-own", ["acme"], "done")
    assert account["post_call_webhook"]["created"] is True
    assert workspace_webhooks(own) == []

    report, result = router_setup(live, public_url)
    (account,) = report["accounts"]
    assert account["outcome"] == "done", account
    assert account["post_call_webhook"]["created"] is True
    assert account["post_call_webhook"]["skipped"] is None
    # The tenant's workspace: one HMAC webhook to the router, attached; the platform's has its
    # own.
    (webhook,) = workspace_webhooks(own)
    assert webhook["webhook_url"] == public_url + "/elevenlabs/post-call"
    assert webhook["auth_type"] == "hmac"
    assert post_call_setting(own)["post_call_webhook_id"] == webhook["webhook_id"]
    assert account["post_call_webhook"]["webhook_id"] == webhook["webhook_id"]
    (platform_webhook,) = workspace_webhooks(sandbox)
    assert post_call_setting(sandbox)["post_call_webhook_id"] == platform_webhook["webhook_id"]

    # Its id and secret are in the tenant's profile, 0600, and printed nowhere.
    acme_own = profile(live, "acme-own")
    assert acme_own["elevenlabs_webhook_id"] == webhook["webhook_id"]
    secret = acme_own["elevenlabs_webhook_secret"]
    assert secret and secret != profile(live, "platform")["elevenlabs_webhook_secret"]
    assert secret not in result.stdout + result.stderr
    assert "tenant account 'acme-own': created the post-call webhook" in result.stderr
    assert "router_url" not in acme_own  # the router is the platform's
    audit = live.run("audit", "--json")
    assert secret not in audit.stdout and "acme-own" in audit.stdout

    # The Synthflow agent in the tenant's account points at the router.
    (line,) = [a for a in report["agents"] if a["agent"] == "acme-line"]
    assert (line["account"], line["outcome"]) == ("acme-own", "pointed")
    assert synthflow_webhooks(own, agents["acme-line"]) == (
        public_url + "/synthflow/inbound", public_url + "/synthflow/post-call")

    # Again: what is in place is kept.
    again, _ = router_setup(live, public_url)
    assert again["accounts"][0]["post_call_webhook"]["created"] is False
    assert again["accounts"][0]["post_call_webhook"]["attachment_changed"] is False
    assert [a["outcome"] for a in again["agents"]] == ["in_place"]
    assert profile(live, "acme-own")["elevenlabs_webhook_secret"] == secret
    assert len(workspace_webhooks(own)) == 1

    # The text report lists the account too.
    text = live.run("router", "setup", "--public-url", public_url)
    assert text.returncode == 0, text.stderr
    assert "acme-own" in text.stdout and "kept" in text.stdout, text.stdout


def test_an_account_without_an_elevenlabs_key_is_skipped_and_said_so(live, sandbox, tmp_path):
    own = Sandbox(tmp_path / "bravo-account.db", {**live.env})
    try:
        add_platform_profile(live)
        added = live.run("profiles", "add", "sf-only", "--from-env",
                         "--synthflow-base-url", own.exports["VAMI_SYNTHFLOW_BASE_URL"],
                         "--synthflow-workspace-id", own.exports["SYNTHFLOW_WORKSPACE_ID"],
                         env={"ELEVENLABS_API_KEY": "",
                              "SYNTHFLOW_API_KEY": own.exports["SYNTHFLOW_API_KEY"],
                              "SYNTHFLOW_WORKSPACE_ID": own.exports["SYNTHFLOW_WORKSPACE_ID"]})
        assert added.returncode == 0, added.stderr
        create_tenant(live, "bravo", "Bravo Law", "--profile", "sf-only")
        report, result = router_setup(live, f"http://127.0.0.1:{free_port()}")
        (account,) = report["accounts"]
        assert account["outcome"] == "done"
        assert "ELEVENLABS_API_KEY" in account["post_call_webhook"]["skipped"], account
        assert "tenant account 'sf-only': left the ElevenLabs post-call webhook alone" in \
            result.stderr, result.stderr
        assert workspace_webhooks(own) == []
        assert "elevenlabs_webhook_id" not in profile(live, "sf-only")
    finally:
        own.stop()


def test_the_router_checks_each_webhook_with_its_owners_secret_only(live, sandbox, accounts,
                                                                    tmp_path):
    own, agents = accounts
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    router_setup(live, public_url)
    acme_secret = profile(live, "acme-own")["elevenlabs_webhook_secret"]
    platform_secret = profile(live, "platform")["elevenlabs_webhook_secret"]
    (number,) = buy_numbers(live, 1)
    assigned = live.run("numbers", "assign", number, "--agent", "acme-line")
    assert assigned.returncode == 0, assigned.stderr

    router = Router(live, tmp_path / "router.log",
                    extra_env={"VAMI_ELEVENLABS_WEBHOOK_SECRET": ""}, port=port)
    try:
        def deliver(body, secret):
            return router.post("/elevenlabs/post-call", body, {
                "Content-Type": "application/json",
                "ElevenLabs-Signature": elevenlabs_signature(secret, body)})

        acme_id = agents["acme-desk"]["provider_agent_id"]
        bravo_id = agents["bravo-desk"]["provider_agent_id"]
        # Signed by acme's account about acme's agent: accepted.
        status, _, answer = deliver(post_call(acme_id, "conv_acme"), acme_secret)
        assert status == 200, answer
        # Signed by acme's account about bravo's agent (the platform's), even claiming bravo:
        # refused; and about acme's agent signed by the platform: refused.
        for body, secret in ((post_call(bravo_id, "conv_forged_1"), acme_secret),
                             (post_call(bravo_id, "conv_forged_2", tenant="bravo"), acme_secret),
                             (post_call(acme_id, "conv_forged_3"), platform_secret)):
            status, _, answer = deliver(body, secret)
            assert status == 403 and "mismatch_signature" in answer, answer
        # Signed by the platform about bravo's agent: accepted.
        status, _, answer = deliver(post_call(bravo_id, "conv_bravo"), platform_secret)
        assert status == 200, answer
        # An agent named, another tenant claimed: filed under the agent's tenant.
        status, _, answer = deliver(post_call(acme_id, "conv_claim", tenant="bravo"), acme_secret)
        assert status == 200, answer

        # Synthflow: the post-call of acme's agent and the inbound question about acme's number,
        # each checked with acme's account's Synthflow secret only.
        sf_acme = own.exports["VAMI_SYNTHFLOW_WEBHOOK_SECRET"]
        sf_platform = sandbox.exports["VAMI_SYNTHFLOW_WEBHOOK_SECRET"]
        line_id = agents["acme-line"]["provider_agent_id"]
        for call_id, secret, wanted in (("sf_forged", sf_platform, 401),
                                        ("sf_acme", sf_acme, 200)):
            body = json.dumps({"status": "completed",
                               "call": {"call_id": call_id, "model_id": line_id}})
            status, _, answer = router.post("/synthflow/post-call", body, {
                "Content-Type": "application/json",
                "HTTP_SYNTHFLOW_SIGNATURE": synthflow_signature(secret, call_id)})
            assert status == wanted, answer
        for call_id, secret, wanted in (("in_forged", sf_platform, 401),
                                        ("in_acme", sf_acme, 200)):
            body = json.dumps({"event": "call_inbound", "call_inbound": {
                "model_id": line_id, "from_number": "+14155550123", "to_number": number,
                "call_id": call_id}})
            status, _, answer = router.post("/synthflow/inbound", body, {
                "Content-Type": "application/json",
                "HTTP_SYNTHFLOW_SIGNATURE": synthflow_signature(secret, call_id)})
            assert status == wanted, answer
            if wanted == 200:
                variables = json.loads(answer)["call_inbound"]["custom_variables"]
                assert variables["vami_tenant"] == "acme", answer
        calls = {c["conversation_id"]: c["tenant"] for c in live.json("calls", "list")}
        assert calls == {"conv_acme": "acme", "conv_bravo": "bravo", "conv_claim": "acme",
                         "sf_acme": "acme"}, calls
        log = router.log_lines(5, lambda line: line.get("outcome") == "forbidden")
        assert len(log) == 5, log
        for secret in (acme_secret, platform_secret, sf_acme, sf_platform):
            assert secret not in router.log.read_text()

        # Reconcile checks the tenant's workspace webhook too, and attaches it there again.
        status, body = elevenlabs(own, "PATCH", "/v1/convai/settings",
                                  {"webhooks": {"post_call_webhook_id": None}})
        assert status == 200, body
        found = live.run("reconcile", "--json")
        assert found.returncode == 4, found.stdout + found.stderr
        (finding,) = json.loads(found.stdout)["findings"]
        assert (finding["kind"], finding["account"], finding["provider_id"]) == (
            "post_call_webhook_detached", "acme-own",
            profile(live, "acme-own")["elevenlabs_webhook_id"])
        text = live.run("reconcile")
        assert "post-call webhook in tenant account 'acme-own' is none" in text.stdout, text.stdout
        applied = live.run("reconcile", "--apply")
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert post_call_setting(own)["post_call_webhook_id"] == \
            profile(live, "acme-own")["elevenlabs_webhook_id"]
        assert post_call_setting(sandbox)["post_call_webhook_id"] == \
            profile(live, "platform")["elevenlabs_webhook_id"]
    finally:
        router.stop()
    assert acme_secret not in "".join(router.stderr)


def test_a_running_router_reads_a_tenant_accounts_new_secret_without_a_restart(
        live, sandbox, accounts, tmp_path):
    """`router setup` run while `router serve` runs: the tenant account's new secret is read
    from the config file once it changes (looked at no more than once a second)."""
    _own, agents = accounts
    port = free_port()
    router = Router(live, tmp_path / "router.log", port=port)
    try:
        acme_id = agents["acme-desk"]["provider_agent_id"]

        def deliver(conversation, secret):
            body = post_call(acme_id, conversation)
            return router.post("/elevenlabs/post-call", body, {
                "Content-Type": "application/json",
                "ElevenLabs-Signature": elevenlabs_signature(secret, body)})

        status, _, answer = deliver("conv_before", "no-secret-yet")
        assert status == 403 and "no_account_secret" in answer, answer
        router_setup(live, f"http://127.0.0.1:{port}")
        secret = profile(live, "acme-own")["elevenlabs_webhook_secret"]
        deadline = time.monotonic() + 15
        while True:
            status, _, answer = deliver("conv_after", secret)
            if status != 403 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert status == 200, answer
        assert [c["conversation_id"] for c in live.json("calls", "list")] == ["conv_after"]
        # Another account's secret still does not sign for acme's agent.
        status, _, answer = deliver("conv_forged", profile(live, "platform")[
            "elevenlabs_webhook_secret"])
        assert status == 403 and "mismatch_signature" in answer, answer
    finally:
        router.stop()
    stderr = "".join(router.stderr) + router.process.stderr.read()
    assert "read the tenant accounts' webhook secrets again" in stderr, stderr
    assert secret not in stderr


def test_the_platforms_secrets_are_never_kept_in_a_tenants_profile(live, sandbox, tmp_path):
    # The only profile, acme's own account, is the default: the platform's router settings
    # would share its keys.
    added = live.run("profiles", "add", "acme-own", "--from-env")
    assert added.returncode == 0, added.stderr
    create_tenant(live, "acme", "Acme Dental", "--profile", "acme-own")
    for command in (["router", "setup", "--public-url", f"http://127.0.0.1:{free_port()}"],
                    ["router", "serve", "--public-url", "http://127.0.0.1:8080"]):
        refused = live.run(*command)
        assert refused.returncode == 2, refused.stderr
        line = error_line(refused)
        assert "profile 'acme-own' holds tenant \"acme\"'s own account" in line, line
    assert "elevenlabs_webhook_id" not in profile(live, "acme-own")
