// DefineAuthChallenge trigger for a one-time-code sign-in (CUSTOM_AUTH). Plain AWS Lambda code,
// with create-auth-challenge.mjs and verify-auth-challenge-response.mjs.
//
// The flow: an optional password step first (the client starts with CHALLENGE_NAME SRP_A, as
// amazon-cognito-identity-js does for `authenticateUser` with CUSTOM_AUTH), then one
// CUSTOM_CHALLENGE whose answer is the code sent to the user, with MAX_ATTEMPTS tries.
const MAX_ATTEMPTS = Number(process.env.MAX_ATTEMPTS ?? 3);

export const handler = async (event) => {
  const session = event.request.session ?? [];
  const last = session[session.length - 1];
  const response = event.response;
  response.issueTokens = false;
  response.failAuthentication = false;

  if (last?.challengeName === "SRP_A") {
    response.challengeName = "PASSWORD_VERIFIER";
  } else if (last?.challengeName === "PASSWORD_VERIFIER" && !last.challengeResult) {
    response.failAuthentication = true;
  } else if (last?.challengeName === "CUSTOM_CHALLENGE" && last.challengeResult === true) {
    // An unknown user (userNotFound) never gets here: the code was never sent.
    response.issueTokens = true;
  } else if (session.filter((c) => c.challengeName === "CUSTOM_CHALLENGE").length >= MAX_ATTEMPTS) {
    response.failAuthentication = true;
  } else {
    response.challengeName = "CUSTOM_CHALLENGE";
  }
  return event;
};
