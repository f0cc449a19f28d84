// The official Twilio SDK (twilio-node) against `vami sandbox serve`: search, buy, list across
// pages, update, release and pricing, as a Twilio customer's code would call them.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startSandbox, twilioClient } from "./sandbox.js";

let sandbox;
let client;

before(async () => {
  sandbox = await startSandbox();
  client = twilioClient(sandbox);
});

after(async () => {
  await sandbox?.stop();
});

test("search numbers for sale by country, type and area code", async () => {
  const countries = await client.availablePhoneNumbers.list();
  assert.deepEqual(countries.map((c) => c.countryCode).sort(), ["CA", "GB", "US"]);
  const us = await client.availablePhoneNumbers("US").fetch();
  assert.equal(us.country, "United States");
  assert.ok(us.subresourceUris.local.endsWith("/AvailablePhoneNumbers/US/Local.json"));

  const local = await client.availablePhoneNumbers("US").local.list({ areaCode: 212, limit: 5 });
  assert.equal(local.length, 5);
  for (const number of local) {
    assert.match(number.phoneNumber, /^\+1212\d{7}$/);
    assert.equal(number.isoCountry, "US");
    assert.equal(number.capabilities.voice, true);
  }
  const tollFree = await client.availablePhoneNumbers("US").tollFree.list({ limit: 2 });
  assert.equal(tollFree.length, 2);
  const mobile = await client.availablePhoneNumbers("GB").mobile.list({ limit: 1 });
  assert.match(mobile[0].phoneNumber, /^\+447/);
  await assert.rejects(client.availablePhoneNumbers("US").mobile.list(), (error) => {
    assert.equal(error.status, 404);
    assert.equal(error.code, 20404);
    return true;
  });
});

test("buy, list across pages, update, release", async () => {
  const candidates = await client.availablePhoneNumbers("US").local.list({ areaCode: 415, limit: 5 });
  const bought = [];
  for (const candidate of candidates) {
    bought.push(
      await client.incomingPhoneNumbers.create({
        phoneNumber: candidate.phoneNumber,
        friendlyName: "vami:sdk",
        smsUrl: "https://hooks.example.com/sms",
        voiceFallbackUrl: "https://hooks.example.com/fallback",
        voiceCallerIdLookup: true,
      }),
    );
  }
  const first = bought[0];
  assert.match(first.sid, /^PN[0-9a-f]{32}$/);
  assert.equal(first.friendlyName, "vami:sdk");
  assert.equal(first.smsUrl, "https://hooks.example.com/sms");
  assert.equal(first.voiceFallbackUrl, "https://hooks.example.com/fallback");
  assert.equal(first.voiceCallerIdLookup, true);
  assert.equal(first.voiceUrl, null); // unset URIs are null, as the document types them
  assert.equal(first.statusCallback, null);

  // Pages of 2: the SDK follows next_page_uri to the end.
  const listed = await client.incomingPhoneNumbers.list({ pageSize: 2 });
  assert.deepEqual(
    listed.map((n) => n.sid).sort(),
    bought.map((n) => n.sid).sort(),
  );
  const page = await client.incomingPhoneNumbers.page({ pageSize: 2 });
  assert.equal(page.instances.length, 2);
  const next = await page.nextPage();
  assert.equal(next.instances.length, 2);
  const byName = await client.incomingPhoneNumbers.list({ friendlyName: "vami:sdk", limit: 100 });
  assert.equal(byName.length, 5);
  const locals = await client.incomingPhoneNumbers.local.list({ pageSize: 3 });
  assert.equal(locals.length, 5);

  const updated = await client.incomingPhoneNumbers(first.sid).update({
    voiceUrl: "https://router.example.com/voice",
    voiceMethod: "GET",
    statusCallback: "https://router.example.com/status",
    smsMethod: "GET",
  });
  assert.equal(updated.voiceUrl, "https://router.example.com/voice");
  const fetched = await client.incomingPhoneNumbers(first.sid).fetch();
  assert.equal(fetched.voiceMethod, "GET");
  assert.equal(fetched.statusCallback, "https://router.example.com/status");
  assert.equal(fetched.smsMethod, "GET");
  assert.equal(fetched.smsUrl, "https://hooks.example.com/sms"); // not sent, so kept

  await assert.rejects(
    client.incomingPhoneNumbers(first.sid).update({ smsMethod: "PUT" }),
    (error) => {
      assert.equal(error.status, 400);
      assert.equal(error.code, 21209);
      assert.match(error.moreInfo, /twilio\.com\/docs\/errors\/21209/);
      return true;
    },
  );

  // A typed resource buys only its type.
  const tollFree = await client.availablePhoneNumbers("US").tollFree.list({ limit: 1 });
  const tollFreeNumber = await client.incomingPhoneNumbers.tollFree.create({
    phoneNumber: tollFree[0].phoneNumber,
  });
  assert.equal(tollFreeNumber.phoneNumber, tollFree[0].phoneNumber);
  await assert.rejects(
    client.incomingPhoneNumbers.local.create({ phoneNumber: tollFree[0].phoneNumber }),
    (error) => error.status === 400,
  );

  for (const number of [...bought, tollFreeNumber]) {
    assert.equal(await client.incomingPhoneNumbers(number.sid).remove(), true);
  }
  await assert.rejects(client.incomingPhoneNumbers(first.sid).fetch(), (error) => {
    assert.equal(error.status, 404);
    assert.equal(error.code, 20404);
    return true;
  });
  assert.deepEqual(await client.incomingPhoneNumbers.list(), []);
});

test("a number no longer for sale is Twilio's 21422", async () => {
  const [candidate] = await client.availablePhoneNumbers("US").local.list({ areaCode: 212, limit: 1 });
  const number = await client.incomingPhoneNumbers.create({ phoneNumber: candidate.phoneNumber });
  await assert.rejects(
    client.incomingPhoneNumbers.create({ phoneNumber: candidate.phoneNumber }),
    (error) => {
      assert.equal(error.status, 400);
      assert.equal(error.code, 21422);
      return true;
    },
  );
  await client.incomingPhoneNumbers(number.sid).remove();
});

test("pricing of phone numbers by country", async () => {
  const us = await client.pricing.v1.phoneNumbers.countries("US").fetch();
  assert.equal(us.isoCountry, "US");
  assert.equal(us.priceUnit, "USD");
  const local = us.phoneNumberPrices.find((price) => price.numberType === "local");
  assert.equal(local.currentPrice, "1.15"); // a string on the wire (x-twilio overrideType)
  const countries = await client.pricing.v1.phoneNumbers.countries.list({ pageSize: 2 });
  assert.deepEqual(countries.map((c) => c.isoCountry).sort(), ["CA", "GB", "US"]);
  await assert.rejects(client.pricing.v1.phoneNumbers.countries("FR").fetch(), (error) => {
    assert.equal(error.status, 404);
    return true;
  });
});
