//! Every sentence the emails contain, in English and German. A message picks one `Tr` by the
//! recipient's language and fills its `{placeholders}`; the templates only arrange the result,
//! so a missing translation is a compile error.

macro_rules! catalogue {
    ($($key:ident: $en:literal, $de:literal;)*) => {
        /// One language's strings. Values in `{braces}` are filled by `messages`.
        pub struct Tr {
            /// The BCP 47 primary subtag, for `<html lang>`.
            pub lang: &'static str,
            $(pub $key: &'static str,)*
        }
        pub static EN: Tr = Tr { lang: "en", $($key: $en,)* };
        pub static DE: Tr = Tr { lang: "de", $($key: $de,)* };
    };
}

catalogue! {
    // Shared
    footer: "This message was sent automatically by {pool}. Replies are not read.",
        "Diese Nachricht wurde automatisch von {pool} gesendet. Antworten werden nicht gelesen.";
    code_label: "Your code", "Ihr Code";
    // confirm_signup
    confirm_signup_subject: "Your confirmation code for {pool}", "Ihr Bestätigungscode für {pool}";
    confirm_signup_heading: "Confirm your email address", "Bestätigen Sie Ihre E-Mail-Adresse";
    confirm_signup_intro: "Enter this code to finish creating your account at {pool}:",
        "Geben Sie diesen Code ein, um die Erstellung Ihres Kontos bei {pool} abzuschließen:";
    confirm_signup_link_intro: "Or confirm with one click:", "Oder bestätigen Sie mit einem Klick:";
    confirm_signup_button: "Confirm my account", "Konto bestätigen";
    confirm_signup_note: "If you did not create an account, ignore this message.",
        "Wenn Sie kein Konto erstellt haben, ignorieren Sie diese Nachricht.";
    // reset_password
    reset_password_subject: "Reset your password for {pool}", "Passwort für {pool} zurücksetzen";
    reset_password_heading: "Reset your password", "Passwort zurücksetzen";
    reset_password_intro: "Use this code to choose a new password for your account at {pool}:",
        "Mit diesem Code legen Sie ein neues Passwort für Ihr Konto bei {pool} fest:";
    reset_password_note: "The code is valid for {minutes} minutes. If you did not ask to reset your password, ignore this message; your password stays as it is.",
        "Der Code ist {minutes} Minuten lang gültig. Wenn Sie das Zurücksetzen nicht angefordert haben, ignorieren Sie diese Nachricht; Ihr Passwort bleibt unverändert.";
    // new_sign_in (adaptive sign-in's notification)
    new_sign_in_subject: "New sign-in to your account at {pool}", "Neue Anmeldung bei Ihrem Konto bei {pool}";
    new_sign_in_heading: "New sign-in to your account", "Neue Anmeldung bei Ihrem Konto";
    new_sign_in_intro: "Your account at {pool} was signed in to on {time} (UTC) from {place} ({ip}), with {device}.",
        "Bei Ihrem Konto bei {pool} hat sich am {time} (UTC) jemand aus {place} ({ip}) mit {device} angemeldet.";
    new_sign_in_note: "If this was you, there is nothing to do.", "Wenn Sie das waren, ist nichts weiter zu tun.";
    new_sign_in_link_intro: "If this was not you, sign out everywhere with one click, then change your password:",
        "Wenn Sie das nicht waren, melden Sie sich mit einem Klick überall ab und ändern Sie dann Ihr Passwort:";
    new_sign_in_button: "This wasn't me", "Das war ich nicht";
    new_sign_in_unknown_place: "an unknown place", "einem unbekannten Ort";
    new_sign_in_unknown_device: "an unknown device", "einem unbekannten Gerät";
    // sign_in_code
    sign_in_code_subject: "Your sign-in code for {pool}", "Ihr Anmeldecode für {pool}";
    sign_in_code_heading: "Your sign-in code", "Ihr Anmeldecode";
    sign_in_code_intro: "Use this code to finish signing in to your account at {pool}:",
        "Mit diesem Code schließen Sie die Anmeldung bei Ihrem Konto bei {pool} ab:";
    sign_in_code_note: "The code is valid for {minutes} minutes. If you are not signing in right now, someone else has your password: change it.",
        "Der Code ist {minutes} Minuten lang gültig. Wenn Sie sich gerade nicht anmelden, kennt jemand anderes Ihr Passwort: Ändern Sie es.";
    // password_changed
    password_changed_subject: "Your password for {pool} was changed", "Ihr Passwort für {pool} wurde geändert";
    password_changed_heading: "Your password was changed", "Ihr Passwort wurde geändert";
    password_changed_intro: "The password of your account at {pool} has just been changed.",
        "Das Passwort Ihres Kontos bei {pool} wurde soeben geändert.";
    password_changed_note: "If this was not you, reset your password at once and tell your administrator.",
        "Wenn Sie das nicht waren, setzen Sie Ihr Passwort sofort zurück und informieren Sie Ihre Administration.";
    // invitation
    invitation_subject: "Your new account at {pool}", "Ihr neues Konto bei {pool}";
    invitation_heading: "An account was created for you", "Für Sie wurde ein Konto angelegt";
    invitation_intro: "An account at {pool} has been created for you. Sign in with:",
        "Für Sie wurde ein Konto bei {pool} angelegt. Melden Sie sich an mit:";
    invitation_username: "Username", "Benutzername";
    invitation_password: "Temporary password", "Vorläufiges Passwort";
    invitation_note: "You will choose your own password when you first sign in.",
        "Bei der ersten Anmeldung legen Sie Ihr eigenes Passwort fest.";
    // verify_email
    verify_email_subject: "Verify your new email address for {pool}", "Bestätigen Sie Ihre neue E-Mail-Adresse für {pool}";
    verify_email_heading: "Verify your email address", "E-Mail-Adresse bestätigen";
    verify_email_intro: "Enter this code to confirm this email address for your account at {pool}:",
        "Geben Sie diesen Code ein, um diese E-Mail-Adresse für Ihr Konto bei {pool} zu bestätigen:";
    verify_email_note: "If you did not change your email address, ignore this message and your account keeps its old address.",
        "Wenn Sie Ihre E-Mail-Adresse nicht geändert haben, ignorieren Sie diese Nachricht; Ihr Konto behält die bisherige Adresse.";
}

/// The catalogue for a BCP 47 tag (`de`, `de-DE`, `en-US`): matched on the primary subtag,
/// case-insensitively; anything unknown gets English.
pub fn for_tag(tag: &str) -> &'static Tr {
    let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
    if primary.eq_ignore_ascii_case("de") {
        &DE
    } else {
        &EN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_subtag_picks_the_language() {
        assert_eq!(for_tag("de").lang, "de");
        assert_eq!(for_tag("de-DE").lang, "de");
        assert_eq!(for_tag("DE_at").lang, "de");
        assert_eq!(for_tag("en-US").lang, "en");
        assert_eq!(for_tag("fr").lang, "en");
        assert_eq!(for_tag("").lang, "en");
        assert_eq!(for_tag("deu").lang, "en");
    }
}
