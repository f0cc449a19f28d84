"""`vami kb add|list|remove` against `vami sandbox serve`: files typed by content, web pages and
texts, uploaded once, attached to the agent at the (emulated) ElevenLabs API."""
import json
import os
import shutil

import pytest

from conftest import (create_agent, create_tenant, elevenlabs, error_line, sandbox_agent,
                      sandbox_documents, sandbox_knowledge_base, world_state)

EXPECTED_TYPES = {
    "pdf": "application/pdf",
    "txt": "text/plain",
    "markdown": "text/markdown",
    "html": "text/html",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "epub": "application/epub+zip",
}


@pytest.fixture
def agent(live):
    create_tenant(live, "acme", "Acme Dental")
    return create_agent(live, "acme", "Front Desk")


def attached_ids(sandbox, agent):
    provider_agent = sandbox_agent(sandbox, agent["provider_agent_id"])
    return sorted(entry["id"] for entry in sandbox_knowledge_base(provider_agent))


def test_every_accepted_format_is_uploaded_typed_by_content_and_attached(live, sandbox, agent,
                                                                         documents):
    formats = list(EXPECTED_TYPES)
    added = live.json("kb", "add", "front-desk", *[documents[f] for f in formats])
    assert [d["name"] for d in added] == [documents[f].name for f in formats]
    assert [d["mime_type"] for d in added] == [EXPECTED_TYPES[f] for f in formats]
    assert all(d["created"] is True and d["source_kind"] == "file" for d in added)
    assert [d["size_bytes"] for d in added] == [documents[f].stat().st_size for f in formats]
    ids = sorted(d["id"] for d in added)
    assert len(set(ids)) == 6
    assert sandbox_documents(sandbox) == ids
    assert attached_ids(sandbox, agent) == ids
    assert sorted(r[0] for r in live.rows("SELECT provider_document_id FROM documents")) == ids

    listed = live.json("kb", "list", "front-desk")
    assert sorted(d["id"] for d in listed) == ids
    table = live.run("kb", "list", "front-desk")
    assert table.stdout.splitlines()[0].split()[:4] == ["ID", "NAME", "KIND", "TYPE"]
    assert len(table.stdout.splitlines()) == 7


def test_the_type_comes_from_the_content_not_the_name(live, sandbox, agent, documents, tmp_path):
    disguised_pdf = tmp_path / "notes.txt"
    shutil.copy(documents["pdf"], disguised_pdf)
    added = live.json("kb", "add", "front-desk", disguised_pdf)
    assert added[0]["mime_type"] == "application/pdf"

    before = world_state(live, sandbox)
    disguised_program = tmp_path / "manual.pdf"
    shutil.copy("/bin/ls", disguised_program)
    refused = live.run("kb", "add", "front-desk", disguised_program)
    assert refused.returncode == 2
    line = error_line(refused)
    assert "manual.pdf" in line and "does not accept" in line
    assert world_state(live, sandbox) == before


def test_the_same_content_twice_is_not_uploaded_again(live, sandbox, agent, documents, tmp_path):
    first = live.json("kb", "add", "front-desk", documents["pdf"])[0]
    before = world_state(live, sandbox)
    again = live.run("kb", "add", "front-desk", documents["pdf"], "--json")
    assert again.returncode == 0, again.stderr
    (second,) = json.loads(again.stdout)
    assert second["created"] is False and second["id"] == first["id"]
    assert "not uploaded again" in again.stderr
    # Same bytes under another name: still the same document.
    copy = tmp_path / "copy-of-prices.pdf"
    shutil.copy(documents["pdf"], copy)
    (third,) = live.json("kb", "add", "front-desk", copy)
    assert third["created"] is False and third["id"] == first["id"]
    assert world_state(live, sandbox) == before


def test_url_and_text_documents_with_names(live, sandbox, agent):
    (page,) = live.json("kb", "add", "front-desk", "--url", "https://acme.example/faq",
                        "--name", "FAQ page")
    assert page["source_kind"] == "url" and page["source"] == "https://acme.example/faq"
    assert page["name"] == "FAQ page" and page["created"] is True
    (text,) = live.json("kb", "add", "front-desk", "--text", "Parking is free.\nCards accepted.")
    assert text["source_kind"] == "text" and text["name"] == "Parking is free."
    (named,) = live.json("kb", "add", "front-desk", "--text", "Open 9-17", "--name", "Hours")
    assert named["name"] == "Hours"
    # The same page or text again is not uploaded again.
    assert live.json("kb", "add", "front-desk", "--url", "https://acme.example/faq")[0][
        "created"] is False
    assert live.json("kb", "add", "front-desk", "--text", "Open 9-17")[0]["created"] is False

    ids = sorted([page["id"], text["id"], named["id"]])
    assert sandbox_documents(sandbox) == ids and attached_ids(sandbox, agent) == ids
    status, body = elevenlabs(sandbox, "GET", f"/v1/convai/knowledge-base/{page['id']}")
    assert status == 200 and body["type"] == "url" and body["url"] == "https://acme.example/faq"
    assert {d["name"] for d in live.json("kb", "list", "front-desk")} == {
        "FAQ page", "Parking is free.", "Hours"}


def test_remove_detaches_and_deletes_at_the_provider(live, sandbox, agent):
    (faq,) = live.json("kb", "add", "front-desk", "--text", "Parking is free.", "--name", "FAQ")
    (hours,) = live.json("kb", "add", "front-desk", "--text", "Open 9-17", "--name", "Hours")
    removed = live.json("kb", "remove", "front-desk", "FAQ")  # by name
    assert removed["id"] == faq["id"]
    assert attached_ids(sandbox, agent) == [hours["id"]]
    assert sandbox_documents(sandbox) == [hours["id"]]
    status, _ = elevenlabs(sandbox, "GET", f"/v1/convai/knowledge-base/{faq['id']}")
    assert status == 404
    live.json("kb", "remove", agent["provider_agent_id"], hours["id"])  # by ids
    assert attached_ids(sandbox, agent) == [] and sandbox_documents(sandbox) == []
    assert live.json("kb", "list", "front-desk") == []

    missing = live.run("kb", "remove", "front-desk", "FAQ")
    assert missing.returncode == 3 and '"FAQ"' in error_line(missing)


def test_bad_documents_are_refused_before_any_upload(live, sandbox, agent, documents, tmp_path):
    live.json("kb", "add", "front-desk", "--text", "Already here")
    sparse = tmp_path / "huge.pdf"
    with open(sparse, "wb") as f:
        f.truncate(2 * 1024 ** 3)  # 2 GB, sparse: refused from its size, never read
    just_too_big = tmp_path / "just-too-big.txt"
    with open(just_too_big, "wb") as f:
        f.truncate(20 * 1024 * 1024 + 1)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    folder = tmp_path / "a-folder"
    folder.mkdir()
    before = world_state(live, sandbox)
    cases = [
        (["/bin/ls"], 2, "/bin/ls"),
        ([sparse], 2, "20 MiB"),
        ([just_too_big], 2, "20 MiB"),
        ([empty], 2, "empty"),
        ([folder], 2, "a-folder"),
        ([tmp_path / "missing.pdf"], 2, "missing.pdf"),
        # One bad file among good ones: nothing of the batch is uploaded.
        ([documents["pdf"], documents["txt"], "/bin/ls"], 2, "/bin/ls"),
        (["--url", "ftp://acme.example/faq"], 2, "ftp://acme.example/faq"),
        (["--url", "file:///etc/passwd"], 2, "file:///etc/passwd"),
        (["--url", "acme.example/faq"], 2, "acme.example/faq"),
        (["--text", "   "], 2, "empty"),
        ([documents["pdf"], documents["txt"], "--name", "Both"], 2, "--name"),
        ([], 2, "nothing to add"),
    ]
    for arguments, code, mentioned in cases:
        result = live.run("kb", "add", "front-desk", *arguments)
        assert result.returncode == code, (arguments, result.stderr)
        assert mentioned in error_line(result), (arguments, result.stderr)
        assert result.stdout == ""
    assert os.path.getsize(sparse) == 2 * 1024 ** 3
    assert world_state(live, sandbox) == before


def test_unknown_agents_are_not_found(live, sandbox, agent, documents):
    before = world_state(live, sandbox)
    for command in (["kb", "add", "ghost", documents["pdf"]], ["kb", "add", "ghost", "--text", "x"],
                    ["kb", "list", "ghost"], ["kb", "remove", "ghost", "doc"]):
        result = live.run(*command)
        assert result.returncode == 3, (command, result.stderr)
        assert '"ghost"' in error_line(result)
    assert world_state(live, sandbox) == before


def test_agents_show_lists_the_agents_documents_and_numbers_in_a_table(live, agent, documents):
    added = live.json("kb", "add", "front-desk", documents["markdown"])
    bought = live.json("numbers", "buy", "--count", "1", "--area-code", "212", "--yes")
    number = bought["items"][0]["e164"]
    assert live.run("numbers", "assign", number, "--agent", "front-desk").returncode == 0

    lines = live.run("agents", "show", "front-desk").stdout.splitlines()
    numbers = lines.index("Numbers (1)")
    assert lines[numbers + 1].split() == [number, "native", "1.15", "USD"]
    listed = lines.index("Documents (1)")
    assert lines[listed + 1].split()[:2] == [documents["markdown"].name, added[0]["id"]]
