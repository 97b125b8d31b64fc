#!/usr/bin/env node
// Serve an unchanged AWS Lambda handler file as an Incognito trigger target.
//
//   node serve.mjs ./pre-token-generation.mjs [--port 9300] [--host 127.0.0.1]
//                  [--secret whsec_...] [--handler handler] [--timeout 30] [--no-invoke]
//
// Zero dependencies: Node 20 built-ins only. The handler module exports
// `handler(event, context)` (async, or returning a value), or the callback style
// `handler(event, context, callback)`. ES modules and CommonJS files both load (Node's
// import() of a CommonJS file gives `module.exports` as the default export).
//
// Two paths, one handler:
//
// * The Lambda Invoke API: POST /2015-03-31/functions/{name}/invocations. The body is the
//   event; the answer is the handler's result as JSON. A handler error is answered as Lambda
//   does: HTTP 200, header `X-Amz-Function-Error: Unhandled`, body {"errorMessage",
//   "errorType"}. THIS PATH DOES NOT VERIFY SIGV4: anyone who can reach the port can invoke
//   the handler. Keep it on loopback (the default) or turn it off with --no-invoke.
//
// * A Standard Webhooks receiver: POST to any other path. The request must carry
//   `webhook-id`, `webhook-timestamp` (unix seconds, within 5 minutes of now) and
//   `webhook-signature` (one or more space-separated `v1,<base64 HMAC-SHA256>` of
//   "{id}.{timestamp}.{body}", keyed with the base64 part of the `whsec_` secret), or it is
//   refused with 401. A handler error is answered 400 {"errorMessage"}.
//
// The secret comes from --secret or, better (command lines are visible in `ps`), from the
// WEBHOOK_SECRET environment variable. Without one the webhook path refuses everything.
//
// Events can hold passwords (UserMigration): this program never logs a body. It logs one
// line per request to stderr: path kind, triggerSource, outcome and duration.

import crypto from "node:crypto";
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

export const TIMESTAMP_TOLERANCE_SECS = 5 * 60;
export const BODY_LIMIT_BYTES = 1024 * 1024;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;

/** The HMAC key of a Standard Webhooks secret: base64 after an optional `whsec_` prefix. */
export function decodeSecret(secret) {
  const b64 = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
  const key = Buffer.from(b64, "base64");
  const canonical = (s) => s.replace(/=+$/, "");
  if (key.length === 0 || canonical(key.toString("base64")) !== canonical(b64)) {
    throw new Error("the webhook secret must be whsec_ followed by base64");
  }
  return key;
}

/**
 * Checks a Standard Webhooks signature over the raw body. Returns null when one of the
 * `v1,` signatures matches and the timestamp is fresh, otherwise the reason (for the log;
 * the caller only ever sees 401).
 */
export function verifyWebhook(key, headers, body, nowSecs = Math.floor(Date.now() / 1000)) {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (!id || !timestamp || !signatures) return "missing webhook-id, webhook-timestamp or webhook-signature";
  if (!/^[0-9]{1,15}$/.test(timestamp)) return "webhook-timestamp is not unix seconds";
  if (Math.abs(nowSecs - Number(timestamp)) > TIMESTAMP_TOLERANCE_SECS) return "webhook-timestamp too old or too new";
  const expected = crypto.createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest();
  let matched = false;
  for (const entry of signatures.split(" ")) {
    const comma = entry.indexOf(",");
    if (comma < 0 || entry.slice(0, comma) !== "v1") continue;
    const given = Buffer.from(entry.slice(comma + 1), "base64");
    // No early exit: every listed signature is compared, each in constant time.
    if (given.length === expected.length && crypto.timingSafeEqual(given, expected)) matched = true;
  }
  return matched ? null : "no v1 signature matches";
}

/** Imports the handler file and returns its exported function `name`. */
export async function loadHandler(file, name = "handler") {
  const mod = await import(pathToFileURL(path.resolve(file)).href);
  const fn = typeof mod[name] === "function" ? mod[name] : mod.default?.[name];
  if (typeof fn !== "function") throw new Error(`${file} exports no function named "${name}"`);
  return fn;
}

class TimeoutError extends Error {}

/** Runs a Lambda handler the way the Node.js runtime does: promise, callback or context.done. */
export function runHandler(fn, event, context, timeoutMs) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err, result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err !== undefined && err !== null) reject(err);
      else resolve(result);
    };
    const timer = setTimeout(() => {
      const err = new TimeoutError(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
      err.name = "Sandbox.Timedout";
      finish(err);
    }, timeoutMs);
    context.succeed = (result) => finish(null, result);
    context.fail = (err) => finish(err ?? new Error("handled failure"));
    context.done = finish;
    try {
      const returned = fn(event, context, finish);
      if (returned && typeof returned.then === "function") {
        returned.then((result) => finish(null, result), (err) => finish(err ?? new Error("rejected without a reason")));
      } else if (fn.length < 3) {
        finish(null, returned);
      }
    } catch (err) {
      finish(err ?? new Error("thrown without a value"));
    }
  });
}

/** Lambda's error document for a thrown value. */
function errorDocument(err) {
  if (err instanceof Error) return { errorType: err.name || "Error", errorMessage: err.message };
  return { errorType: typeof err, errorMessage: String(err) };
}

function lambdaContext(functionName, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return {
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: "128",
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "serve.mjs",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

/** `my-fn`, or the function part of an ARN (`arn:aws:lambda:r:acct:function:my-fn[:qualifier]`). */
function functionNameOf(segment) {
  let name;
  try {
    name = decodeURIComponent(segment);
  } catch {
    name = segment;
  }
  const arn = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)/.exec(name);
  return arn ? arn[1] : name;
}

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (declared > limit) return reject(Object.assign(new Error("body too large"), { status: 413 }));
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        reject(Object.assign(new Error("body too large"), { status: 413 }));
      } else {
        chunks.push(chunk);
      }
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res, status, doc, headers = {}) {
  if (doc === undefined) {
    res.writeHead(status, headers);
    return res.end();
  }
  const body = JSON.stringify(doc);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Only a well-formed triggerSource is ever logged; nothing else of the event is. */
function triggerSourceOf(event) {
  const source = event && typeof event === "object" ? event.triggerSource : undefined;
  return typeof source === "string" && /^[A-Za-z0-9_]{1,64}$/.test(source) ? source : "-";
}

function stderrLog(fields) {
  process.stderr.write(`${new Date().toISOString()} ${fields.join(" ")}\n`);
}

/**
 * The shim's HTTP server (not yet listening). `key` is the decoded webhook key or null;
 * `invoke` false turns the Invoke path off (it is then handled as a webhook path).
 */
export function createShim({ handler, key = null, timeoutMs = 30_000, invoke = true, log = stderrLog }) {
  return http.createServer(async (req, res) => {
    const started = process.hrtime.bigint();
    const pathname = (req.url ?? "/").split("?")[0];
    const invokeMatch = invoke ? INVOKE_PATH.exec(pathname) : null;
    const kind = invokeMatch ? "invoke" : "webhook";
    let source = "-";
    const done = (outcome) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log([kind, source, outcome, `${ms.toFixed(1)}ms`]);
    };

    if (req.method !== "POST") {
      send(res, 405, { errorMessage: "method not allowed: POST the event" }, { allow: "POST" });
      return done("405");
    }
    let body;
    try {
      body = await readBody(req, BODY_LIMIT_BYTES);
    } catch (err) {
      send(res, err.status ?? 400, { errorMessage: err.status ? "request body too large" : "could not read the body" }, { connection: "close" });
      return done(String(err.status ?? 400));
    }
    if (kind === "webhook") {
      const refusal = key ? verifyWebhook(key, req.headers, body) : "no webhook secret configured";
      if (refusal) {
        send(res, 401, { errorMessage: "invalid webhook signature" });
        return done(`401 (${refusal})`);
      }
    }
    let event;
    try {
      event = JSON.parse(body.toString("utf8"));
    } catch {
      if (kind === "invoke") {
        send(res, 400, { Type: "User", message: "Could not parse request body into json" }, { "x-amzn-errortype": "InvalidRequestContentException" });
      } else {
        send(res, 400, { errorMessage: "the body is not JSON" });
      }
      return done("400 (not JSON)");
    }
    source = triggerSourceOf(event);

    const functionName = invokeMatch ? functionNameOf(invokeMatch[1]) : "webhook";
    const invocationType = kind === "invoke" ? (req.headers["x-amz-invocation-type"] ?? "RequestResponse") : "RequestResponse";
    if (invocationType === "DryRun") {
      send(res, 204);
      return done("204 (dry run)");
    }
    const running = runHandler(handler, event, lambdaContext(functionName, timeoutMs), timeoutMs);
    if (invocationType === "Event") {
      send(res, 202);
      running.then(() => done("202 ok"), (err) => done(`202 error ${errorDocument(err).errorType}`));
      return;
    }
    let result;
    try {
      result = JSON.stringify(await running) ?? "null";
    } catch (err) {
      const doc = errorDocument(err);
      if (kind === "invoke") send(res, 200, doc, { "x-amz-function-error": "Unhandled", "x-amz-executed-version": "$LATEST" });
      else send(res, 400, { errorMessage: doc.errorMessage });
      return done(`error ${doc.errorType}`);
    }
    const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(result) };
    if (kind === "invoke") headers["x-amz-executed-version"] = "$LATEST";
    res.writeHead(200, headers);
    res.end(result);
    done("ok");
  });
}

const USAGE = `usage: node serve.mjs HANDLER_FILE [--port 9300] [--host 127.0.0.1] [--secret whsec_...]
                      [--handler handler] [--timeout 30] [--no-invoke]
  HANDLER_FILE   a Lambda handler module (.mjs, .js or .cjs), unchanged
  --port         port to listen on (0: any free port)                    default 9300
  --host         address to bind; the Invoke path is unauthenticated     default 127.0.0.1
  --secret       Standard Webhooks secret (whsec_...); or env WEBHOOK_SECRET
  --handler      name of the exported function                           default handler
  --timeout      seconds a handler may run                               default 30
  --no-invoke    serve only the signed webhook path`;

async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: "string", default: "9300" },
        host: { type: "string", default: "127.0.0.1" },
        secret: { type: "string" },
        handler: { type: "string", default: "handler" },
        timeout: { type: "string", default: "30" },
        "no-invoke": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    console.error(`${err.message}\n${USAGE}`);
    process.exit(2);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length !== 1) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const port = Number(values.port);
  const timeoutSecs = Number(values.timeout);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !(timeoutSecs > 0)) {
    console.error(`bad --port or --timeout\n${USAGE}`);
    process.exit(2);
  }
  const secret = values.secret ?? process.env.WEBHOOK_SECRET;
  let key = null;
  if (secret) {
    try {
      key = decodeSecret(secret);
    } catch (err) {
      console.error(`serve.mjs: ${err.message}`);
      process.exit(2);
    }
  }
  const handler = await loadHandler(positionals[0], values.handler);
  const invoke = !values["no-invoke"];
  const server = createShim({ handler, key, timeoutMs: timeoutSecs * 1000, invoke });
  // The server keeps trigger connections alive in a pool: keep idle ones open longer than
  // Node's 5 s default, so that a reused connection is less often closed under a request.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.listen(port, values.host, () => {
    const { address, port: bound } = server.address();
    const host = address.includes(":") ? `[${address}]` : address;
    const paths = [
      invoke ? "Invoke API POST /2015-03-31/functions/{name}/invocations (no SigV4 check)" : null,
      key ? "webhook POST / (Standard Webhooks signature)" : "webhook path refuses all (no --secret)",
    ].filter(Boolean);
    console.log(`serve.mjs: ${positionals[0]} (export ${values.handler}) on http://${host}:${bound} — ${paths.join("; ")}`);
    const loopback = ["127.0.0.1", "::1", "localhost"].includes(values.host) || values.host.startsWith("127.");
    if (invoke && !loopback) {
      console.error("serve.mjs: WARNING: the Invoke path is unauthenticated and bound beyond loopback; use --no-invoke");
    }
  });
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(`serve.mjs: ${err.message}`);
    process.exit(1);
  });
}
