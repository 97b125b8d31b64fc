// amazon-cognito-identity-js against a pool and client made through the control plane
// (tests/boto3/test_user_pools.py runs it): `signup` registers a user, `signin` signs in with
// SRP and prints the ID token's claims as JSON; `signin-password` does the same with
// USER_PASSWORD_AUTH (`authenticationFlowType`), as apps do while users are migrated by a
// UserMigration trigger.
//
//   node sign-up-and-in.mjs signup|signin|signin-password URL POOL_ID CLIENT_ID EMAIL PASSWORD
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserAttribute,
  CognitoUserPool,
} from 'amazon-cognito-identity-js';

const [step, url, poolId, clientId, email, password] = process.argv.slice(2);
const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint: `${url}/` });
const done = (resolve, reject) => (err, result) => (err ? reject(err) : resolve(result));

if (step === 'signup') {
  const attrs = [
    new CognitoUserAttribute({ Name: 'email', Value: email }),
    new CognitoUserAttribute({ Name: 'name', Value: 'Control Plane' }),
    new CognitoUserAttribute({ Name: 'locale', Value: 'en' }),
  ];
  const r = await new Promise((resolve, reject) =>
    pool.signUp(email, password, attrs, null, done(resolve, reject)));
  console.log(JSON.stringify({ userConfirmed: r.userConfirmed, sub: r.userSub }));
} else if (step === 'signin' || step === 'signin-password') {
  const user = new CognitoUser({ Username: email, Pool: pool });
  if (step === 'signin-password') user.setAuthenticationFlowType('USER_PASSWORD_AUTH');
  const details = new AuthenticationDetails({ Username: email, Password: password });
  const session = await new Promise((resolve, reject) =>
    user.authenticateUser(details, { onSuccess: resolve, onFailure: reject }));
  console.log(JSON.stringify(session.getIdToken().decodePayload()));
} else {
  console.error(`unknown step ${step}`);
  process.exit(2);
}
