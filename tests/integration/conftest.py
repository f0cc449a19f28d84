"""Fixtures for running the built `vami` binary as a user would, against `vami sandbox serve`."""
import base64
import json
import os
import signal
import sqlite3
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

VAMI = os.environ.get("VAMI_BIN") or str(Path(__file__).resolve().parents[2] / "build" / "cli" / "vami")

# Variables that would make vami talk to a real account or a stale sandbox.
_PROVIDER_VARIABLES = [
    "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET",
    "VAMI_TWILIO_BASE_URL", "VAMI_TWILIO_PRICING_BASE_URL", "VAMI_ELEVENLABS_BASE_URL",
    "ELEVENLABS_API_KEY", "VAMI_DB", "VAMI_SANDBOX_DB", "VAMI_PROFILE",
]


def clean_environment(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in _PROVIDER_VARIABLES}
    env["HOME"] = str(home)
    env["XDG_DATA_HOME"] = str(home / "data")
    env["XDG_CONFIG_HOME"] = str(home / "config")
    env["NO_COLOR"] = "1"
    return env


class Vami:
    """Runs the vami binary with a private database and environment."""

    def __init__(self, workdir: Path, env: dict):
        self.workdir = workdir
        self.env = env
        self.db = workdir / "vami.db"

    def run(self, *args, env=None, input=None, timeout=120, db=True):
        command = [VAMI]
        if db:
            command += ["--db", str(self.db)]
        command += [str(a) for a in args]
        return subprocess.run(command, env={**self.env, **(env or {})}, input=input,
                              stdin=None if input is not None else subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout)

    def json(self, *args, **kwargs):
        result = self.run(*args, "--json", **kwargs)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def rows(self, sql, params=()):
        with sqlite3.connect(self.db) as connection:
            return connection.execute(sql, params).fetchall()


class Sandbox:
    """`vami sandbox serve` on 127.0.0.1 with its own state file."""

    def __init__(self, state: Path, env: dict, latency_ms=0, extra_args=()):
        self.process = subprocess.Popen(
            [VAMI, "sandbox", "serve", "--port", "0", "--state", str(state),
             "--latency-ms", str(latency_ms), *[str(a) for a in extra_args]],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            text=True)
        # Exports, then a commented alternative with the account's API key.
        self.exports = {}
        self.api_key = {}
        while not self.api_key:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("sandbox serve exited: " + self.process.stderr.read())
            if line.startswith("# export "):
                for assignment in line.removeprefix("# export ").split():
                    name, _, value = assignment.partition("=")
                    self.api_key[name] = value
            elif line.startswith("export "):
                name, _, value = line.strip().removeprefix("export ").partition("=")
                self.exports[name] = value
        self.base_url = self.exports["VAMI_TWILIO_BASE_URL"]
        self.account_sid = self.exports["TWILIO_ACCOUNT_SID"]
        self.auth_token = self.exports["TWILIO_AUTH_TOKEN"]

    def request(self, method, path, form=None, token=None):
        """One Twilio API request, straight to the sandbox (not through vami)."""
        credentials = f"{self.account_sid}:{token or self.auth_token}".encode()
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Authorization", "Basic " + base64.b64encode(credentials).decode())
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body = response.read()
                return response.status, json.loads(body) if body else None
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def owned(self):
        """Every number the sandbox account owns, following next_page_uri."""
        numbers = []
        path = f"/2010-04-01/Accounts/{self.account_sid}/IncomingPhoneNumbers.json?PageSize=1000"
        while path:
            status, page = self.request("GET", path)
            assert status == 200, page
            numbers += page["incoming_phone_numbers"]
            path = page.get("next_page_uri")
        return numbers

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


import urllib.parse  # noqa: E402  (used by Sandbox.request)


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def vami(tmp_path, home):
    """vami with the in-process sandbox (no credentials), as on a fresh machine."""
    return Vami(tmp_path, clean_environment(home))


@pytest.fixture
def sandbox(tmp_path, home):
    server = Sandbox(tmp_path / "served-sandbox.db", clean_environment(home))
    yield server
    server.stop()


@pytest.fixture
def live(tmp_path, home, sandbox):
    """vami configured like a live Twilio account, pointed at `vami sandbox serve`."""
    return Vami(tmp_path, {**clean_environment(home), **sandbox.exports})
