// TOTP MFA through amazon-cognito-identity-js: set-up with an access token and then sign-in
// with a code, and the MFA_SETUP challenge of a pool that requires MFA.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserAttribute,
  CognitoUserPool,
} from 'amazon-cognito-identity-js';
import {
  startServer,
  codeFor,
  uniqueEmail,
  totp,
  POOL_ID,
  CLIENT_ID,
  MFA_POOL_ID,
  MFA_CLIENT_ID,
} from './lib/server.js';

let server;
const seen = new Set();
const PASSWORD = 'correct horse battery staple';

before(async () => {
  server = await startServer();
});
after(async () => server && server.stop());

const cb = (resolve, reject) => (err, result) => (err ? reject(err) : resolve(result));

async function confirmedUser(pool, attrs) {
  const email = uniqueEmail('totp');
  const list = [new CognitoUserAttribute({ Name: 'email', Value: email }), ...attrs];
  const res = await new Promise((resolve, reject) => pool.signUp(email, PASSWORD, list, null, cb(resolve, reject)));
  const code = await codeFor(server, email, seen);
  await new Promise((resolve, reject) => res.user.confirmRegistration(code, true, cb(resolve, reject)));
  return email;
}

test('set up TOTP with an access token, then sign in with SRP and a code', async () => {
  const pool = new CognitoUserPool({ UserPoolId: POOL_ID, ClientId: CLIENT_ID, endpoint: `${server.url}/` });
  const email = await confirmedUser(pool, [
    new CognitoUserAttribute({ Name: 'name', Value: 'Totp User' }),
    new CognitoUserAttribute({ Name: 'locale', Value: 'en' }),
  ]);
  const user = new CognitoUser({ Username: email, Pool: pool });
  const details = new AuthenticationDetails({ Username: email, Password: PASSWORD });
  await new Promise((resolve, reject) => user.authenticateUser(details, { onSuccess: resolve, onFailure: reject }));

  const secret = await new Promise((resolve, reject) =>
    user.associateSoftwareToken({ associateSecretCode: resolve, onFailure: reject }),
  );
  assert.match(secret, /^[A-Z2-7]+=*$/);
  const wrong = await new Promise((resolve) =>
    user.verifySoftwareToken('000000', 'phone', { onSuccess: () => resolve(null), onFailure: resolve }),
  );
  assert.ok(wrong && ['EnableSoftwareTokenMFAException', 'CodeMismatchException'].includes(wrong.code), String(wrong && wrong.code));
  await new Promise((resolve, reject) =>
    user.verifySoftwareToken(totp(secret), 'phone', { onSuccess: resolve, onFailure: reject }),
  );
  await new Promise((resolve, reject) =>
    user.setUserMfaPreference(null, { PreferredMfa: true, Enabled: true }, cb(resolve, reject)),
  );
  const mfa = await new Promise((resolve, reject) => user.getUserData(cb(resolve, reject)));
  assert.deepEqual(mfa.UserMFASettingList, ['SOFTWARE_TOKEN_MFA']);

  // A new sign-in now asks for a code. The set-up used this step's code: use the next one.
  const again = new CognitoUser({ Username: email, Pool: pool });
  const session = await new Promise((resolve, reject) => {
    const callbacks = {
      onSuccess: resolve,
      onFailure: reject,
      totpRequired: (challenge) => {
        assert.equal(challenge, 'SOFTWARE_TOKEN_MFA');
        // A wrong code first: CodeMismatchException, and the challenge can be answered again.
        again.sendMFACode(
          '000000',
          {
            onSuccess: () => reject(new Error('a wrong code was accepted')),
            onFailure: (err) => {
              if (err.code !== 'CodeMismatchException') return reject(err);
              again.sendMFACode(totp(secret, 1), callbacks, 'SOFTWARE_TOKEN_MFA');
            },
          },
          'SOFTWARE_TOKEN_MFA',
        );
      },
    };
    again.authenticateUser(details, callbacks);
  });
  assert.ok(session.isValid());
  assert.deepEqual(session.getIdToken().decodePayload().amr, ['pwd', 'otp']);
});

test('a pool that requires MFA makes a new user set it up during sign-in (MFA_SETUP)', async () => {
  const pool = new CognitoUserPool({ UserPoolId: MFA_POOL_ID, ClientId: MFA_CLIENT_ID, endpoint: `${server.url}/` });
  const email = await confirmedUser(pool, []);
  const user = new CognitoUser({ Username: email, Pool: pool });
  const details = new AuthenticationDetails({ Username: email, Password: PASSWORD });
  let secret;
  const session = await new Promise((resolve, reject) => {
    user.authenticateUser(details, {
      onSuccess: resolve,
      onFailure: reject,
      mfaSetup: (challenge) => {
        assert.equal(challenge, 'MFA_SETUP');
        user.associateSoftwareToken({
          onFailure: reject,
          associateSecretCode: (code) => {
            secret = code;
            user.verifySoftwareToken(totp(secret), 'phone', { onSuccess: resolve, onFailure: reject });
          },
        });
      },
    });
  });
  assert.ok(session.isValid());
  // Next time: a code is required.
  const again = new CognitoUser({ Username: email, Pool: pool });
  const s2 = await new Promise((resolve, reject) => {
    const callbacks = {
      onSuccess: resolve,
      onFailure: reject,
      totpRequired: () => again.sendMFACode(totp(secret, 1), callbacks, 'SOFTWARE_TOKEN_MFA'),
    };
    again.authenticateUser(details, callbacks);
  });
  assert.ok(s2.isValid());
});
