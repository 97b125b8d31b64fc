// UserMigration trigger: move users from a legacy user table on their first sign-in (or
// their first "forgot password"). Plain AWS Lambda code.
//
// The legacy table is stood in for by a JSON file (LEGACY_USERS_FILE, default
// ./legacy-users.json next to this file). Its salted SHA-256 is only an EXAMPLE of "the old
// system's own password check": replace checkLegacyPassword with whatever your old system
// does (bcrypt, argon2, PBKDF2, a call to its login API, ...).
//
// Cognito calls this only for a user name it does not know. Throwing means "no such user or
// wrong password"; the user then gets the same answer as for a wrong password.
import { createHash, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";

const LEGACY_FILE = process.env.LEGACY_USERS_FILE ?? new URL("./legacy-users.json", import.meta.url);

async function findLegacyUser(userName) {
  const { users } = JSON.parse(await readFile(LEGACY_FILE, "utf8"));
  const wanted = String(userName ?? "").toLowerCase();
  return users.find((user) => user.username.toLowerCase() === wanted || user.email.toLowerCase() === wanted);
}

function checkLegacyPassword(user, password) {
  const given = createHash("sha256").update(user.salt + String(password ?? "")).digest();
  const stored = Buffer.from(user.sha256, "hex");
  return given.length === stored.length && timingSafeEqual(given, stored);
}

function attributesOf(user) {
  return { email: user.email, email_verified: "true", name: user.name };
}

export const handler = async (event) => {
  const user = await findLegacyUser(event.userName);
  if (event.triggerSource === "UserMigration_Authentication") {
    if (!user || !checkLegacyPassword(user, event.request.password)) {
      throw new Error("Bad password");
    }
    event.response.userAttributes = attributesOf(user);
    event.response.finalUserStatus = "CONFIRMED";
    event.response.messageAction = "SUPPRESS";
  } else if (event.triggerSource === "UserMigration_ForgotPassword") {
    if (!user) {
      throw new Error("Bad password");
    }
    event.response.userAttributes = attributesOf(user);
    event.response.messageAction = "SUPPRESS";
  } else {
    throw new Error(`Bad triggerSource ${event.triggerSource}`);
  }
  return event;
};
