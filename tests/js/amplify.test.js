// Amplify JS v6 (aws-amplify/auth) against Incognito, configured with `userPoolEndpoint`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Amplify } from 'aws-amplify';
import {
  signUp,
  confirmSignUp,
  signIn,
  signOut,
  fetchAuthSession,
  getCurrentUser,
  fetchUserAttributes,
  resetPassword,
  confirmResetPassword,
} from 'aws-amplify/auth';
import { startServer, codeFor, uniqueEmail, POOL_ID, CLIENT_ID } from './lib/server.js';

let server;
const seen = new Set();
const PASSWORD = 'correct horse battery staple';

before(async () => {
  server = await startServer();
  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: POOL_ID,
        userPoolClientId: CLIENT_ID,
        userPoolEndpoint: server.url,
      },
    },
  });
});
after(async () => server && server.stop());

test('signUp, confirmSignUp, signIn (SRP), fetchAuthSession, refresh, signOut', async () => {
  const email = uniqueEmail('amplify');
  const up = await signUp({
    username: email,
    password: PASSWORD,
    options: { userAttributes: { email, name: 'Grace Hopper', locale: 'en' } },
  });
  assert.equal(up.isSignUpComplete, false);
  assert.equal(up.nextStep.signUpStep, 'CONFIRM_SIGN_UP');
  assert.match(up.userId, /^[0-9a-f-]{36}$/);

  const code = await codeFor(server, email, seen);
  const confirmed = await confirmSignUp({ username: email, confirmationCode: code });
  assert.equal(confirmed.isSignUpComplete, true);

  const res = await signIn({ username: email, password: PASSWORD });
  assert.equal(res.isSignedIn, true);
  assert.equal(res.nextStep.signInStep, 'DONE');

  const current = await getCurrentUser();
  assert.equal(current.userId, up.userId);
  const attrs = await fetchUserAttributes();
  assert.equal(attrs.email, email);
  assert.equal(attrs.name, 'Grace Hopper');

  const s1 = await fetchAuthSession();
  assert.ok(s1.tokens.accessToken);
  assert.equal(s1.tokens.idToken.payload.email, email);
  // A forced refresh goes through GetTokensFromRefreshToken.
  const s2 = await fetchAuthSession({ forceRefresh: true });
  assert.ok(s2.tokens.accessToken);
  assert.notEqual(s2.tokens.accessToken.toString(), s1.tokens.accessToken.toString());
  assert.equal(s2.tokens.idToken.payload.sub, up.userId);

  await signOut();
  const s3 = await fetchAuthSession();
  assert.equal(s3.tokens, undefined);
});

test('an unconfirmed user is sent to CONFIRM_SIGN_UP; a wrong password is NotAuthorizedException', async () => {
  const email = uniqueEmail('amplify-unconfirmed');
  await signUp({
    username: email,
    password: PASSWORD,
    options: { userAttributes: { email, name: 'Unconfirmed', locale: 'en' } },
  });
  const res = await signIn({ username: email, password: PASSWORD });
  assert.equal(res.isSignedIn, false);
  assert.equal(res.nextStep.signInStep, 'CONFIRM_SIGN_UP');
  const code = await codeFor(server, email, seen);
  await confirmSignUp({ username: email, confirmationCode: code });
  await assert.rejects(signIn({ username: email, password: 'definitely wrong' }), { name: 'NotAuthorizedException' });
});

test('resetPassword + confirmResetPassword, then sign in with the new password', async () => {
  const email = uniqueEmail('amplify-reset');
  await signUp({
    username: email,
    password: PASSWORD,
    options: { userAttributes: { email, name: 'Reset', locale: 'en' } },
  });
  await confirmSignUp({ username: email, confirmationCode: await codeFor(server, email, seen) });
  const r = await resetPassword({ username: email });
  assert.equal(r.nextStep.resetPasswordStep, 'CONFIRM_RESET_PASSWORD_WITH_CODE');
  assert.equal(r.nextStep.codeDeliveryDetails.deliveryMedium, 'EMAIL');
  const code = await codeFor(server, email, seen);
  await confirmResetPassword({ username: email, confirmationCode: code, newPassword: 'the new passphrase' });
  const res = await signIn({ username: email, password: 'the new passphrase' });
  assert.equal(res.isSignedIn, true);
  await signOut({ global: true });
});
