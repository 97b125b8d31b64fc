// E-mail one-time codes (EMAIL_OTP) through Amplify JS v6: a pool that requires MFA and offers
// e-mail codes; a user without an authenticator signs in with SRP and the e-mailed code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Amplify } from 'aws-amplify';
import { signUp, confirmSignUp, signIn, confirmSignIn, fetchAuthSession, signOut } from 'aws-amplify/auth';
import { startServer, codeFor, uniqueEmail } from './lib/server.js';

const POOL = 'local_JsEmailOtp1';
const CLIENT = 'js_email_otp_client';
const EXTRA = `
[[pool]]
id = "${POOL}"
name = "JS e-mail OTP pool"
required_attributes = ["email"]
mfa = "required"
email_mfa = true

  [[pool.client]]
  id = "${CLIENT}"
  name = "E-mail OTP app"
  auth_flows = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
`;

let server;
const seen = new Set();
const PASSWORD = 'correct horse battery staple';

before(async () => {
  server = await startServer(EXTRA);
  Amplify.configure({
    Auth: { Cognito: { userPoolId: POOL, userPoolClientId: CLIENT, userPoolEndpoint: server.url } },
  });
});
after(async () => server && server.stop());

test('signIn asks for the e-mailed code; confirmSignIn with it signs in', async () => {
  if (process.env.INCOGNITO_TEST_URL) return; // needs its own pool from the bootstrap file
  const email = uniqueEmail('emailotp');
  await signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } });
  await confirmSignUp({ username: email, confirmationCode: await codeFor(server, email, seen) });

  const first = await signIn({ username: email, password: PASSWORD });
  assert.equal(first.isSignedIn, false);
  assert.equal(first.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
  assert.equal(first.nextStep.codeDeliveryDetails.deliveryMedium, 'EMAIL');

  await assert.rejects(confirmSignIn({ challengeResponse: '000000' }), (e) => e.name === 'CodeMismatchException');
  const code = await codeFor(server, email, seen);
  const done = await confirmSignIn({ challengeResponse: code });
  assert.equal(done.isSignedIn, true);
  const session = await fetchAuthSession();
  assert.deepEqual(session.tokens.idToken.payload.amr, ['pwd', 'otp']);
  await signOut();
});
