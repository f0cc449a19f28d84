"""What vami says when one provider's credentials are missing while another's are set (so the
sandbox is off): exit 5, the missing variables (or profile keys) named, the ones that are set
named, and both ways out. Environment variables and profiles only: every command here fails
before any request is sent."""
import pytest

from conftest import error_line

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "canary-token-7f3a9c2e51d04b68"
ELEVEN = "canary-eleven-5d21e8f0c4b7a913"
SYNTH_KEY = "canary-synth-1b7e33c09d4f8a25"
WORKSPACE = "ws-canary-42"

SYNTHFLOW = {"SYNTHFLOW_API_KEY": SYNTH_KEY, "SYNTHFLOW_WORKSPACE_ID": WORKSPACE}
TWILIO = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN}
ELEVENLABS = {"ELEVENLABS_API_KEY": ELEVEN}

TWILIO_COMMAND = ("numbers", "search", "--area-code", "212")
ELEVENLABS_COMMAND = ("voices", "list", "--provider", "elevenlabs")
SYNTHFLOW_COMMAND = ("voices", "list", "--provider", "synthflow")


def refused(vami, command, env):
    result = vami.run(*command, env=env)
    assert result.returncode == 5, result.stderr
    assert "built-in sandbox" not in result.stderr
    line = error_line(result)
    for secret in (TOKEN, ELEVEN, SYNTH_KEY):
        assert secret not in result.stderr and secret not in result.stdout
    return line


def test_only_synthflow_set_twilio_and_elevenlabs_errors_name_synthflow(vami):
    twilio = refused(vami, TWILIO_COMMAND, SYNTHFLOW)
    assert "no Twilio credentials: none of TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, " \
           "TWILIO_API_KEY and TWILIO_API_SECRET is set" in twilio, twilio
    assert "while SYNTHFLOW_API_KEY and SYNTHFLOW_WORKSPACE_ID are set" in twilio, twilio
    assert "unset SYNTHFLOW_API_KEY and SYNTHFLOW_WORKSPACE_ID" in twilio, twilio
    assert "ELEVENLABS_API_KEY" not in twilio, twilio

    elevenlabs = refused(vami, ELEVENLABS_COMMAND, SYNTHFLOW)
    assert "no ElevenLabs API key: ELEVENLABS_API_KEY is not set" in elevenlabs, elevenlabs
    assert "while SYNTHFLOW_API_KEY and SYNTHFLOW_WORKSPACE_ID are set" in elevenlabs, elevenlabs
    assert "Twilio" not in elevenlabs and "TWILIO" not in elevenlabs, elevenlabs
    # The default provider (elevenlabs) says the same.
    assert refused(vami, ("voices", "list"), SYNTHFLOW) == elevenlabs


@pytest.mark.parametrize("given, missing", [
    ({"SYNTHFLOW_API_KEY": SYNTH_KEY}, "SYNTHFLOW_WORKSPACE_ID"),
    ({"SYNTHFLOW_WORKSPACE_ID": WORKSPACE}, "SYNTHFLOW_API_KEY"),
])
def test_half_of_synthflow_names_the_missing_half_and_the_set_one(vami, given, missing):
    (present,) = given
    line = refused(vami, SYNTHFLOW_COMMAND, given)
    assert f"Synthflow credentials are incomplete: {missing} is not set, while {present} is " \
           "set" in line, line
    assert f"set {missing}" in line and f"unset {present}" in line, line
    assert "other provider" not in line, line


def test_only_elevenlabs_set(vami):
    twilio = refused(vami, TWILIO_COMMAND, ELEVENLABS)
    assert "while ELEVENLABS_API_KEY is set" in twilio and "unset ELEVENLABS_API_KEY" in twilio
    assert "SYNTHFLOW" not in twilio, twilio
    synthflow = refused(vami, SYNTHFLOW_COMMAND, ELEVENLABS)
    assert "no Synthflow credentials: SYNTHFLOW_API_KEY and SYNTHFLOW_WORKSPACE_ID are not " \
           "set" in synthflow, synthflow
    assert "while ELEVENLABS_API_KEY is set" in synthflow, synthflow
    assert "unset ELEVENLABS_API_KEY" in synthflow, synthflow


def test_only_twilio_set(vami):
    elevenlabs = refused(vami, ELEVENLABS_COMMAND, TWILIO)
    assert "ELEVENLABS_API_KEY is not set" in elevenlabs, elevenlabs
    assert "while TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are set" in elevenlabs, elevenlabs
    assert "unset TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN" in elevenlabs, elevenlabs
    synthflow = refused(vami, SYNTHFLOW_COMMAND, TWILIO)
    assert "while TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are set" in synthflow, synthflow


def test_two_set_the_third_names_both(vami):
    line = refused(vami, SYNTHFLOW_COMMAND, {**TWILIO, **ELEVENLABS})
    assert "while TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and ELEVENLABS_API_KEY are set" in line
    line = refused(vami, TWILIO_COMMAND, {**ELEVENLABS, **SYNTHFLOW})
    assert "while ELEVENLABS_API_KEY, SYNTHFLOW_API_KEY and SYNTHFLOW_WORKSPACE_ID are set" \
        in line, line


def test_incomplete_twilio_names_what_is_missing_and_what_is_set(vami):
    line = refused(vami, TWILIO_COMMAND, {"TWILIO_AUTH_TOKEN": TOKEN})
    assert "TWILIO_ACCOUNT_SID is not set, while TWILIO_AUTH_TOKEN is set" in line, line
    line = refused(vami, TWILIO_COMMAND, {"TWILIO_ACCOUNT_SID": SID, "TWILIO_API_KEY": "SK" + "0" * 32})
    assert "TWILIO_API_SECRET is not set, while TWILIO_ACCOUNT_SID and TWILIO_API_KEY are set" \
        in line, line


def test_a_profile_without_credentials_and_synthflow_set_names_synthflow(vami):
    assert vami.run("profiles", "add", "flows", "--agent-provider", "synthflow").returncode == 0
    line = refused(vami, TWILIO_COMMAND, SYNTHFLOW)
    assert "no Twilio credentials in profile 'flows', and none of TWILIO_ACCOUNT_SID" in line
    assert "while SYNTHFLOW_API_KEY and SYNTHFLOW_WORKSPACE_ID are set" in line, line
    assert "ElevenLabs" not in line, line
    line = refused(vami, ELEVENLABS_COMMAND, SYNTHFLOW)
    assert "no ElevenLabs API key in profile 'flows', and ELEVENLABS_API_KEY is not set" in line
    assert "Twilio" not in line, line


def test_a_profile_with_twilio_names_its_keys(vami):
    result = vami.run("profiles", "add", "phones", "--twilio-account-sid", SID,
                      env={"TWILIO_AUTH_TOKEN": TOKEN})
    assert result.returncode == 0, result.stderr
    line = refused(vami, ELEVENLABS_COMMAND, {})
    assert "no ElevenLabs API key in profile 'phones', and ELEVENLABS_API_KEY is not set" in line
    assert "while twilio_account_sid and twilio_auth_token of profile 'phones' are set" in line
    assert "'vami profiles add phones --replace'" in line, line
    assert "use no profile with credentials" in line, line
    # SYNTHFLOW_* from the environment beside the profile's Twilio: both named.
    line = refused(vami, SYNTHFLOW_COMMAND, {"SYNTHFLOW_API_KEY": SYNTH_KEY})
    assert "SYNTHFLOW_WORKSPACE_ID is not set, while SYNTHFLOW_API_KEY is set" in line, line
    assert "twilio_account_sid and twilio_auth_token of profile 'phones'" in line, line
