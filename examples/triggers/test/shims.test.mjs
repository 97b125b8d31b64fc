// Tests of serve.mjs with the example handlers: `node --test examples/triggers/test/`.
// Each test starts serve.mjs as a child process on an ephemeral loopback port and sends it
// Cognito's trigger events on both paths; nothing else needs to run.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { verifyWebhook, decodeSecret } from "../serve.mjs";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const SERVE = here("../serve.mjs");
const SECRET = `whsec_${randomBytes(24).toString("base64")}`;
const event = (name) => JSON.parse(readFileSync(here(`events/${name}.json`), "utf8"));

const running = [];
after(() => running.forEach((child) => child.kill()));

/** Starts serve.mjs with `handlerFile`; resolves to { url, logs() } once it listens. */
function startShim(handlerFile, { env = {}, args = ["--secret", SECRET] } = {}) {
  const child = spawn(process.execPath, [SERVE, here(handlerFile), "--port", "0", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.push(child);
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    let stdout = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const match = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (match) resolve({ url: match[1], logs: () => stderr });
    });
    child.on("exit", (code) => reject(new Error(`serve.mjs exited (${code}): ${stderr}`)));
  });
}

// The signature is computed here from the Standard Webhooks spec, not with serve.mjs's code.
function signature(secret, id, timestamp, body) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

function webhookHeaders(body, { secret = SECRET, timestamp = Math.floor(Date.now() / 1000), id = `msg_${randomBytes(8).toString("hex")}` } = {}) {
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signature(secret, id, timestamp, body),
  };
}

async function invoke(shim, ev, functionName = "my-trigger") {
  const res = await fetch(`${shim.url}/2015-03-31/functions/${functionName}/invocations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(ev),
  });
  return { status: res.status, functionError: res.headers.get("x-amz-function-error"), json: await res.json() };
}

async function webhook(shim, ev, options = {}, path = "/") {
  const body = JSON.stringify(ev);
  const headers = { ...webhookHeaders(body, options), ...(options.headers ?? {}) };
  const res = await fetch(`${shim.url}${path}`, { method: "POST", headers, body });
  return { status: res.status, json: await res.json() };
}

describe("Standard Webhooks verification (serve.mjs's verifyWebhook)", () => {
  // The test vector published with the Standard Webhooks reference libraries.
  const key = decodeSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  const vector = {
    "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "webhook-timestamp": "1614265330",
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
  };
  const body = Buffer.from('{"test": 2432232314}');

  test("accepts the published vector, with or without the whsec_ prefix", () => {
    assert.equal(verifyWebhook(key, vector, body, 1614265330), null);
    assert.equal(verifyWebhook(decodeSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), vector, body, 1614265330), null);
  });
  test("accepts a list of signatures when one matches (key rotation)", () => {
    const headers = { ...vector, "webhook-signature": `v1,bm9wZQ== v1a,xyz ${vector["webhook-signature"]}` };
    assert.equal(verifyWebhook(key, headers, body, 1614265330), null);
  });
  test("refuses a changed body, a changed id and a wrong version tag", () => {
    assert.notEqual(verifyWebhook(key, vector, Buffer.from('{"test": 2432232315}'), 1614265330), null);
    assert.notEqual(verifyWebhook(key, { ...vector, "webhook-id": "msg_other" }, body, 1614265330), null);
    const v2 = vector["webhook-signature"].replace("v1,", "v2,");
    assert.notEqual(verifyWebhook(key, { ...vector, "webhook-signature": v2 }, body, 1614265330), null);
  });
  test("refuses a timestamp more than 5 minutes away, either side", () => {
    assert.equal(verifyWebhook(key, vector, body, 1614265330 + 300), null);
    assert.notEqual(verifyWebhook(key, vector, body, 1614265330 + 301), null);
    assert.notEqual(verifyWebhook(key, vector, body, 1614265330 - 301), null);
  });
  test("refuses missing headers and a secret that is not base64", () => {
    const { "webhook-signature": _, ...unsigned } = vector;
    assert.notEqual(verifyWebhook(key, unsigned, body, 1614265330), null);
    assert.throws(() => decodeSecret("whsec_not base64!"));
  });
});

describe("pre-token-generation.mjs behind serve.mjs", async () => {
  const shim = await startShim("../pre-token-generation.mjs");
  const hostedAuth = event("pre-token-generation-hosted-auth");

  const assertClaims = (json) => {
    assert.deepEqual(json.response.claimsOverrideDetails, {
      claimsToAddOrOverride: { tenantId: "tenant-acme" },
      groupOverrideDetails: { groupsToOverride: ["admin", "editor"] },
    });
    // The rest of the event comes back as it was sent.
    assert.equal(json.triggerSource, "TokenGeneration_HostedAuth");
    assert.equal(json.userName, hostedAuth.userName);
    assert.deepEqual(json.request, hostedAuth.request);
  };

  test("Invoke path: 200 with the tenant and roles", async () => {
    const res = await invoke(shim, hostedAuth);
    assert.equal(res.status, 200);
    assert.equal(res.functionError, null);
    assertClaims(res.json);
  });
  test("Invoke path with a function ARN in the path", async () => {
    const arn = encodeURIComponent("arn:aws:lambda:us-east-1:123456789012:function:pre-token");
    const res = await invoke(shim, hostedAuth, arn);
    assert.equal(res.status, 200);
    assertClaims(res.json);
  });
  test("webhook path, correctly signed: 200 with the tenant and roles", async () => {
    const res = await webhook(shim, hostedAuth);
    assert.equal(res.status, 200);
    assertClaims(res.json);
  });
  test("webhook path on another path, correctly signed: 200", async () => {
    const res = await webhook(shim, hostedAuth, {}, "/hooks/pre-token");
    assert.equal(res.status, 200);
    assertClaims(res.json);
  });
  test("a user the application does not know: the event comes back unchanged", async () => {
    const stranger = structuredClone(hostedAuth);
    stranger.request.userAttributes.email = "nobody@example.com";
    const res = await invoke(shim, stranger);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, stranger);
  });
  test("wrong secret: 401", async () => {
    const res = await webhook(shim, hostedAuth, { secret: `whsec_${randomBytes(24).toString("base64")}` });
    assert.equal(res.status, 401);
    assert.equal(res.json.response, undefined);
  });
  test("body changed after signing: 401", async () => {
    const body = JSON.stringify(hostedAuth);
    const headers = webhookHeaders(body);
    const res = await fetch(`${shim.url}/`, { method: "POST", headers, body: body.replace("alice@", "bob@") });
    assert.equal(res.status, 401);
  });
  test("stale timestamp (6 minutes old), correctly signed: 401", async () => {
    const res = await webhook(shim, hostedAuth, { timestamp: Math.floor(Date.now() / 1000) - 360 });
    assert.equal(res.status, 401);
  });
  test("timestamp 6 minutes in the future: 401", async () => {
    const res = await webhook(shim, hostedAuth, { timestamp: Math.floor(Date.now() / 1000) + 360 });
    assert.equal(res.status, 401);
  });
  test("no signature headers at all: 401", async () => {
    const res = await fetch(`${shim.url}/`, { method: "POST", body: JSON.stringify(hostedAuth) });
    assert.equal(res.status, 401);
  });
  test("several signatures, one of them right (secret rotation): 200", async () => {
    const body = JSON.stringify(hostedAuth);
    const headers = webhookHeaders(body);
    const old = signature(`whsec_${randomBytes(24).toString("base64")}`, headers["webhook-id"], headers["webhook-timestamp"], body);
    headers["webhook-signature"] = `${old} ${headers["webhook-signature"]}`;
    const res = await fetch(`${shim.url}/`, { method: "POST", headers, body });
    assert.equal(res.status, 200);
  });
  test("GET: 405", async () => {
    const res = await fetch(`${shim.url}/`);
    assert.equal(res.status, 405);
  });
  test("a body over 1 MB: 413", async () => {
    const res = await fetch(`${shim.url}/2015-03-31/functions/f/invocations`, { method: "POST", body: "x".repeat(1024 * 1024 + 1) });
    assert.equal(res.status, 413);
  });
  test("Invoke path, body not JSON: 400 InvalidRequestContentException", async () => {
    const res = await fetch(`${shim.url}/2015-03-31/functions/f/invocations`, { method: "POST", body: "{nope" });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get("x-amzn-errortype"), "InvalidRequestContentException");
  });
  test("the log names the trigger source and outcomes, never the event", async () => {
    await invoke(shim, hostedAuth);
    const logs = shim.logs();
    assert.match(logs, /invoke TokenGeneration_HostedAuth ok/);
    assert.match(logs, /webhook - 401/);
    assert.doesNotMatch(logs, /alice@example\.com|tenant-acme/);
  });
});

describe("pre-sign-up-allow-list.mjs behind serve.mjs", async () => {
  const env = { ALLOWED_DOMAINS: "example.com, example.org", AUTO_CONFIRM: "1" };
  const shim = await startShim("../pre-sign-up-allow-list.mjs", { env });
  const plain = await startShim("../pre-sign-up-allow-list.mjs", { env: { ALLOWED_DOMAINS: "example.org" } });
  const signUp = event("pre-sign-up-sign-up");
  const outsider = structuredClone(signUp);
  outsider.request.userAttributes.email = "mallory@evil.example";

  test("allowed domain with AUTO_CONFIRM=1: confirmed and verified (both paths)", async () => {
    for (const res of [await invoke(shim, signUp), await webhook(shim, signUp)]) {
      assert.equal(res.status, 200);
      assert.deepEqual(res.json.response, { autoConfirmUser: true, autoVerifyEmail: true, autoVerifyPhone: false });
    }
  });
  test("allowed domain without AUTO_CONFIRM: the response is left as Cognito sent it", async () => {
    const res = await invoke(plain, signUp);
    assert.equal(res.status, 200);
    assert.equal(res.functionError, null);
    assert.deepEqual(res.json.response, signUp.response);
  });
  test("Invoke path, other domain: 200 with X-Amz-Function-Error and Lambda's error document", async () => {
    const res = await invoke(shim, outsider);
    assert.equal(res.status, 200);
    assert.equal(res.functionError, "Unhandled");
    assert.deepEqual(res.json, { errorType: "Error", errorMessage: "Sign-up is restricted to example.com, example.org addresses" });
  });
  test("webhook path, other domain: 400 with errorMessage", async () => {
    const res = await webhook(shim, outsider);
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, { errorMessage: "Sign-up is restricted to example.com, example.org addresses" });
  });
  test("the log records the error, not the address", async () => {
    await invoke(shim, outsider);
    assert.match(shim.logs(), /invoke PreSignUp_SignUp error Error/);
    assert.doesNotMatch(shim.logs(), /mallory/);
  });
});

describe("user-migration.mjs behind serve.mjs", async () => {
  const shim = await startShim("../user-migration.mjs");
  const authentication = event("user-migration-authentication");
  const forgotPassword = event("user-migration-forgot-password");

  test("UserMigration_Authentication, right password: the user's attributes, CONFIRMED, SUPPRESS (both paths)", async () => {
    for (const res of [await invoke(shim, authentication), await webhook(shim, authentication)]) {
      assert.equal(res.status, 200);
      assert.equal(res.functionError ?? null, null);
      assert.deepEqual(res.json.response.userAttributes, { email: "carol@legacy.example", email_verified: "true", name: "Carol Legacy", locale: "en" });
      assert.equal(res.json.response.finalUserStatus, "CONFIRMED");
      assert.equal(res.json.response.messageAction, "SUPPRESS");
    }
  });
  test("UserMigration_Authentication by legacy user name works too", async () => {
    const byName = { ...structuredClone(authentication), userName: "carol" };
    const res = await invoke(shim, byName);
    assert.equal(res.json.response.userAttributes.email, "carol@legacy.example");
  });
  test("wrong password: the handler's error on both paths", async () => {
    const wrong = structuredClone(authentication);
    wrong.request.password = "not-the-password";
    const invoked = await invoke(shim, wrong);
    assert.equal(invoked.functionError, "Unhandled");
    assert.equal(invoked.json.errorMessage, "Bad password");
    const hooked = await webhook(shim, wrong);
    assert.equal(hooked.status, 400);
    assert.equal(hooked.json.errorMessage, "Bad password");
  });
  test("unknown user: an error (Cognito's 'no such user')", async () => {
    const unknown = { ...structuredClone(authentication), userName: "zoe@legacy.example" };
    const res = await invoke(shim, unknown);
    assert.equal(res.functionError, "Unhandled");
    assert.equal(res.json.errorMessage, "Bad password");
  });
  test("UserMigration_ForgotPassword: the attributes without a password", async () => {
    const res = await webhook(shim, forgotPassword);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json.response.userAttributes, { email: "dave@legacy.example", email_verified: "true", name: "Dave Legacy", locale: "en" });
    assert.equal(res.json.response.messageAction, "SUPPRESS");
  });
  test("the password never reaches the log", async () => {
    await invoke(shim, authentication);
    assert.match(shim.logs(), /UserMigration_Authentication ok/);
    assert.doesNotMatch(shim.logs(), /legacy-password-1|carol/);
  });
});

describe("a CommonJS callback-style handler behind serve.mjs", async () => {
  const shim = await startShim("fixtures/callback-handler.cjs", { args: ["--secret", SECRET, "--timeout", "0.3"] });
  const signUp = event("pre-sign-up-sign-up");

  test("callback(null, event): 200 with the response", async () => {
    const res = await invoke(shim, signUp);
    assert.equal(res.status, 200);
    assert.equal(res.json.response.autoConfirmUser, true);
  });
  test("callback(error): X-Amz-Function-Error on the Invoke path, 400 on the webhook path", async () => {
    const rejected = structuredClone(signUp);
    rejected.request.clientMetadata = { reject: "yes" };
    const invoked = await invoke(shim, rejected);
    assert.equal(invoked.functionError, "Unhandled");
    assert.equal(invoked.json.errorMessage, "Rejected by the callback handler");
    const hooked = await webhook(shim, rejected);
    assert.equal(hooked.status, 400);
    assert.equal(hooked.json.errorMessage, "Rejected by the callback handler");
  });
  test("a handler that never answers: Lambda's timeout error after --timeout", async () => {
    const hanging = structuredClone(signUp);
    hanging.request.clientMetadata = { hang: "yes" };
    const invoked = await invoke(shim, hanging);
    assert.equal(invoked.status, 200);
    assert.equal(invoked.functionError, "Unhandled");
    assert.deepEqual(invoked.json, { errorType: "Sandbox.Timedout", errorMessage: "Task timed out after 0.30 seconds" });
    const hooked = await webhook(shim, hanging);
    assert.equal(hooked.status, 400);
    assert.equal(hooked.json.errorMessage, "Task timed out after 0.30 seconds");
  });
});

describe("serve.mjs without a secret, or with --no-invoke", async () => {
  const noSecret = await startShim("../pre-token-generation.mjs", { args: [] });
  const webhookOnly = await startShim("../pre-token-generation.mjs", { args: ["--secret", SECRET, "--no-invoke"] });
  const hostedAuth = event("pre-token-generation-hosted-auth");

  test("no secret: the webhook path refuses even a signed request", async () => {
    assert.equal((await webhook(noSecret, hostedAuth)).status, 401);
    assert.equal((await invoke(noSecret, hostedAuth)).status, 200);
  });
  test("--no-invoke: the Invoke path needs a signature like any other", async () => {
    assert.equal((await invoke(webhookOnly, hostedAuth)).status, 401);
    const signed = await webhook(webhookOnly, hostedAuth, {}, "/2015-03-31/functions/f/invocations");
    assert.equal(signed.status, 200);
  });
});
