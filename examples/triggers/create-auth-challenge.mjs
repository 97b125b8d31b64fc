// CreateAuthChallenge trigger: a one-time code. Plain AWS Lambda code.
//
// The code goes in privateChallengeParameters (kept by the server, passed to
// verify-auth-challenge-response.mjs), never in publicChallengeParameters (sent to the
// client). A retry after a wrong answer keeps the code (challengeMetadata carries it from
// round to round, server side).
//
// Delivery is yours to write (SES, an SMS provider, ...). For local development,
// CHALLENGE_OUTBOX=DIR writes each code to DIR/<email>.json instead; nothing is logged.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const OUTBOX = process.env.CHALLENGE_OUTBOX;

async function deliver(email, code) {
  if (OUTBOX) {
    fs.mkdirSync(OUTBOX, { recursive: true });
    const file = path.join(OUTBOX, `${email.replace(/[^a-zA-Z0-9@._-]/g, "_")}.json`);
    fs.writeFileSync(file, JSON.stringify({ email, code }));
    return;
  }
  throw new Error("no code delivery is configured");
}

export const handler = async (event) => {
  const session = event.request.session ?? [];
  const previous = [...session].reverse().find((c) => c.challengeName === "CUSTOM_CHALLENGE");
  const email = event.request.userAttributes.email ?? "";
  let code = previous?.challengeMetadata?.startsWith("CODE-")
    ? previous.challengeMetadata.slice("CODE-".length)
    : null;
  if (!code) {
    code = crypto.randomInt(0, 1_000_000).toString().padStart(6, "0");
    // An unknown user (userNotFound) gets the same answer, and no mail.
    if (!event.request.userNotFound) await deliver(email, code);
  }
  const masked = email.replace(/^(.).*(@.*)$/, "$1***$2");
  event.response.publicChallengeParameters = { delivery: "EMAIL", destination: masked };
  event.response.privateChallengeParameters = { answer: code };
  event.response.challengeMetadata = `CODE-${code}`;
  return event;
};
