"""Databases, credentials, transport failures and the --debug trace."""
import json
import socket

from test_numbers import error_line


def test_database_in_a_missing_folder_is_a_usage_error(vami, tmp_path):
    missing = tmp_path / "no" / "such" / "vami.db"
    result = vami.run("--db", missing, "numbers", "list", db=False)
    assert result.returncode == 2
    line = error_line(result)
    assert str(missing.parent) in line and "--db" in line
    assert not missing.parent.exists()


def test_a_file_that_is_not_a_vami_database_is_refused_and_left_alone(vami, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\n" * 100)
    before = notes.read_bytes()
    result = vami.run("--db", notes, "numbers", "list", db=False)
    assert result.returncode == 2
    assert "not a vami state database" in error_line(result)
    assert notes.read_bytes() == before


def test_wrong_credentials_are_exit_5_with_twilios_code(live):
    result = live.run("numbers", "search", "--area-code", "212",
                      env={"TWILIO_AUTH_TOKEN": "0" * 32})
    assert result.returncode == 5
    assert "20003" in error_line(result)


def test_an_api_key_and_secret_work_instead_of_the_auth_token(live, sandbox):
    key = {"TWILIO_AUTH_TOKEN": "", **sandbox.api_key}
    assert key["TWILIO_API_KEY"].startswith("SK")
    result = live.run("numbers", "buy", "--count", "1", "--area-code", "212", "--yes", env=key)
    assert result.returncode == 0, result.stderr
    assert len(sandbox.owned()) == 1
    wrong = live.run("numbers", "search", "--area-code", "212",
                     env={**key, "TWILIO_API_SECRET": "0" * 32})
    assert wrong.returncode == 5 and "20003" in error_line(wrong)
    alone = live.run("numbers", "search", "--area-code", "212",
                     env={**key, "TWILIO_API_SECRET": ""})
    assert alone.returncode == 5 and "TWILIO_API_SECRET" in error_line(alone)


def test_incomplete_credentials_never_fall_back_to_the_sandbox(vami):
    result = vami.run("numbers", "search", "--area-code", "212",
                      env={"TWILIO_ACCOUNT_SID": "AC" + "0" * 32})
    assert result.returncode == 5
    assert "TWILIO_AUTH_TOKEN" in error_line(result)
    assert "sandbox" not in result.stderr.replace(error_line(result), "")


def test_unreachable_provider_is_exit_6(live):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = live.run("numbers", "search", "--area-code", "212",
                      env={"VAMI_TWILIO_BASE_URL": f"http://127.0.0.1:{port}"})
    assert result.returncode == 6
    assert "127.0.0.1" in error_line(result)


def test_debug_trace_shows_requests_and_never_the_secret(live, sandbox):
    result = live.run("--debug", "numbers", "buy", "--count", "1", "--area-code", "212", "--yes")
    assert result.returncode == 0, result.stderr
    assert "AvailablePhoneNumbers/US/Local.json" in result.stderr
    assert "IncomingPhoneNumbers.json" in result.stderr
    assert "[REDACTED]" in result.stderr
    assert sandbox.auth_token not in result.stderr
    assert sandbox.auth_token not in result.stdout


def test_results_go_to_stdout_and_messages_to_stderr(live):
    result = live.run("numbers", "search", "--area-code", "212", "--json")
    json.loads(result.stdout)  # nothing but the result
    assert "for sale" in result.stderr
    quiet = live.run("-q", "numbers", "search", "--area-code", "212", "--json")
    assert quiet.stderr == ""


def test_sandbox_server_rejects_other_credentials_with_twilios_401(sandbox):
    status, body = sandbox.request(
        "GET", f"/2010-04-01/Accounts/{sandbox.account_sid}/IncomingPhoneNumbers.json",
        token="f" * 32)
    assert status == 401
    assert body["code"] == 20003 and body["status"] == 401


def test_unknown_command_and_option_are_usage_errors(vami):
    assert vami.run("numbers", "frobnicate").returncode == 2
    assert vami.run("numbers", "list", "--colour").returncode == 2
    assert vami.run("numbers", "list", "--status", "lost").returncode == 2
