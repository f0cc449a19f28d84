"""Every Twilio Elastic SIP Trunking operation vami's trunking client has (a trunk, its
origination URL, a number moved onto it and off, the lists), run over libcurl against the
official document (api-mocks `twilio-trunking` / Prism), with zero contract violations. No
command uses the client yet (it is what moves a pool number onto a trunk pointed at Synthflow),
so `trunking_contract_driver` runs the operations."""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import API_MOCKS, ROOT

DRIVER = os.environ.get("VAMI_TRUNKING_DRIVER") or str(
    Path(os.environ.get("VAMI_BIN") or ROOT / "build" / "cli" / "vami").parent.parent
    / "tests" / "trunking_contract_driver")


@pytest.fixture(scope="module")
def trunking_mock(tmp_path_factory):
    if not API_MOCKS.exists():
        message = f"api-mocks not found at {API_MOCKS} (../shared is absent)"
        if os.environ.get("CI"):
            pytest.fail(message + "; conformance tests are required in CI")
        pytest.skip(message)
    directory = tmp_path_factory.mktemp("api-mocks-trunking")
    started = subprocess.run([str(API_MOCKS), "start", str(directory), "twilio-trunking"],
                             capture_output=True, text=True, timeout=900)
    if started.returncode != 0:
        pytest.fail("api-mocks start failed: " + started.stdout + started.stderr)
    env = {}
    for line in (directory / "env").read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = value
    yield directory, env
    subprocess.run([str(API_MOCKS), "stop", str(directory)], timeout=60)


def test_trunking_operations_follow_the_official_contract(trunking_mock):
    directory, mock_env = trunking_mock
    assert Path(DRIVER).exists(), f"build trunking_contract_driver first ({DRIVER})"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "VAMI_"))}
    env.update(mock_env)
    env.update({"TWILIO_ACCOUNT_SID": "AC" + "a" * 32, "TWILIO_AUTH_TOKEN": "b" * 32})
    result = subprocess.run([DRIVER], env=env, capture_output=True, text=True, timeout=120)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    failed = [line for line in lines if not line["ok"]]
    assert result.returncode == 0 and not failed, (failed, result.stderr)
    assert len(lines) == 8, lines

    served = {(m, p.split("?")[0]) for m, p in re.findall(
        r"\[HTTP SERVER\] (get|post|delete) (\S+)",
        (directory / "twilio-trunking.log").read_text())}
    trunk = "/v1/Trunks/" + lines[0]["detail"]
    for method, path in [("post", "/v1/Trunks"), ("get", "/v1/Trunks"),
                         ("post", trunk + "/OriginationUrls"), ("get", trunk + "/OriginationUrls"),
                         ("post", trunk + "/PhoneNumbers"), ("get", trunk + "/PhoneNumbers"),
                         ("delete", trunk + "/PhoneNumbers/PN" + "b" * 32), ("delete", trunk)]:
        assert (method, path) in served, f"no {method.upper()} {path} reached the mock"

    violations = subprocess.run([str(API_MOCKS), "violations", str(directory)],
                                capture_output=True, text=True, timeout=60)
    assert violations.returncode == 0, "contract violations:\n" + violations.stdout
