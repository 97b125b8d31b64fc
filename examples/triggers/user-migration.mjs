// UserMigration trigger: move users from a legacy user table on their first sign-in (or
// their first "forgot password"). Plain AWS Lambda code, Node built-ins only.
//
// The legacy table is stood in for by a JSON file (LEGACY_USERS_FILE, default
// ./legacy-users.json next to this file): user names, emails and salted scrypt hashes, as an
// old system's database might hold them. Replace findLegacyUser and checkLegacyPassword
// with your old system's lookup and password check (bcrypt, PBKDF2, a call to its login
// API, ...).
//
// Cognito (and Incognito) call this only for a user name the pool does not know, and only
// once per user: the user is then created with the attributes answered and the password
// typed, and signs in locally from then on (SRP included). Throwing means "no such user or
// wrong password"; the user then gets exactly the answer of a wrong password.
import { scrypt, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";

const LEGACY_FILE = process.env.LEGACY_USERS_FILE ?? new URL("./legacy-users.json", import.meta.url);
const SCRYPT = { N: 16384, r: 8, p: 1 };
const scryptAsync = promisify(scrypt);

async function findLegacyUser(userName) {
  const { users } = JSON.parse(await readFile(LEGACY_FILE, "utf8"));
  const wanted = String(userName ?? "").toLowerCase();
  return users.find((user) => user.username.toLowerCase() === wanted || user.email.toLowerCase() === wanted);
}

async function checkLegacyPassword(user, password) {
  const stored = Buffer.from(user.scrypt, "hex");
  const given = await scryptAsync(String(password ?? ""), Buffer.from(user.salt, "hex"), stored.length, SCRYPT);
  return timingSafeEqual(given, stored);
}

function attributesOf(user) {
  return { email: user.email, email_verified: "true", name: user.name, locale: user.locale };
}

export const handler = async (event) => {
  const user = await findLegacyUser(event.userName);
  if (event.triggerSource === "UserMigration_Authentication") {
    if (!user || !(await checkLegacyPassword(user, event.request.password))) {
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
