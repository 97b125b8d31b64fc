// PreSignUp trigger: only e-mail addresses of the allowed domains may sign up. Plain AWS
// Lambda code.
//
//   ALLOWED_DOMAINS  comma-separated domains, e.g. "example.com,example.org" (unset: nobody)
//   AUTO_CONFIRM     "1": confirm allowed users and mark their e-mail verified at once
const ALLOWED_DOMAINS = (process.env.ALLOWED_DOMAINS ?? "")
  .split(",")
  .map((domain) => domain.trim().toLowerCase())
  .filter(Boolean);
const AUTO_CONFIRM = process.env.AUTO_CONFIRM === "1";

export const handler = async (event) => {
  const email = String(event.request.userAttributes.email ?? "").toLowerCase();
  const at = email.lastIndexOf("@");
  const domain = at > 0 ? email.slice(at + 1) : "";
  if (!ALLOWED_DOMAINS.includes(domain)) {
    // Cognito answers this as UserLambdaValidationException
    // "PreSignUp failed with error Sign-up is restricted to ... addresses." (it adds the dot).
    const allowed = ALLOWED_DOMAINS.length ? ALLOWED_DOMAINS.join(", ") : "approved";
    throw new Error(`Sign-up is restricted to ${allowed} addresses`);
  }
  if (AUTO_CONFIRM) {
    event.response.autoConfirmUser = true;
    event.response.autoVerifyEmail = true;
  }
  return event;
};
