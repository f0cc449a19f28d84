"""`vami sandbox serve` speaks Synthflow under /synthflow/v2: every Synthflow operation vami uses,
run through the real client over libcurl (`synthflow_contract_driver`, as in the conformance
test: no CLI command chooses Synthflow yet) against the served sandbox with the key and
workspace it exports, and the state it leaves in the sandbox's file."""
import json
import os
import sqlite3
import subprocess
from pathlib import Path

from conftest import VAMI

DRIVER = os.environ.get("VAMI_SYNTHFLOW_DRIVER") or str(
    Path(VAMI).parent.parent / "tests" / "synthflow_contract_driver")


def test_sandbox_serve_answers_every_synthflow_operation(sandbox, tmp_path, home):
    for name in ("VAMI_SYNTHFLOW_BASE_URL", "SYNTHFLOW_API_KEY", "SYNTHFLOW_WORKSPACE_ID"):
        assert sandbox.exports.get(name), f"vami sandbox serve does not export {name}"
    assert sandbox.exports["VAMI_SYNTHFLOW_BASE_URL"].endswith("/synthflow/v2")
    state = tmp_path / "served-sandbox.db"
    # The call log is what tests seed: the driver reads `call-1` when its agent has none.
    with sqlite3.connect(state) as db:
        db.execute("INSERT INTO synthflow_calls (call_id, model_id, start_time_ms, duration) "
                   "VALUES ('call-1', 'someone', 1732546200000, 12)")
        # Two numbers bought through Synthflow (a sid, no SIP termination URI).
        for number in ("+14155550142", "+14155550167"):
            db.execute("INSERT INTO synthflow_numbers (slug, phone_number, provider_name, sid, "
                       "created_at) VALUES (?, ?, 'twilio', ?, '2026-12-01T00:00:00Z')",
                       (number[1:], number, "PN" + number[2:] * 3))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNTHFLOW_", "VAMI_"))}
    env.update(sandbox.exports)
    env.update({"HOME": str(home), "VAMI_SYNTHFLOW_TERMINATION_URI": "vami-pool.pstn.twilio.com"})
    result = subprocess.run([DRIVER], env=env, capture_output=True, text=True, timeout=120)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    failed = [line for line in lines if not line["ok"]]
    assert result.returncode == 0 and not failed, (failed, result.stderr)
    assert len(lines) == 23
    by_op = {line["op"]: line["detail"] for line in lines}
    assert by_op["list_voices"] == 4
    assert by_op["import_number"] == "12125550101"
    assert by_op["list_documents"] == 4  # two URLs, a text, a Markdown file
    assert by_op["get_conversation"] == "call-1"
    assert by_op["list_workspace_numbers"] == 2  # the two seeded; not the SIP import

    with sqlite3.connect(state) as db:
        assert db.execute("SELECT count(*) FROM synthflow_agents").fetchone() == (0,)
        # The SIP import is gone, and so is the workspace number the driver released.
        assert db.execute("SELECT phone_number FROM synthflow_numbers").fetchall() == [
            ("+14155550167",)]
        # Three knowledge bases remain (the driver deletes one), each with its one source.
        assert db.execute("SELECT count(*) FROM synthflow_knowledge_bases").fetchone() == (3,)
        assert db.execute("SELECT count(*) FROM synthflow_sources").fetchone() == (3,)
        assert db.execute("SELECT count(*) FROM synthflow_knowledge_agents").fetchone() == (0,)
