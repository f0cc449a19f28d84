"""Every Synthflow operation vami uses, run through the real client against the official document
(api-mocks / Prism), with zero contract violations.

No command of the CLI chooses Synthflow yet (the provider registry will), so the operations are
run by `synthflow_contract_driver` (built beside the tests from tests/conformance/
synthflow_contract_driver.cpp), which drives `make_synthflow_provider` over libcurl, as the
binary will. The mock is stateless and answers the document's generated examples:
- the agent's `description` is never vami's marker, so `update_agent` with a knowledge list only
  attaches (`POST /knowledge_base/{id}/detach` is not reached here; the unit tests cover it);
- `GET /numbers/{slug}` answers a non-empty `sip_term_uri`, so the import is removed."""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import API_MOCKS, ROOT

DRIVER = os.environ.get("VAMI_SYNTHFLOW_DRIVER") or str(
    Path(os.environ.get("VAMI_BIN") or ROOT / "build" / "cli" / "vami").parent.parent
    / "tests" / "synthflow_contract_driver")


def served_requests(log_text):
    return re.findall(r"\[HTTP SERVER\] (get|post|delete|patch|put) (\S+)", log_text)


@pytest.fixture(scope="module")
def synthflow_mock(tmp_path_factory):
    if not API_MOCKS.exists():
        message = f"api-mocks not found at {API_MOCKS} (../shared is absent)"
        if os.environ.get("CI"):
            pytest.fail(message + "; conformance tests are required in CI")
        pytest.skip(message)
    directory = tmp_path_factory.mktemp("api-mocks-synthflow")
    started = subprocess.run([str(API_MOCKS), "start", str(directory), "synthflow"],
                             capture_output=True, text=True, timeout=900)
    if started.returncode != 0:
        pytest.fail("api-mocks start failed: " + started.stdout + started.stderr)
    env = {}
    for line in (directory / "env").read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = value
    yield directory, env
    subprocess.run([str(API_MOCKS), "stop", str(directory)], timeout=60)


def test_synthflow_operations_follow_the_official_contract(synthflow_mock):
    directory, mock_env = synthflow_mock
    assert Path(DRIVER).exists(), f"build synthflow_contract_driver first ({DRIVER})"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNTHFLOW_", "VAMI_"))}
    env.update(mock_env)
    env.update({"SYNTHFLOW_API_KEY": "sf-" + "c" * 40, "SYNTHFLOW_WORKSPACE_ID": "ws-1",
                "VAMI_SYNTHFLOW_TERMINATION_URI": "vami-pool.pstn.twilio.com"})
    result = subprocess.run([DRIVER], env=env, capture_output=True, text=True, timeout=300)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    failed = [line for line in lines if not line["ok"]]
    assert result.returncode == 0 and not failed, (failed, result.stderr)
    assert len(lines) == 23, lines

    requests = {(m, p.split("?")[0]) for m, p in
                served_requests((directory / "synthflow.log").read_text())}
    for method, path in [
        ("get", "/voices"),
        ("post", "/assistants"),
        ("get", "/assistants/string"),
        ("put", "/assistants/string"),
        ("get", "/assistants/"),
        ("delete", "/assistants/string"),
        ("post", "/knowledge_base"),
        ("post", "/knowledge_base/string/sources"),
        ("post", "/knowledge_base/string/attach"),
        ("get", "/knowledge_base"),
        ("get", "/knowledge_base/string/sources"),
        ("delete", "/knowledge_base/string"),
        ("post", "/custom-numbers"),
        ("get", "/numbers/12125550101"),
        ("get", "/numbers"),
        ("delete", "/numbers/12125550101"),
        ("delete", "/numbers/14155550142"),
        ("get", "/calls"),
        ("get", "/calls/string"),
    ]:
        assert (method, path) in requests, f"no {method.upper()} {path} reached the mock"

    violations = subprocess.run([str(API_MOCKS), "violations", str(directory)],
                                capture_output=True, text=True, timeout=60)
    assert violations.returncode == 0, "contract violations:\n" + violations.stdout
