// Starts `vami sandbox serve --port 0` on 127.0.0.1 with a state file of its own, reads the
// exports it prints (base URLs and credentials), and stops it with SIGINT.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import twilio from "twilio";
import { ElevenLabsClient } from "@elevenlabs/elevenlabs-js";

const vami = process.env.VAMI_BIN || new URL("../../build/cli/vami", import.meta.url).pathname;

export async function startSandbox() {
  const folder = mkdtempSync(join(tmpdir(), "vami-sdk-"));
  const state = join(folder, "sandbox.db");
  // Only what the sandbox needs: no provider credentials or base URLs from the caller's shell.
  const env = { PATH: process.env.PATH, HOME: folder, XDG_DATA_HOME: folder, LANG: "C.UTF-8" };
  const child = spawn(vami, ["sandbox", "serve", "--port", "0", "--state", state], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exports = {};
  const lines = createInterface({ input: child.stdout });
  await new Promise((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`vami sandbox serve exited (${code}): ${stderr}`)));
    lines.on("line", (line) => {
      const match = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
      if (match) {
        exports[match[1]] = match[2];
      }
      // The commented alternative with the API key comes after the exports.
      if (line.startsWith("# export ")) {
        resolve();
      }
    });
  });
  const sandbox = {
    state,
    exports,
    accountSid: exports.TWILIO_ACCOUNT_SID,
    authToken: exports.TWILIO_AUTH_TOKEN,
    elevenLabsKey: exports.ELEVENLABS_API_KEY,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGINT");
        await exited;
      }
      rmSync(folder, { recursive: true, force: true });
    },
  };
  return sandbox;
}

// The Twilio SDK's own HTTP client, sending what it addresses to api.twilio.com and
// pricing.twilio.com to the sandbox instead: the SDK builds every URL (and follows every page)
// itself, against the sandbox.
class SandboxRequestClient extends twilio.RequestClient {
  constructor(apiBase, pricingBase) {
    super();
    this.targets = { "api.twilio.com": apiBase, "pricing.twilio.com": pricingBase };
  }
  request(opts) {
    const url = new URL(opts.uri);
    const target = this.targets[url.hostname];
    if (target) {
      opts = { ...opts, uri: target.replace(/\/+$/, "") + url.pathname + url.search };
    }
    return super.request(opts);
  }
}

export function twilioClient(sandbox) {
  return twilio(sandbox.accountSid, sandbox.authToken, {
    httpClient: new SandboxRequestClient(
      sandbox.exports.VAMI_TWILIO_BASE_URL,
      sandbox.exports.VAMI_TWILIO_PRICING_BASE_URL,
    ),
  });
}

export function elevenLabsClient(sandbox) {
  return new ElevenLabsClient({
    apiKey: sandbox.elevenLabsKey,
    baseUrl: sandbox.exports.VAMI_ELEVENLABS_BASE_URL,
    maxRetries: 0,
  });
}
