// PreTokenGeneration (V1) trigger: put the user's tenant and roles from the application's own
// user table into the ID token. Plain AWS Lambda code: it runs unchanged on Lambda, behind
// serve.mjs, or anywhere else that speaks the Invoke API.
//
// The application's table is stood in for by a JSON file (APP_USERS_FILE, default
// ./app-users.json next to this file): [{ "email", "tenantId", "roles": [...] }]. In a real
// deployment findUserByEmail is a query against the application's database.
import { readFile } from "node:fs/promises";

const USERS_FILE = process.env.APP_USERS_FILE ?? new URL("./app-users.json", import.meta.url);

async function findUserByEmail(email) {
  const users = JSON.parse(await readFile(USERS_FILE, "utf8"));
  const wanted = String(email ?? "").toLowerCase();
  return users.find((user) => user.email.toLowerCase() === wanted);
}

export const handler = async (event) => {
  const email = event.request.userAttributes.email;
  const user = await findUserByEmail(email);
  if (!user) {
    // Not (yet) known to the application: issue the tokens without its claims.
    return event;
  }
  event.response.claimsOverrideDetails = {
    claimsToAddOrOverride: {
      tenantId: user.tenantId,
    },
    groupOverrideDetails: {
      groupsToOverride: user.roles,
    },
  };
  return event;
};
