// Starts the real `incognito` binary with a temporary data directory and a bootstrap file,
// and reads codes from the mail outbox (`{data_dir}/outbox/*.eml`, used when no SMTP server is
// configured). INCOGNITO_TEST_URL (+ _POOL, _CLIENT, _DATA_DIR) points at a running server
// instead (the Rust test harness sets them).
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..', '..');

export const POOL_ID = 'local_JsTest1';
export const CLIENT_ID = 'js_public_client';
export const PASSWORD_CLIENT_ID = 'js_password_client';
export const ORIGIN = 'http://localhost:3000';
export const MFA_POOL_ID = 'local_JsMfa1';
export const MFA_CLIENT_ID = 'js_mfa_client';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function binary() {
  if (process.env.INCOGNITO_BIN) return process.env.INCOGNITO_BIN;
  const target = process.env.CARGO_TARGET_DIR || path.join(repo, 'target');
  return path.join(target, 'debug', 'incognito');
}

const BOOTSTRAP = `
[[pool]]
id = "${POOL_ID}"
name = "JS test pool"
required_attributes = ["email", "name", "locale"]

  [[pool.client]]
  id = "${CLIENT_ID}"
  name = "Browser app"
  redirect_uris = ["${ORIGIN}/callback"]
  auth_flows = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]

  [[pool.client]]
  id = "${PASSWORD_CLIENT_ID}"
  name = "Password app"
  auth_flows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]

[[pool]]
id = "${MFA_POOL_ID}"
name = "JS MFA pool"
required_attributes = ["email"]
mfa = "required"

  [[pool.client]]
  id = "${MFA_CLIENT_ID}"
  name = "MFA app"
  auth_flows = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
`;

/** `extraBootstrap`: more TOML appended to the bootstrap file (more pools). */
export async function startServer(extraBootstrap = '') {
  if (process.env.INCOGNITO_TEST_URL) {
    return {
      url: process.env.INCOGNITO_TEST_URL,
      dataDir: process.env.INCOGNITO_TEST_DATA_DIR,
      stop: async () => {},
    };
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'incognito-js-'));
  const bootstrap = path.join(dataDir, 'bootstrap.toml');
  fs.writeFileSync(bootstrap, BOOTSTRAP + extraBootstrap);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(binary(), ['serve'], {
    env: {
      ...process.env,
      INCOGNITO_LISTEN: `127.0.0.1:${port}`,
      INCOGNITO_PUBLIC_URL: url,
      INCOGNITO_DATA_DIR: dataDir,
      INCOGNITO_BOOTSTRAP: bootstrap,
      INCOGNITO_LOG_LEVEL: process.env.INCOGNITO_LOG_LEVEL || 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null) throw new Error(`incognito exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('incognito did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    dataDir,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Decodes a quoted-printable .eml enough to find text. */
function readEml(file) {
  const raw = fs.readFileSync(file, 'utf8');
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

/** Waits for a mail to `to` whose text contains `marker` and that was not seen before; returns its 6-digit code. */
export async function codeFor(server, to, seen = new Set()) {
  const dir = path.join(server.dataDir, 'outbox');
  const deadline = Date.now() + 15000;
  for (;;) {
    if (fs.existsSync(dir)) {
      for (const f of fs.readdirSync(dir).sort()) {
        const file = path.join(dir, f);
        if (seen.has(file) || !f.endsWith('.eml')) continue;
        const text = readEml(file);
        if (!new RegExp(`^To: .*${to.replace(/[.+]/g, '\\$&')}`, 'mi').test(text)) continue;
        // The code is in the body, never in the headers.
        const body = text.split(/\r?\n\r?\n/).slice(1).join('\n\n');
        const m = body.match(/\b(\d{6})\b/);
        if (m) {
          seen.add(file);
          return m[1];
        }
      }
    }
    if (Date.now() > deadline) throw new Error(`no mail with a code for ${to}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function uniqueEmail(prefix = 'user') {
  // Letters lead each part: an all-digit part would look like a 6-digit code to `codeFor`
  // (the address is in the mail's To: header and its link).
  return `${prefix}-t${Date.now().toString(36)}-r${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** A raw Cognito API call (for checks the libraries do not expose). */
export async function call(server, action, body, headers = {}) {
  const r = await fetch(`${server.url}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityProviderService.${action}`,
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json(), headers: r.headers };
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) of a base32 secret, `offsetSteps` steps from now. */
export function totp(secret, offsetSteps = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error('not base32');
    bits += v.toString(2).padStart(5, '0');
  }
  const key = Buffer.alloc(Math.floor(bits.length / 8));
  for (let i = 0; i < key.length; i++) key[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  const counter = Math.floor(Date.now() / 1000 / 30) + offsetSteps;
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const h = crypto.createHmac('sha1', key).update(msg).digest();
  const o = h[h.length - 1] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1000000).padStart(6, '0');
}
