// amazon-cognito-identity-js v6 against Incognito: only the endpoint differs from Cognito.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserAttribute,
  CognitoUserPool,
} from 'amazon-cognito-identity-js';
import { startServer, codeFor, uniqueEmail, POOL_ID, CLIENT_ID, call } from './lib/server.js';

let server;
let pool;
const seen = new Set();
const PASSWORD = 'correct horse battery staple';

before(async () => {
  server = await startServer();
  pool = new CognitoUserPool({ UserPoolId: POOL_ID, ClientId: CLIENT_ID, endpoint: `${server.url}/` });
});
after(async () => server && server.stop());

const cb = (resolve, reject) => (err, result) => (err ? reject(err) : resolve(result));

function signUp(email, password = PASSWORD) {
  const attrs = [
    new CognitoUserAttribute({ Name: 'email', Value: email }),
    new CognitoUserAttribute({ Name: 'name', Value: 'Ada Lovelace' }),
    new CognitoUserAttribute({ Name: 'locale', Value: 'en' }),
  ];
  return new Promise((resolve, reject) => pool.signUp(email, password, attrs, null, cb(resolve, reject)));
}

function confirm(user, code) {
  return new Promise((resolve, reject) => user.confirmRegistration(code, true, cb(resolve, reject)));
}

function authenticate(user, email, password = PASSWORD) {
  const details = new AuthenticationDetails({ Username: email, Password: password });
  return new Promise((resolve, reject) =>
    user.authenticateUser(details, {
      onSuccess: resolve,
      onFailure: reject,
      newPasswordRequired: () => reject(new Error('unexpected NEW_PASSWORD_REQUIRED')),
      mfaRequired: () => reject(new Error('unexpected MFA')),
      totpRequired: () => reject(new Error('unexpected TOTP')),
    }),
  );
}

async function newConfirmedUser(prefix) {
  const email = uniqueEmail(prefix);
  const res = await signUp(email);
  const code = await codeFor(server, email, seen);
  await confirm(res.user, code);
  return { email, user: new CognitoUser({ Username: email, Pool: pool }), sub: res.userSub };
}

test('sign up, confirm with the mailed code, sign in with SRP, get the session', async () => {
  const email = uniqueEmail('ada');
  const res = await signUp(email);
  assert.equal(res.userConfirmed, false);
  assert.match(res.userSub, /^[0-9a-f-]{36}$/);
  assert.equal(res.codeDeliveryDetails.DeliveryMedium, 'EMAIL');

  const user = res.user;
  // Before confirmation the sign-in is refused with UserNotConfirmedException.
  await assert.rejects(authenticate(new CognitoUser({ Username: email, Pool: pool }), email), {
    code: 'UserNotConfirmedException',
  });
  const code = await codeFor(server, email, seen);
  assert.equal(await confirm(user, code), 'SUCCESS');

  const fresh = new CognitoUser({ Username: email, Pool: pool });
  const session = await authenticate(fresh, email);
  assert.ok(session.isValid());
  const id = session.getIdToken().decodePayload();
  assert.equal(id.email, email);
  assert.equal(id.email_verified, true);
  assert.equal(id.name, 'Ada Lovelace');
  assert.equal(id.locale, 'en');
  assert.equal(id.sub, res.userSub);
  assert.equal(id['cognito:username'], res.userSub, 'email pools use the UUID as username');
  assert.equal(id.iss, `${server.url}/${POOL_ID}`);
  assert.equal(id.token_use, 'id');
  assert.ok(id.origin_jti && id.event_id && id.auth_time);
  const access = session.getAccessToken().decodePayload();
  assert.equal(access.client_id, CLIENT_ID);
  assert.equal(access.token_use, 'access');
  assert.ok(access.iat && access.origin_jti && access.event_id);
  assert.match(access.scope, /aws\.cognito\.signin\.user\.admin/);
  assert.equal(access.username, res.userSub);

  // getSession from storage, getUserAttributes via GetUser.
  const again = pool.getCurrentUser();
  assert.ok(again);
  const s2 = await new Promise((resolve, reject) => again.getSession(cb(resolve, reject)));
  assert.ok(s2.isValid());
  const attrs = await new Promise((resolve, reject) => again.getUserAttributes(cb(resolve, reject)));
  const byName = Object.fromEntries(attrs.map((a) => [a.getName(), a.getValue()]));
  assert.equal(byName.email, email);
  assert.equal(byName.email_verified, 'true');
  assert.equal(byName.name, 'Ada Lovelace');
});

test('wrong password and unknown user look the same', async () => {
  const { email } = await newConfirmedUser('wrong');
  const e1 = await authenticate(new CognitoUser({ Username: email, Pool: pool }), email, 'not the password').catch((e) => e);
  const unknown = uniqueEmail('nobody');
  const e2 = await authenticate(new CognitoUser({ Username: unknown, Pool: pool }), unknown).catch((e) => e);
  assert.equal(e1.code, 'NotAuthorizedException');
  assert.equal(e2.code, 'NotAuthorizedException');
  assert.equal(e1.message, e2.message);
});

test('refreshSession gives new tokens; globalSignOut ends them', async () => {
  const { email, user } = await newConfirmedUser('refresh');
  const session = await authenticate(user, email);
  const refreshed = await new Promise((resolve, reject) => user.refreshSession(session.getRefreshToken(), cb(resolve, reject)));
  assert.ok(refreshed.isValid());
  assert.notEqual(refreshed.getAccessToken().getJwtToken(), session.getAccessToken().getJwtToken());
  assert.equal(refreshed.getIdToken().decodePayload().email, email);

  await new Promise((resolve, reject) => user.globalSignOut({ onSuccess: resolve, onFailure: reject }));
  const r = await call(server, 'GetUser', { AccessToken: refreshed.getAccessToken().getJwtToken() });
  assert.equal(r.status, 400);
  assert.equal(r.body.__type, 'NotAuthorizedException');
  const r2 = await call(server, 'InitiateAuth', {
    AuthFlow: 'REFRESH_TOKEN_AUTH',
    ClientId: CLIENT_ID,
    AuthParameters: { REFRESH_TOKEN: refreshed.getRefreshToken().getToken() },
  });
  assert.equal(r2.body.__type, 'NotAuthorizedException');
});

test('forgotPassword + confirmPassword, then sign in with the new password', async () => {
  const { email, user } = await newConfirmedUser('forgot');
  await new Promise((resolve, reject) =>
    user.forgotPassword({ onSuccess: resolve, onFailure: reject, inputVerificationCode: resolve }),
  );
  const code = await codeFor(server, email, seen);
  const newPassword = 'a brand new passphrase';
  await new Promise((resolve, reject) =>
    user.confirmPassword(code, newPassword, { onSuccess: resolve, onFailure: reject }),
  );
  await assert.rejects(authenticate(new CognitoUser({ Username: email, Pool: pool }), email), {
    code: 'NotAuthorizedException',
  });
  const session = await authenticate(new CognitoUser({ Username: email, Pool: pool }), email, newPassword);
  assert.ok(session.isValid());
});

test('changePassword needs the old password; the new one works with SRP', async () => {
  const { email, user } = await newConfirmedUser('change');
  await authenticate(user, email);
  const wrong = await new Promise((resolve) => user.changePassword('wrong old password', 'another passphrase!', (err) => resolve(err)));
  assert.equal(wrong.code, 'NotAuthorizedException');
  const ok = await new Promise((resolve, reject) => user.changePassword(PASSWORD, 'another passphrase!', cb(resolve, reject)));
  assert.equal(ok, 'SUCCESS');
  const session = await authenticate(new CognitoUser({ Username: email, Pool: pool }), email, 'another passphrase!');
  assert.ok(session.isValid());
});

test('resend the confirmation code: a fresh code at once, the older one void', async () => {
  const email = uniqueEmail('resend');
  const res = await signUp(email);
  const first = await codeFor(server, email, seen);
  // A resend right after the first mail (it went to spam, say) sends a new code at once.
  const details = await new Promise((resolve, reject) => res.user.resendConfirmationCode(cb(resolve, reject)));
  assert.equal(details.CodeDeliveryDetails.DeliveryMedium, 'EMAIL');
  const fresh = await codeFor(server, email, seen);
  assert.notEqual(fresh, first);
  await assert.rejects(confirm(res.user, first), { code: 'CodeMismatchException' });
  assert.equal(await confirm(res.user, fresh), 'SUCCESS');
});

test('signUp of an existing email is UsernameExistsException; bad password is InvalidPasswordException', async () => {
  const { email } = await newConfirmedUser('exists');
  await assert.rejects(signUp(email), { code: 'UsernameExistsException' });
  await assert.rejects(signUp(uniqueEmail('short'), 'short'), { code: 'InvalidPasswordException' });
});

test('50 fresh users all sign in with SRP', async () => {
  for (let i = 0; i < 50; i++) {
    const { email, user } = await newConfirmedUser(`many${i}`);
    const session = await authenticate(user, email);
    assert.ok(session.isValid(), `user ${i}`);
  }
});

test('signOut revokes the refresh token (RevokeToken via origin_jti)', async () => {
  const { email, user } = await newConfirmedUser('signout');
  const session = await authenticate(user, email);
  await new Promise((resolve) => user.signOut(resolve));
  const r = await call(server, 'InitiateAuth', {
    AuthFlow: 'REFRESH_TOKEN_AUTH',
    ClientId: CLIENT_ID,
    AuthParameters: { REFRESH_TOKEN: session.getRefreshToken().getToken() },
  });
  assert.equal(r.body.__type, 'NotAuthorizedException');
});
