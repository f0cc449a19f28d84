"""Runs the built binary against api-mocks: Prism serving the providers' official OpenAPI
documents, which answers 422/401 to any request that breaks the contract and logs it."""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VAMI = os.environ.get("VAMI_BIN") or str(ROOT / "build" / "cli" / "vami")
API_MOCKS = Path(os.environ.get("VAMI_API_MOCKS") or ROOT.parent / "shared" / "tools" / "api-mocks")


@pytest.fixture(scope="session")
def mocks(tmp_path_factory):
    if not API_MOCKS.exists():
        message = f"api-mocks not found at {API_MOCKS} (../shared is absent)"
        if os.environ.get("CI"):
            pytest.fail(message + "; conformance tests are required in CI")
        pytest.skip(message)
    directory = tmp_path_factory.mktemp("api-mocks")
    started = subprocess.run([str(API_MOCKS), "start", str(directory)], capture_output=True,
                             text=True, timeout=900)
    if started.returncode != 0:
        pytest.fail("api-mocks start failed: " + started.stdout + started.stderr)
    env = {}
    for line in (directory / "env").read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = value
    yield directory, env
    subprocess.run([str(API_MOCKS), "stop", str(directory)], timeout=60)


@pytest.fixture(scope="session")
def contract(mocks, tmp_path_factory):
    directory, mock_env = mocks
    home = tmp_path_factory.mktemp("home")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TWILIO_", "ELEVENLABS_", "VAMI_"))}
    env.update(mock_env)
    env.update({"HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
                "TWILIO_ACCOUNT_SID": "AC" + "a" * 32, "TWILIO_AUTH_TOKEN": "b" * 32})
    db = home / "vami.db"

    def run(*args):
        return subprocess.run([VAMI, "--db", str(db), *map(str, args)], env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=300)

    def violations():
        result = subprocess.run([str(API_MOCKS), "violations", str(directory)],
                                capture_output=True, text=True, timeout=60)
        return result.returncode, result.stdout

    def log(name):
        return (directory / f"{name}.log").read_text()

    return run, violations, log
