// The official ElevenLabs SDK (@elevenlabs/elevenlabs-js) against `vami sandbox serve`: agents,
// knowledge base, phone-number import and assignment, conversations. The SDK checks every
// response against its own schemas, so a member the sandbox leaves out fails here.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { elevenLabsClient, startSandbox, twilioClient } from "./sandbox.js";

let sandbox;
let client;

before(async () => {
  sandbox = await startSandbox();
  client = elevenLabsClient(sandbox);
});

after(async () => {
  await sandbox?.stop();
});

const agentsApi = () => client.conversationalAi.agents;
const documentsApi = () => client.conversationalAi.knowledgeBase.documents;

test("create, get, update, list across pages and delete agents", async () => {
  const created = [];
  for (const name of ["Front desk", "Night line", "Billing"]) {
    const { agentId } = await agentsApi().create({
      name,
      tags: ["vami-sdk"],
      conversationConfig: {
        agent: { firstMessage: `Hello from ${name}`, language: "en", prompt: { prompt: "Be kind." } },
        tts: { voiceId: "21m00Tcm4TlvDq8ikWAM" },
      },
    });
    assert.match(agentId, /^agent_/);
    created.push(agentId);
  }
  const agent = await agentsApi().get(created[0]);
  assert.equal(agent.name, "Front desk");
  assert.equal(agent.conversationConfig.agent.firstMessage, "Hello from Front desk");
  assert.equal(agent.conversationConfig.tts.voiceId, "21m00Tcm4TlvDq8ikWAM");
  assert.deepEqual(agent.tags, ["vami-sdk"]);

  const updated = await agentsApi().update(created[0], {
    name: "Front desk (day)",
    conversationConfig: { agent: { firstMessage: "Good morning" } },
  });
  assert.equal(updated.name, "Front desk (day)");
  assert.equal(updated.conversationConfig.agent.firstMessage, "Good morning");
  assert.equal(updated.conversationConfig.agent.prompt.prompt, "Be kind."); // merged, not replaced

  const seen = [];
  let cursor;
  for (;;) {
    const page = await agentsApi().list({ pageSize: 2, cursor });
    seen.push(...page.agents.map((a) => a.agentId));
    if (!page.hasMore) {
      break;
    }
    cursor = page.nextCursor;
  }
  assert.deepEqual(seen, [...created].reverse()); // newest first
  const found = await agentsApi().list({ search: "night" });
  assert.deepEqual(found.agents.map((a) => a.name), ["Night line"]);

  await agentsApi().delete(created[2]);
  await assert.rejects(agentsApi().get(created[2]), (error) => {
    assert.equal(error.statusCode, 404);
    return true;
  });
  await assert.rejects(agentsApi().create({ conversationConfig: { agent: { language: "xx" } } }), (error) => {
    assert.equal(error.statusCode, 422);
    return true;
  });
});

test("knowledge base: add, list by name across pages, rename, content, dependent agents, delete", async () => {
  const text = await documentsApi().createFromText({ text: "Open 9 to 5, Monday to Friday.", name: "vami:acme:hours" });
  const url = await documentsApi().createFromUrl({ url: "https://example.com/faq", name: "vami:acme:faq" });
  const file = await documentsApi().createFromFile({
    file: new File(["Cleaning costs 80 EUR."], "prices.txt", { type: "text/plain" }),
    name: "vami:acme:prices",
  });
  await documentsApi().createFromText({ text: "Unrelated", name: "other" });
  for (const document of [text, url, file]) {
    assert.ok(document.id);
  }

  // Find uploads by their name (what vami does after a lost answer), one page at a time.
  const ids = [];
  let cursor;
  for (;;) {
    const page = await client.conversationalAi.knowledgeBase.list({ search: "vami:acme:", pageSize: 2, cursor });
    ids.push(...page.documents.map((d) => d.id));
    if (!page.hasMore) {
      break;
    }
    cursor = page.nextCursor;
  }
  assert.deepEqual(ids, [file.id, url.id, text.id]);
  const urls = await client.conversationalAi.knowledgeBase.list({ types: "url" });
  assert.deepEqual(urls.documents.map((d) => d.id), [url.id]);

  const renamed = await documentsApi().update(text.id, { name: "vami:acme:opening-hours" });
  assert.equal(renamed.name, "vami:acme:opening-hours");
  const fetched = await documentsApi().get(text.id);
  assert.equal(fetched.name, "vami:acme:opening-hours");
  assert.equal(fetched.type, "text");

  const content = await documentsApi().getContent(text.id);
  assert.equal(content, "Open 9 to 5, Monday to Friday.");
  assert.equal(await documentsApi().getContent(file.id), "Cleaning costs 80 EUR.");

  const { agentId } = await agentsApi().create({
    name: "Uses the hours",
    conversationConfig: {
      agent: {
        prompt: {
          knowledgeBase: [{ type: "text", name: "hours", id: text.id, usageMode: "auto" }],
        },
      },
    },
  });
  const dependents = await documentsApi().getAgents(text.id);
  assert.deepEqual(dependents.agents.map((a) => a.id), [agentId]);
  assert.equal(dependents.hasMore, false);

  await assert.rejects(documentsApi().delete(text.id), (error) => {
    assert.equal(error.statusCode, 409);
    return true;
  });
  await documentsApi().delete(text.id, { force: true });
  const agent = await agentsApi().get(agentId);
  assert.deepEqual(agent.conversationConfig.agent.prompt.knowledgeBase, []);
  await assert.rejects(documentsApi().get(text.id), (error) => {
    assert.equal(error.statusCode, 404);
    return true;
  });
});

test("import a Twilio number, assign it to an agent, unassign and delete the import", async () => {
  const twilio = twilioClient(sandbox);
  const [candidate] = await twilio.availablePhoneNumbers("US").local.list({ areaCode: 212, limit: 1 });
  const owned = await twilio.incomingPhoneNumbers.create({ phoneNumber: candidate.phoneNumber });
  const { agentId } = await agentsApi().create({ name: "Reception", conversationConfig: {} });

  const { phoneNumberId } = await client.conversationalAi.phoneNumbers.create({
    provider: "twilio",
    phoneNumber: owned.phoneNumber,
    label: "pool",
    sid: sandbox.accountSid,
    token: sandbox.authToken,
  });
  assert.match(phoneNumberId, /^phnum_/);
  // The native integration points the number's voice URL at ElevenLabs.
  const pointed = await twilio.incomingPhoneNumbers(owned.sid).fetch();
  assert.match(pointed.voiceUrl, /elevenlabs\.io\/twilio\/inbound_call$/);

  const assigned = await client.conversationalAi.phoneNumbers.update(phoneNumberId, { agentId });
  assert.equal(assigned.assignedAgent.agentId, agentId);
  const listed = await client.conversationalAi.phoneNumbers.list();
  assert.deepEqual(listed.map((n) => n.phoneNumber), [owned.phoneNumber]);
  const agent = await agentsApi().get(agentId);
  assert.deepEqual(agent.phoneNumbers.map((n) => n.phoneNumberId), [phoneNumberId]);

  const unassigned = await client.conversationalAi.phoneNumbers.update(phoneNumberId, { agentId: null });
  assert.equal(unassigned.assignedAgent ?? null, null);
  await client.conversationalAi.phoneNumbers.delete(phoneNumberId);
  await assert.rejects(client.conversationalAi.phoneNumbers.get(phoneNumberId), (error) => {
    assert.equal(error.statusCode, 404);
    return true;
  });
  await twilio.incomingPhoneNumbers(owned.sid).remove();
});

test("list an agent's conversations across pages", async () => {
  const { agentId } = await agentsApi().create({ name: "Talkative", conversationConfig: {} });
  // The sandbox records no calls; tests seed its conversations table.
  const rows = [1, 2, 3]
    .map((i) => `('conv_${i}', '${agentId}', ${1_700_000_000 + i}, ${60 * i}, ${i})`)
    .join(", ");
  execFileSync("sqlite3", [
    sandbox.state,
    "INSERT INTO conversations (conversation_id, agent_id, start_time_unix_secs, " +
      `call_duration_secs, message_count) VALUES ${rows}`,
  ]);
  const seen = [];
  let cursor;
  for (;;) {
    const page = await client.conversationalAi.conversations.list({ agentId, pageSize: 2, cursor });
    seen.push(...page.conversations.map((c) => c.conversationId));
    if (!page.hasMore) {
      break;
    }
    cursor = page.nextCursor;
  }
  assert.deepEqual(seen, ["conv_3", "conv_2", "conv_1"]);
  const first = (await client.conversationalAi.conversations.list({ agentId, pageSize: 1 })).conversations[0];
  assert.equal(first.agentName, "Talkative");
  assert.equal(first.callDurationSecs, 180);
  assert.equal(first.status, "done");
});
