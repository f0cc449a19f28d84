"""A knowledge upload is never lost: vami records the intent (name and SHA-256) before it sends
a document, finds the upload by its name when the answer never arrives (a dropped connection,
a kill), and `vami reconcile` reports and adopts or deletes what is left at the provider."""
import json
import signal
import sqlite3
import subprocess
import time

from conftest import VAMI, assert_files_sound, state_file, vami_for
from conftest import integration

sandbox_documents = integration.sandbox_documents
sandbox_agent = integration.sandbox_agent
sandbox_knowledge_base = integration.sandbox_knowledge_base
elevenlabs = integration.elevenlabs


def setup_agent(vami):
    assert vami.run("tenants", "create", "acme", "--name", "Acme").returncode == 0
    created = vami.run("agents", "create", "--tenant", "acme", "--name", "Front Desk", "--json")
    assert created.returncode == 0, created.stderr
    return json.loads(created.stdout)["provider_agent_id"]


def assert_all_tracked_and_attached(vami, sandbox, agent_id, count):
    stored = sorted(r[0] for r in vami.rows(
        "SELECT provider_document_id FROM documents WHERE status = 'active'"))
    assert vami.rows("SELECT count(*) FROM documents WHERE status = 'uploading'") == [(0,)]
    assert len(stored) == count
    assert sandbox_documents(sandbox) == stored  # none untracked, none twice
    attached = sorted(e["id"] for e in sandbox_knowledge_base(sandbox_agent(sandbox, agent_id)))
    assert attached == stored


def test_a_dropped_upload_answer_is_found_by_name_not_uploaded_twice(tmp_path, home, serve):
    setup = serve(state="sandbox.db")
    vami = vami_for(tmp_path, home, setup)
    agent_id = setup_agent(vami)
    setup.stop()
    # The same account, served again: its first request (the upload) is carried out and its
    # answer lost.
    dropping = serve("--fail-nth", "1:drop", state="sandbox.db")
    vami.env.update(dropping.exports)
    result = vami.run("kb", "add", "front-desk", "--text", "Open 9 to 5.", "--name", "hours",
                      "--json")
    assert result.returncode == 0, result.stderr
    (added,) = json.loads(result.stdout)
    assert added["status"] == "active" and added["created"] is True
    assert_all_tracked_and_attached(vami, dropping, agent_id, 1)
    again = vami.run("kb", "add", "front-desk", "--text", "Open 9 to 5.", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)[0]["created"] is False


def test_a_killed_upload_is_settled_by_reconcile_or_a_rerun(tmp_path, home, serve):
    sandbox = serve(latency_ms=300)
    vami = vami_for(tmp_path, home, sandbox)
    agent_id = setup_agent(vami)
    process = subprocess.Popen(
        [VAMI, "--db", str(vami.db), "kb", "add", "front-desk", "--text", "Open 9 to 5."],
        env=vami.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while True:
        assert time.monotonic() < deadline and process.poll() is None
        try:
            if vami.rows("SELECT count(*) FROM documents WHERE status = 'uploading'")[0][0]:
                break
        except sqlite3.OperationalError:
            pass
        time.sleep(0.002)
    time.sleep(0.15)  # the request is on its way
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    time.sleep(0.4)  # whatever the sandbox was doing is done

    # Reconcile reports the intent (its process is gone: no grace), then settles it: adopted if
    # the sandbox made the document, forgotten if not.
    report = vami.run("reconcile", "--json")
    findings = [f for f in json.loads(report.stdout)["findings"]
                if f["kind"] == "document_uploading"]
    assert len(findings) == 1, report.stdout
    assert report.returncode != 0
    applied = vami.run("reconcile", "--apply", "--json")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    count = len(sandbox_documents(sandbox))
    assert count in (0, 1)
    assert_all_tracked_and_attached(vami, sandbox, agent_id, count)
    # The rerun adds it if it was not there, and never a second copy.
    rerun = vami.run("kb", "add", "front-desk", "--text", "Open 9 to 5.")
    assert rerun.returncode == 0, rerun.stderr
    assert_all_tracked_and_attached(vami, sandbox, agent_id, 1)
    assert_files_sound(vami.db, state_file(sandbox))


def test_reconcile_deletes_an_unattached_document_under_a_vami_name(tmp_path, home, serve):
    sandbox = serve()
    vami = vami_for(tmp_path, home, sandbox)
    agent_id = setup_agent(vami)
    assert vami.run("kb", "add", "front-desk", "--text", "Parking is free.").returncode == 0
    status, lost = elevenlabs(sandbox, "POST", "/v1/convai/knowledge-base/text",
                              {"text": "Open 9 to 5.", "name": "vami:front-desk:0123456789ab hours"})
    assert status == 200, lost
    status, theirs = elevenlabs(sandbox, "POST", "/v1/convai/knowledge-base/text",
                                {"text": "Someone else's.", "name": "price list"})
    assert status == 200, theirs

    report = vami.run("reconcile", "--json")
    assert report.returncode != 0
    (orphan,) = [f for f in json.loads(report.stdout)["findings"]
                 if f["kind"] == "document_orphan"]
    assert orphan["provider_id"] == lost["id"] and orphan["repair"] == "delete_document"
    applied = vami.run("reconcile", "--apply")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    documents = sandbox_documents(sandbox)
    assert lost["id"] not in documents and theirs["id"] in documents
    assert len(documents) == 2
    assert vami.run("reconcile").returncode == 0
