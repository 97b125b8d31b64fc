// CUSTOM_AUTH with amazon-cognito-identity-js v6: the example trio of examples/triggers
// (one-time code, optionally after SRP), served unchanged by examples/triggers/serve.mjs as
// signed webhooks, with the pool's own webhook secret from the bootstrap file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthenticationDetails, CognitoUser, CognitoUserAttribute, CognitoUserPool } from 'amazon-cognito-identity-js';
import { startServer, codeFor, uniqueEmail } from './lib/server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const examples = path.resolve(here, '..', '..', 'examples', 'triggers');
const POOL = 'local_JsCustom1';
const CLIENT = 'js_custom_client';
const SECRET = 'whsec_Y3VzdG9tLWF1dGgtcG9vbC1zZWNyZXQtMzI=';
const PASSWORD = 'correct horse battery staple';

let server;
let pool;
let outbox;
const shims = [];
const seen = new Set();

/** Starts serve.mjs on a free loopback port for `handler`; resolves to its URL. */
function startShim(handler, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(examples, 'serve.mjs'), path.join(examples, handler), '--port', '0'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    shims.push(child);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve.mjs exited with ${code}`)));
  });
}

before(async () => {
  outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'incognito-otp-'));
  const env = { WEBHOOK_SECRET: SECRET, CHALLENGE_OUTBOX: outbox };
  const [define, create, verify] = await Promise.all([
    startShim('define-auth-challenge.mjs', env),
    startShim('create-auth-challenge.mjs', env),
    startShim('verify-auth-challenge-response.mjs', env),
  ]);
  server = await startServer(`
[[pool]]
id = "${POOL}"
name = "JS custom auth pool"
required_attributes = ["email"]
webhook_secret = "${SECRET}"

  [pool.triggers]
  DefineAuthChallenge = "${define}/define"
  CreateAuthChallenge = "${create}/create"
  VerifyAuthChallengeResponse = "${verify}/verify"

  [[pool.client]]
  id = "${CLIENT}"
  name = "Custom auth app"
  auth_flows = ["ALLOW_CUSTOM_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
`);
  pool = new CognitoUserPool({ UserPoolId: POOL, ClientId: CLIENT, endpoint: `${server.url}/` });
});

after(async () => {
  for (const s of shims) s.kill('SIGTERM');
  if (server) await server.stop();
  fs.rmSync(outbox, { recursive: true, force: true });
});

const cb = (resolve, reject) => (err, result) => (err ? reject(err) : resolve(result));

async function confirmedUser(prefix) {
  const email = uniqueEmail(prefix);
  const attrs = [new CognitoUserAttribute({ Name: 'email', Value: email })];
  const res = await new Promise((resolve, reject) => pool.signUp(email, PASSWORD, attrs, null, cb(resolve, reject)));
  const code = await codeFor(server, email, seen);
  await new Promise((resolve, reject) => res.user.confirmRegistration(code, true, cb(resolve, reject)));
  return email;
}

/** The one-time code the example's create handler "sent" to `email`. */
async function sentCode(email) {
  const file = path.join(outbox, `${email}.json`);
  const deadline = Date.now() + 10000;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`no code for ${email}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')).code;
}

/** Signs in with CUSTOM_AUTH; `answers` gives each answer in turn (a function of the code). */
function customSignIn(email, answers, { password } = {}) {
  const user = new CognitoUser({ Username: email, Pool: pool });
  user.setAuthenticationFlowType('CUSTOM_AUTH');
  const seenParams = [];
  return new Promise((resolve, reject) => {
    const callbacks = {
      onSuccess: (session) => resolve({ session, seenParams }),
      onFailure: reject,
      async customChallenge(params) {
        seenParams.push(params);
        const next = answers.shift();
        if (!next) return reject(new Error('more challenges than answers'));
        user.sendCustomChallengeAnswer(next(await sentCode(email)), this);
      },
    };
    if (password) {
      // authenticateUser with CUSTOM_AUTH starts with SRP_A: the password step first.
      user.authenticateUser(new AuthenticationDetails({ Username: email, Password: password }), callbacks);
    } else {
      user.initiateAuth(new AuthenticationDetails({ Username: email }), callbacks);
    }
  });
}

test('CUSTOM_AUTH with the example one-time code: right answer', async () => {
  const email = await confirmedUser('otp');
  const { session, seenParams } = await customSignIn(email, [(code) => code]);
  assert.ok(session.isValid());
  assert.equal(session.getIdToken().decodePayload().email, email);
  assert.equal(seenParams[0].delivery, 'EMAIL');
  assert.ok(!JSON.stringify(seenParams).includes(await sentCode(email)), 'the code stays private');
});

test('CUSTOM_AUTH: a wrong answer, then the right one; three wrong answers fail', async () => {
  const email = await confirmedUser('retry');
  const { session, seenParams } = await customSignIn(email, [() => '000000x', (code) => code]);
  assert.ok(session.isValid());
  assert.equal(seenParams.length, 2);
  await assert.rejects(customSignIn(email, [() => 'a', () => 'b', () => 'c']), {
    code: 'NotAuthorizedException',
    message: 'Incorrect username or password.',
  });
});

test('CUSTOM_AUTH after the password (authenticateUser starts with SRP_A)', async () => {
  const email = await confirmedUser('srp');
  const { session } = await customSignIn(email, [(code) => code], { password: PASSWORD });
  assert.ok(session.isValid());
  assert.deepEqual(session.getIdToken().decodePayload().amr, ['pwd']);
  await assert.rejects(customSignIn(email, [(code) => code], { password: 'wrong password' }), {
    code: 'NotAuthorizedException',
  });
});
