// VerifyAuthChallengeResponse trigger: the answer against the code of
// create-auth-challenge.mjs (privateChallengeParameters.answer), compared in constant time.
// Plain AWS Lambda code.
import crypto from "node:crypto";

export const handler = async (event) => {
  const expected = Buffer.from(String(event.request.privateChallengeParameters?.answer ?? ""));
  const given = Buffer.from(String(event.request.challengeAnswer ?? ""));
  event.response.answerCorrect =
    expected.length > 0 &&
    expected.length === given.length &&
    crypto.timingSafeEqual(expected, given);
  return event;
};
