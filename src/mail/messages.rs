//! The emails Incognito sends, rendered from `templates/email/<message>.{subject.txt,txt,html}`
//! with the words of `i18n`, or from a pool's override with `{placeholders}`.
//!
//! Each function returns a [`Message`] whose `to` is empty: set it (`.addressed_to(email)`)
//! and hand it to [`crate::mail::enqueue`] inside the transaction that stored the code.

use askama::Template;

use super::i18n::{self, Tr};
use super::{EmailOverride, Message};

/// Every message name a pool may override (the keys of `EmailOverrides`).
pub const MESSAGE_NAMES: &[&str] = &[
    CONFIRM_SIGNUP,
    RESET_PASSWORD,
    PASSWORD_CHANGED,
    INVITATION,
    VERIFY_EMAIL,
];
pub const CONFIRM_SIGNUP: &str = "confirm_signup";
pub const RESET_PASSWORD: &str = "reset_password";
pub const PASSWORD_CHANGED: &str = "password_changed";
pub const INVITATION: &str = "invitation";
pub const VERIFY_EMAIL: &str = "verify_email";

/// The placeholders each message offers to an override, and the one its body must contain.
pub fn placeholders(message: &str) -> Option<(&'static [&'static str], Option<&'static str>)> {
    Some(match message {
        CONFIRM_SIGNUP => (&["pool", "code", "link"], Some("code")),
        RESET_PASSWORD => (&["pool", "code", "minutes"], Some("code")),
        PASSWORD_CHANGED => (&["pool"], None),
        INVITATION => (&["pool", "username", "password"], Some("password")),
        VERIFY_EMAIL => (&["pool", "code"], Some("code")),
        _ => return None,
    })
}

/// Sign-up confirmation: the 6-digit code and a one-click link that carries it.
pub fn confirm_signup(
    lang: &str,
    pool_name: &str,
    code: &str,
    link: &str,
    overrides: Option<&EmailOverride>,
) -> Message {
    let tr = i18n::for_tag(lang);
    let vars = [("pool", pool_name), ("code", code), ("link", link)];
    let link = (link.starts_with("https://") || link.starts_with("http://")).then_some(link);
    let v = View {
        link,
        link_intro: tr.confirm_signup_link_intro,
        button: tr.confirm_signup_button,
        ..View::new(
            tr,
            &vars,
            [
                tr.confirm_signup_subject,
                tr.confirm_signup_heading,
                tr.confirm_signup_intro,
                tr.confirm_signup_note,
            ],
        )
    };
    let built = render(
        &ConfirmSignupSubject { v: &v },
        &ConfirmSignupText { v: &v },
        &ConfirmSignupHtml { v: &v },
    );
    apply_override(built, overrides, &vars)
}

/// A password-reset code.
pub fn reset_password(
    lang: &str,
    pool_name: &str,
    code: &str,
    minutes: i64,
    overrides: Option<&EmailOverride>,
) -> Message {
    code_message(lang, pool_name, code, minutes, overrides, |tr| {
        [
            tr.reset_password_subject,
            tr.reset_password_heading,
            tr.reset_password_intro,
            tr.reset_password_note,
        ]
    })
}

/// The one-time code of a sign-in's second factor (Cognito's EMAIL_OTP).
pub fn sign_in_code(
    lang: &str,
    pool_name: &str,
    code: &str,
    minutes: i64,
    overrides: Option<&EmailOverride>,
) -> Message {
    code_message(lang, pool_name, code, minutes, overrides, |tr| {
        [
            tr.sign_in_code_subject,
            tr.sign_in_code_heading,
            tr.sign_in_code_intro,
            tr.sign_in_code_note,
        ]
    })
}

/// A message whose point is a short-lived code: the same layout, the texts `texts` picks.
fn code_message(
    lang: &str,
    pool_name: &str,
    code: &str,
    minutes: i64,
    overrides: Option<&EmailOverride>,
    texts: fn(&'static i18n::Tr) -> [&'static str; 4],
) -> Message {
    let tr = i18n::for_tag(lang);
    let minutes = minutes.to_string();
    let vars = [("pool", pool_name), ("code", code), ("minutes", &minutes)];
    let v = View::new(tr, &vars, texts(tr));
    let built = render(
        &ResetPasswordSubject { v: &v },
        &ResetPasswordText { v: &v },
        &ResetPasswordHtml { v: &v },
    );
    apply_override(built, overrides, &vars)
}

/// Notification that the account's password was changed.
pub fn password_changed(lang: &str, pool_name: &str, overrides: Option<&EmailOverride>) -> Message {
    let tr = i18n::for_tag(lang);
    let vars = [("pool", pool_name)];
    let v = View::new(
        tr,
        &vars,
        [
            tr.password_changed_subject,
            tr.password_changed_heading,
            tr.password_changed_intro,
            tr.password_changed_note,
        ],
    );
    let built = render(
        &PasswordChangedSubject { v: &v },
        &PasswordChangedText { v: &v },
        &PasswordChangedHtml { v: &v },
    );
    apply_override(built, overrides, &vars)
}

/// Where and how a sign-in came in, for its notification.
pub struct SignInDetails<'a> {
    /// `2026-05-01 12:00`
    pub time: &'a str,
    pub ip: &'a str,
    /// `City, Country`, when the address could be located.
    pub place: Option<&'a str>,
    pub device: Option<&'a str>,
}

/// Adaptive sign-in's notification "new sign-in to your account", with the one-click
/// "this wasn't me" link.
pub fn new_sign_in(lang: &str, pool_name: &str, d: &SignInDetails<'_>, link: &str) -> Message {
    let tr = i18n::for_tag(lang);
    let vars = [
        ("pool", pool_name),
        ("time", d.time),
        ("ip", d.ip),
        ("place", d.place.unwrap_or(tr.new_sign_in_unknown_place)),
        ("device", d.device.unwrap_or(tr.new_sign_in_unknown_device)),
    ];
    let v = View {
        link: Some(link),
        link_intro: tr.new_sign_in_link_intro,
        button: tr.new_sign_in_button,
        ..View::new(
            tr,
            &vars,
            [
                tr.new_sign_in_subject,
                tr.new_sign_in_heading,
                tr.new_sign_in_intro,
                tr.new_sign_in_note,
            ],
        )
    };
    render(
        &NewSignInSubject { v: &v },
        &NewSignInText { v: &v },
        &NewSignInHtml { v: &v },
    )
}

/// Invitation of an administrator-created user: user name and temporary password.
pub fn invitation(
    lang: &str,
    pool_name: &str,
    username: &str,
    temporary_password: &str,
    overrides: Option<&EmailOverride>,
) -> Message {
    let tr = i18n::for_tag(lang);
    let vars = [
        ("pool", pool_name),
        ("username", username),
        ("password", temporary_password),
    ];
    let v = View::new(
        tr,
        &vars,
        [
            tr.invitation_subject,
            tr.invitation_heading,
            tr.invitation_intro,
            tr.invitation_note,
        ],
    );
    let built = render(
        &InvitationSubject { v: &v },
        &InvitationText { v: &v },
        &InvitationHtml { v: &v },
    );
    apply_override(built, overrides, &vars)
}

/// Verification of a changed email address: the code.
pub fn verify_email(
    lang: &str,
    pool_name: &str,
    code: &str,
    overrides: Option<&EmailOverride>,
) -> Message {
    let tr = i18n::for_tag(lang);
    let vars = [("pool", pool_name), ("code", code)];
    let v = View::new(
        tr,
        &vars,
        [
            tr.verify_email_subject,
            tr.verify_email_heading,
            tr.verify_email_intro,
            tr.verify_email_note,
        ],
    );
    let built = render(
        &VerifyEmailSubject { v: &v },
        &VerifyEmailText { v: &v },
        &VerifyEmailHtml { v: &v },
    );
    apply_override(built, overrides, &vars)
}

/// What every email template reads: sentences already in the recipient's language with their
/// placeholders filled, and the raw values. The HTML templates escape all of it.
struct View<'a> {
    tr: &'static Tr,
    subject: String,
    heading: String,
    intro: String,
    note: String,
    footer: String,
    code: &'a str,
    link: Option<&'a str>,
    link_intro: &'static str,
    button: &'static str,
    username: &'a str,
    password: &'a str,
}

impl<'a> View<'a> {
    /// `words` = subject, heading, intro, note of the message, before filling.
    fn new(tr: &'static Tr, vars: &[(&str, &'a str)], words: [&str; 4]) -> View<'a> {
        let get = |k: &str| vars.iter().find(|(n, _)| *n == k).map_or("", |(_, v)| *v);
        let [subject, heading, intro, note] = words.map(|w| fill(w, vars, false));
        View {
            tr,
            subject,
            heading,
            intro,
            note,
            footer: fill(tr.footer, vars, false),
            code: get("code"),
            link: None,
            link_intro: "",
            button: "",
            username: get("username"),
            password: get("password"),
        }
    }
}

// One subject, text and HTML template per message; all read the same `View`.
macro_rules! email_templates {
    ($($subject:ident $sp:tt, $text:ident $tp:tt, $html:ident $hp:tt;)*) => {$(
        #[derive(Template)]
        #[template(path = $sp)]
        struct $subject<'a> { v: &'a View<'a> }
        #[derive(Template)]
        #[template(path = $tp)]
        struct $text<'a> { v: &'a View<'a> }
        #[derive(Template)]
        #[template(path = $hp)]
        struct $html<'a> { v: &'a View<'a> }
    )*};
}

email_templates! {
    ConfirmSignupSubject "email/confirm_signup.subject.txt",
        ConfirmSignupText "email/confirm_signup.txt",
        ConfirmSignupHtml "email/confirm_signup.html";
    ResetPasswordSubject "email/reset_password.subject.txt",
        ResetPasswordText "email/reset_password.txt",
        ResetPasswordHtml "email/reset_password.html";
    PasswordChangedSubject "email/password_changed.subject.txt",
        PasswordChangedText "email/password_changed.txt",
        PasswordChangedHtml "email/password_changed.html";
    InvitationSubject "email/invitation.subject.txt",
        InvitationText "email/invitation.txt",
        InvitationHtml "email/invitation.html";
    NewSignInSubject "email/new_sign_in.subject.txt",
        NewSignInText "email/new_sign_in.txt",
        NewSignInHtml "email/new_sign_in.html";
    VerifyEmailSubject "email/verify_email.subject.txt",
        VerifyEmailText "email/verify_email.txt",
        VerifyEmailHtml "email/verify_email.html";
}

fn render(subject: &impl Template, text: &impl Template, html: &impl Template) -> Message {
    let run = |t: &dyn askama::DynTemplate| {
        t.dyn_render().unwrap_or_else(|e| {
            // Only a failing Display impl can get here; the values are plain strings.
            tracing::error!(error = %e, "email template failed to render");
            String::new()
        })
    };
    Message {
        to: String::new(),
        subject: one_line(&run(subject)),
        text: tidy_text(&run(text)),
        html: run(html),
    }
}

/// A pool's override replaces each part it sets. When it sets only `text`, the HTML part is
/// made from that text (so both parts say the same); when it sets only `html`, the text part is
/// made from that HTML.
fn apply_override(
    mut built: Message,
    overrides: Option<&EmailOverride>,
    vars: &[(&str, &str)],
) -> Message {
    let Some(o) = overrides else {
        return built;
    };
    if let Some(s) = non_empty(&o.subject) {
        built.subject = one_line(&fill(s, vars, false));
    }
    match (non_empty(&o.text), non_empty(&o.html)) {
        (Some(text), Some(html)) => {
            built.text = fill(text, vars, false);
            built.html = fill(html, vars, true);
        }
        (Some(text), None) => {
            built.text = fill(text, vars, false);
            built.html = html_from_text(&built.text, &built.subject);
        }
        (None, Some(html)) => {
            built.html = fill(html, vars, true);
            built.text = tidy_text(&text_from_html(&built.html));
        }
        (None, None) => {}
    }
    built
}

/// A message whose subject and HTML body come from a CustomMessage handler: Cognito's
/// placeholders filled (`{####}` is `code`; values HTML-escaped in the body), the link
/// placeholder (`{##Click Here##}`) made a link to `link`, the text part derived.
pub fn from_handler(
    subject: &str,
    html: &str,
    vars: &[(&str, &str)],
    (link_placeholder, link): (&str, Option<&str>),
) -> Message {
    let label = link_placeholder.trim_matches(|c| c == '{' || c == '}' || c == '#');
    let anchor = link.map_or_else(String::new, |l| {
        format!("<a href=\"{}\">{}</a>", escape_html(l), escape_html(label))
    });
    let html = fill(html, vars, true).replace(link_placeholder, &anchor);
    Message {
        to: String::new(),
        subject: one_line(&fill(subject, vars, false)),
        text: tidy_text(&text_from_html(&html)),
        html,
    }
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.trim().is_empty())
}

/// Replaces `{name}` with the value of `name` in one left-to-right pass (a value that itself
/// contains `{code}` is not expanded again). `{####}` is Cognito's spelling of `{code}`.
/// Unknown placeholders stay as they are. With `html`, values are HTML-escaped.
pub(crate) fn fill(template: &str, vars: &[(&str, &str)], html: bool) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let value = after.find('}').and_then(|end| {
            let name = &after[..end];
            let name = if name == "####" { "code" } else { name };
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (end, *v))
        });
        match value {
            Some((end, v)) => {
                if html {
                    escape_html_into(&mut out, v);
                } else {
                    out.push_str(v);
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_html_into(&mut out, s);
    out
}

fn escape_html_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Subjects are one header line: line breaks become spaces.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Trailing spaces off every line, at most one blank line in a row, no blank start or end.
fn tidy_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank = 0;
    for line in s.lines().map(str::trim_end) {
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out.push('\n');
    out
}

/// A minimal HTML document showing `text`: paragraphs at blank lines, `<br>` at line breaks.
fn html_from_text(text: &str, title: &str) -> String {
    let mut body = String::new();
    for para in text.split("\n\n").filter(|p| !p.trim().is_empty()) {
        body.push_str("<p>");
        body.push_str(&escape_html(para.trim()).replace('\n', "<br>\n"));
        body.push_str("</p>\n");
    }
    format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape_html(title)
    )
}

/// The readable text of an HTML body: tags dropped, block ends as line breaks, a link as
/// "label (url)", the common entities decoded.
fn text_from_html(html: &str) -> String {
    let body = match html.find("<body") {
        Some(i) => &html[i..],
        None => html,
    };
    let mut out = String::new();
    let mut href: Option<(String, usize)> = None;
    let mut rest = body;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let Some(gt) = rest[lt..].find('>') else {
            rest = "";
            break;
        };
        let inner = &rest[lt + 1..lt + gt];
        let closing = inner.trim_start().starts_with('/');
        let name: String = inner
            .trim_start()
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match (name.as_str(), closing) {
            ("a", false) => href = attribute(inner, "href").map(|h| (h, out.len())),
            ("a", true) => {
                if let Some((url, at)) = href.take() {
                    let label = decode_entities(out[at..].trim());
                    if label != decode_entities(&url) {
                        out.push_str(&format!(" ({url})"));
                    }
                }
            }
            ("br", _) => out.push('\n'),
            ("p" | "div" | "h1" | "h2" | "h3" | "tr" | "li" | "table", true) => {
                out.push_str("\n\n")
            }
            _ => {}
        }
        rest = &rest[lt + gt + 1..];
    }
    out.push_str(rest);
    decode_entities(&out)
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let at = lower.find(&format!("{name}=\""))? + name.len() + 2;
    let end = tag[at..].find('"')? + at;
    Some(tag[at..end].to_string())
}

fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_and_german_confirmation() {
        let en = confirm_signup(
            "en-US",
            "Acme",
            "123456",
            "https://id.example/p/confirm?code=123456&u=a",
            None,
        );
        assert_eq!(en.subject, "Your confirmation code for Acme");
        assert!(en.text.contains("123456"));
        assert!(
            en.text
                .contains("https://id.example/p/confirm?code=123456&u=a")
        );
        assert!(en.html.contains("<html lang=\"en\">"));
        assert!(en.html.contains("123456"));
        assert!(
            en.html
                .contains("href=\"https://id.example/p/confirm?code=123456&#38;u=a\"")
        );
        let de = confirm_signup("de-DE", "Acme", "123456", "https://x/", None);
        assert_eq!(de.subject, "Ihr Bestätigungscode für Acme");
        assert!(de.text.contains("Oder bestätigen Sie mit einem Klick:"));
        assert!(de.html.contains("Konto bestätigen</a>"));
        assert!(de.html.contains("<html lang=\"de\">"));
    }

    #[test]
    fn values_are_escaped_in_html_templates() {
        let m = invitation("en", "A & B <Corp>", "<b>bob</b>", "p\"w'<>&", None);
        // askama writes numeric character references.
        assert!(m.html.contains("A &#38; B &#60;Corp&#62;"));
        assert!(m.html.contains("&#60;b&#62;bob&#60;/b&#62;"));
        assert!(m.html.contains("p&#34;w&#39;&#60;&#62;&#38;"));
        assert!(!m.html.contains("<b>bob") && !m.html.contains("<Corp>"));
        assert!(m.text.contains("<b>bob</b>"));
        assert!(m.text.contains("p\"w'<>&"));
        assert_eq!(m.subject, "Your new account at A & B <Corp>");
    }

    #[test]
    fn a_link_that_is_not_http_is_left_out() {
        let m = confirm_signup("en", "P", "111111", "javascript:alert(1)", None);
        assert!(!m.html.contains("javascript:"));
        assert!(!m.text.contains("javascript:"));
    }

    #[test]
    fn reset_password_mentions_minutes() {
        let m = reset_password("de", "P", "654321", 15, None);
        assert!(m.text.contains("15 Minuten"));
        assert!(m.text.contains("654321"));
        let m = reset_password("xx", "P", "654321", 60, None);
        assert!(m.text.contains("60 minutes"));
    }

    #[test]
    fn overrides_fill_placeholders_once() {
        let o = EmailOverride {
            subject: Some("Code {####}\nfor {pool}".into()),
            text: Some("Hi, your code is {code}. {unknown} {link}".into()),
            html: Some("<p>{code} <a href=\"{link}\">go</a> {pool}</p>".into()),
        };
        let m = confirm_signup("en", "<P>", "{link}", "https://x/?a=1&b=2", Some(&o));
        assert_eq!(m.subject, "Code {link} for <P>");
        assert_eq!(
            m.text,
            "Hi, your code is {link}. {unknown} https://x/?a=1&b=2"
        );
        assert_eq!(
            m.html,
            "<p>{link} <a href=\"https://x/?a=1&amp;b=2\">go</a> &lt;P&gt;</p>"
        );
    }

    #[test]
    fn a_text_only_override_makes_the_html_part_too() {
        let o = EmailOverride {
            text: Some("Code: {code}\n\nBye <3".into()),
            ..EmailOverride::default()
        };
        let m = verify_email("en", "P", "999000", Some(&o));
        assert_eq!(m.subject, "Verify your new email address for P");
        assert!(m.html.contains("<p>Code: 999000</p>"));
        assert!(m.html.contains("<p>Bye &lt;3</p>"));
        let o = EmailOverride {
            html: Some("<p>Code: <b>{code}</b></p><p>A &amp; B</p>".into()),
            ..EmailOverride::default()
        };
        let m = verify_email("en", "P", "999000", Some(&o));
        assert_eq!(m.text, "Code: 999000\n\nA & B\n");
    }

    #[test]
    fn every_message_renders_in_both_languages() {
        for lang in ["en", "de"] {
            for m in [
                confirm_signup(lang, "P", "123456", "https://x/c", None),
                reset_password(lang, "P", "123456", 60, None),
                password_changed(lang, "P", None),
                invitation(lang, "P", "alice", "Temp-Pass-1", None),
                verify_email(lang, "P", "123456", None),
            ] {
                assert!(!m.subject.is_empty() && !m.subject.contains('\n'));
                assert!(m.text.ends_with('\n') && !m.text.contains("\n\n\n"));
                assert!(!m.text.contains("{pool}") && !m.html.contains("{pool}"));
                assert!(m.html.starts_with("<!DOCTYPE html>"));
                assert!(m.html.contains(&format!("<html lang=\"{lang}\">")));
            }
        }
    }
}
