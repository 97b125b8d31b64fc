// CustomMessage trigger: branded e-mails for every message with a code. Plain AWS Lambda code.
//
// The server sends the placeholders, never the code: request.codeParameter ("{####}"),
// request.usernameParameter ("{username}", invitations) and request.linkParameter
// ("{##Click Here##}", sign-up confirmations). Put them where the values go; a message
// without the code placeholder is refused and the default message is sent instead.
const BRAND = process.env.BRAND ?? "Acme";

const SUBJECTS = {
  CustomMessage_SignUp: "Welcome! Confirm your e-mail",
  CustomMessage_ResendCode: "Your new confirmation code",
  CustomMessage_ForgotPassword: "Reset your password",
  CustomMessage_UpdateUserAttribute: "Confirm your new e-mail address",
  CustomMessage_VerifyUserAttribute: "Confirm your e-mail address",
  CustomMessage_AdminCreateUser: "Your new account",
};

export const handler = async (event) => {
  const { codeParameter, usernameParameter, linkParameter } = event.request;
  const name = event.request.userAttributes.name ?? "there";
  const subject = SUBJECTS[event.triggerSource];
  if (!subject) return event; // e.g. _Authentication: keep the default message
  let body = `<h1>${BRAND}</h1><p>Hello ${escapeHtml(name)},</p>`;
  if (event.triggerSource === "CustomMessage_AdminCreateUser") {
    body += `<p>Your user name is <b>${usernameParameter}</b> and your temporary password is <b>${codeParameter}</b>.</p>`;
  } else {
    body += `<p>Your code is <b>${codeParameter}</b>.</p>`;
    if (linkParameter) body += `<p>Or follow this link: ${linkParameter}</p>`;
  }
  body += `<p>— The ${BRAND} team</p>`;
  event.response.emailSubject = `${BRAND}: ${subject}`;
  event.response.emailMessage = body;
  return event;
};

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
