"""Fixtures for running the built `vami` binary as a user would, against `vami sandbox serve`."""
import base64
import json
import os
import secrets
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
    "SYNTHFLOW_API_KEY", "SYNTHFLOW_WORKSPACE_ID", "VAMI_SYNTHFLOW_BASE_URL",
    "VAMI_TWILIO_TRUNKING_BASE_URL", "VAMI_SYNTHFLOW_WEBHOOK_SECRET",
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


# --- Tenants, agents, knowledge, assignment: helpers shared by their test files. ---------------

def error_line(result):
    """The one "vami: error: ..." line of a failed run."""
    lines = [l for l in result.stderr.splitlines() if l.startswith("vami: error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def elevenlabs(sandbox, method, path, body=None):
    """One ElevenLabs API request straight to the served sandbox (not through vami)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(sandbox.exports["VAMI_ELEVENLABS_BASE_URL"] + path,
                                     data=data, method=method)
    request.add_header("xi-api-key", sandbox.exports["ELEVENLABS_API_KEY"])
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        text = error.read()
        return error.code, json.loads(text) if text else None


def sandbox_agents(sandbox):
    """Every agent at the served sandbox's ElevenLabs API (GET /v1/convai/agents, all pages)."""
    agents, cursor = [], None
    while True:
        path = "/v1/convai/agents?page_size=100" + (f"&cursor={cursor}" if cursor else "")
        status, page = elevenlabs(sandbox, "GET", path)
        assert status == 200, page
        agents += page["agents"]
        if not page.get("has_more"):
            return agents
        cursor = page["next_cursor"]


def sandbox_agent(sandbox, agent_id):
    """One agent at the served sandbox (GET /v1/convai/agents/{id}); None when it is gone."""
    status, body = elevenlabs(sandbox, "GET", f"/v1/convai/agents/{agent_id}")
    if status == 404:
        return None
    assert status == 200, body
    return body


def sandbox_knowledge_base(agent):
    """The knowledge-base entries attached to an agent as the provider returns it."""
    return agent["conversation_config"]["agent"]["prompt"].get("knowledge_base") or []


def sandbox_documents(sandbox):
    """Ids of every knowledge-base document the served sandbox holds. Its API has no listing of
    documents, so this reads the sandbox's own state file (read-only)."""
    args = sandbox.process.args
    state = args[args.index("--state") + 1]
    with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as connection:
        return sorted(r[0] for r in connection.execute("SELECT document_id FROM convai_documents"))


def sandbox_imported_numbers(sandbox):
    """The numbers imported into the served sandbox's Agents Platform, with their agent."""
    status, body = elevenlabs(sandbox, "GET", "/v1/convai/phone-numbers")
    assert status == 200, body
    return {n["phone_number"]: (n.get("assigned_agent") or {}).get("agent_id") for n in body}


def database_state(vami):
    """What the state database holds about tenants, agents, documents and numbers (everything a
    command could change), to compare before and after a refused command."""
    if not vami.db.exists():
        return {}
    return {
        "tenants": vami.rows("SELECT slug, name, industry, contact_name, contact_email, "
                             "updated_at FROM tenants ORDER BY slug"),
        "agents": vami.rows("SELECT slug, tenant_id, name, provider_agent_id, voice_id, language, "
                            "personality, first_message, prompt, status, updated_at "
                            "FROM agents ORDER BY slug"),
        "documents": vami.rows("SELECT provider_document_id, agent_id, name, sha256 "
                               "FROM documents ORDER BY provider_document_id"),
        "numbers": vami.rows("SELECT e164, status, tenant_id, agent_id, routing_mode, voice_url, "
                             "provider_agent_phone_id FROM numbers ORDER BY e164"),
        "audit": vami.rows("SELECT count(*) FROM audit_entries"),
    }


def world_state(vami, sandbox):
    """The state database and what the served sandbox holds at ElevenLabs and Twilio."""
    return {
        "database": database_state(vami),
        "agents": sorted((a["agent_id"], a["name"]) for a in sandbox_agents(sandbox)),
        "documents": sandbox_documents(sandbox),
        "imported": sandbox_imported_numbers(sandbox),
        "owned": sorted((n["phone_number"], n["voice_url"]) for n in sandbox.owned()),
    }


def write_documents(folder: Path) -> dict:
    """One small, valid file of each format the knowledge base accepts, typed by content."""
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    files["pdf"] = folder / "price-list.pdf"
    files["pdf"].write_bytes(
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    files["txt"] = folder / "hours.txt"
    files["txt"].write_text("Opening hours: Monday to Friday, 9:00 to 17:00.\n"
                            "Closed on public holidays.\n")
    files["markdown"] = folder / "faq.md"
    files["markdown"].write_text("# FAQ\n\n- **Parking**: free, behind the building.\n"
                                 "- *Payment*: cards and cash.\n")
    files["html"] = folder / "services.html"
    files["html"].write_text("<!DOCTYPE html>\n<html><head><title>Services</title></head>"
                             "<body><p>Cleaning, fillings, crowns.</p></body></html>\n")
    files["docx"] = folder / "policies.docx"
    with zipfile.ZipFile(files["docx"], "w", zipfile.ZIP_DEFLATED) as docx:
        docx.writestr("[Content_Types].xml",
                      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                      '<Default Extension="rels" ContentType="application/'
                      'vnd.openxmlformats-package.relationships+xml"/>'
                      '<Default Extension="xml" ContentType="application/xml"/>'
                      '<Override PartName="/word/document.xml" ContentType="application/'
                      'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
                      '</Types>')
        docx.writestr("_rels/.rels",
                      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                      '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                      'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
                      '.org/officeDocument/2006/relationships/officeDocument" '
                      'Target="word/document.xml"/></Relationships>')
        docx.writestr("word/document.xml",
                      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                      '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/'
                      '2006/main"><w:body><w:p><w:r><w:t>Cancellations: 24 hours ahead.</w:t>'
                      '</w:r></w:p></w:body></w:document>')
    files["epub"] = folder / "guide.epub"
    with zipfile.ZipFile(files["epub"], "w") as epub:
        # The EPUB signature: "mimetype" first, stored uncompressed.
        epub.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip",
                      compress_type=zipfile.ZIP_STORED)
        epub.writestr("META-INF/container.xml",
                      '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:'
                      'opendocument:xmlns:container"><rootfiles><rootfile full-path="content.opf" '
                      'media-type="application/oebps-package+xml"/></rootfiles></container>',
                      compress_type=zipfile.ZIP_DEFLATED)
        epub.writestr("content.opf",
                      '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" '
                      'version="3.0"><metadata/><manifest/><spine/></package>',
                      compress_type=zipfile.ZIP_DEFLATED)
    return files


@pytest.fixture
def documents(tmp_path):
    """Knowledge files of every accepted format, by format name."""
    return write_documents(tmp_path / "documents")


def create_tenant(vami, slug, name=None, *flags):
    result = vami.run("tenants", "create", slug, "--name", name or slug.title(), *flags, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def create_agent(vami, tenant, name, *flags):
    result = vami.run("agents", "create", "--tenant", tenant, "--name", name, *flags, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def buy_numbers(vami, count=1, area_code="212"):
    """Buys numbers into the pool; returns their E.164."""
    report = vami.json("numbers", "buy", "--count", str(count), "--area-code", area_code, "--yes")
    assert report["succeeded"] == count, report
    return sorted(item["e164"] for item in report["items"])


# --- PostgreSQL: the test server ctest starts (tests/postgres_cluster.sh), a schema per test. ---

def server_uri():
    """The test server's URI, or the reason there is none (failing under CI, skipping else)."""
    uri = os.environ.get("VAMI_TEST_POSTGRES_URI", "")
    path = os.environ.get("VAMI_TEST_POSTGRES_URI_FILE", "")
    if not uri and path and Path(path).exists():
        uri = Path(path).read_text().strip()
    if not uri.startswith("postgresql://"):
        reason = "no PostgreSQL test server (run with ctest, or set VAMI_TEST_POSTGRES_URI)"
        if uri:
            reason += ": " + uri
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return uri


def psql(uri, sql):
    """Rows of `sql` run with psql, outside vami, as lists of text."""
    result = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1",
                             uri, "-c", sql], capture_output=True, text=True, check=True)
    return [line.split("\x1f") for line in result.stdout.splitlines() if line]


@pytest.fixture
def schema_uri():
    """A fresh schema on the test server; the URI that names it (no password)."""
    server = server_uri()
    schema = "vami_it_" + secrets.token_hex(6)
    psql(server, f"CREATE SCHEMA {schema}")
    yield server + ("&" if "?" in server else "?") + "options=-csearch_path%3D" + schema
    psql(server, f"DROP SCHEMA {schema} CASCADE")


class PostgresVami(Vami):
    """vami with `--db` naming a PostgreSQL schema; `rows` reads it with psql."""

    def __init__(self, workdir, env, uri):
        super().__init__(workdir, env)
        self.db = uri

    def rows(self, sql, params=()):
        assert not params
        return [tuple(row) for row in psql(self.db, sql)]
