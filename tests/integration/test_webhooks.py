"""`vami webhooks set|show` against `vami sandbox serve`."""
from test_numbers import error_line


def bought_number(live):
    report = live.json("numbers", "buy", "--count", "1", "--area-code", "212", "--yes")
    return report["items"][0]["e164"]


def provider_view(sandbox, e164):
    (number,) = [n for n in sandbox.owned() if n["phone_number"] == e164]
    return number


def test_set_reads_back_and_records_the_voice_webhook(live, sandbox):
    e164 = bought_number(live)
    result = live.json("webhooks", "set", e164, "--voice-url", "https://router.example.com/voice",
                       "--status-callback", "https://router.example.com/status")
    assert result["voice_url"] == "https://router.example.com/voice"
    at_twilio = provider_view(sandbox, e164)
    assert at_twilio["voice_url"] == "https://router.example.com/voice"
    assert at_twilio["voice_method"] == "POST"
    assert at_twilio["status_callback"] == "https://router.example.com/status"
    assert live.rows("SELECT voice_url, voice_method FROM numbers WHERE e164 = ?", (e164,)) == [
        ("https://router.example.com/voice", "POST")]
    shown = live.json("webhooks", "show", e164)
    assert shown["voice_url"] == "https://router.example.com/voice" and shown["in_sync"] is True
    assert live.rows("SELECT count(*) FROM audit_entries WHERE command = 'webhooks set'") == [(1,)]


def test_show_notices_a_change_made_outside_vami(live, sandbox):
    e164 = bought_number(live)
    sid = provider_view(sandbox, e164)["sid"]
    status, _ = sandbox.request(
        "POST", f"/2010-04-01/Accounts/{sandbox.account_sid}/IncomingPhoneNumbers/{sid}.json",
        form={"VoiceUrl": "https://elsewhere.example.com/"})
    assert status == 200
    shown = live.json("webhooks", "show", e164)
    assert shown["voice_url"] == "https://elsewhere.example.com/" and shown["in_sync"] is False


def test_set_without_status_callback_keeps_the_one_set_elsewhere(live, sandbox):
    e164 = bought_number(live)
    sid = provider_view(sandbox, e164)["sid"]
    status, _ = sandbox.request(
        "POST", f"/2010-04-01/Accounts/{sandbox.account_sid}/IncomingPhoneNumbers/{sid}.json",
        form={"StatusCallback": "https://crm.example.com/status"})
    assert status == 200
    result = live.json("webhooks", "set", e164, "--voice-url", "https://router.example.com/voice")
    assert result["voice_url"] == "https://router.example.com/voice"
    assert result["status_callback"] == "https://crm.example.com/status"
    at_twilio = provider_view(sandbox, e164)
    assert at_twilio["voice_url"] == "https://router.example.com/voice"
    assert at_twilio["status_callback"] == "https://crm.example.com/status"
    assert live.json("webhooks", "show", e164)["in_sync"] is True


def test_plain_http_needs_allow_http(live, sandbox):
    e164 = bought_number(live)
    refused = live.run("webhooks", "set", e164, "--voice-url", "http://router.example.com/voice")
    assert refused.returncode == 2 and "https" in error_line(refused)
    assert provider_view(sandbox, e164)["voice_url"] in (None, "")
    allowed = live.run("webhooks", "set", e164, "--voice-url", "http://127.0.0.1:9/voice",
                       "--voice-method", "GET", "--allow-http")
    assert allowed.returncode == 0, allowed.stderr
    assert provider_view(sandbox, e164)["voice_method"] == "GET"


def test_bad_webhook_input_changes_nothing(live, sandbox):
    e164 = bought_number(live)
    for args, code in [
        (["--voice-url", "not a url"], 2),
        (["--voice-url", "ftp://router.example.com/"], 2),
        (["--voice-url", "https://router.example.com/", "--voice-method", "PUT"], 2),
    ]:
        result = live.run("webhooks", "set", e164, *args)
        assert result.returncode == code, (args, result.stderr)
    assert provider_view(sandbox, e164)["voice_url"] in (None, "")
    unknown = live.run("webhooks", "set", "+12125550199", "--voice-url", "https://a.example.com/")
    assert unknown.returncode == 3
