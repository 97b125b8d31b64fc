//! Every string the hosted pages show, in English and German. A page receives one `Tr` and
//! its template reads fields from it, so a missing translation is a compile error.

/// Locales a user can pick as their `locale` attribute (code, native name).
pub const LOCALES: &[(&str, &str)] = &[
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("pt", "Português"),
    ("ja", "日本語"),
];

pub fn is_known_locale(code: &str) -> bool {
    LOCALES.iter().any(|(c, _)| *c == code)
}

macro_rules! catalogue {
    ($($key:ident: $en:literal, $de:literal;)*) => {
        pub struct Tr {
            pub lang: &'static str,
            $(pub $key: &'static str,)*
        }
        pub static EN: Tr = Tr { lang: "en", $($key: $en,)* };
        pub static DE: Tr = Tr { lang: "de", $($key: $de,)* };
    };
}

catalogue! {
    secured_by: "Secured by Incognito", "Geschützt durch Incognito";
    // Sign-in
    sign_in_title: "Sign in", "Anmelden";
    continue_to: "to continue to", "um fortzufahren zu";
    email: "Email", "E-Mail";
    username: "Username", "Benutzername";
    password: "Password", "Passwort";
    forgot_link: "Forgot your password?", "Passwort vergessen?";
    sign_in_button: "Sign in", "Anmelden";
    or_divider: "or", "oder";
    link_title: "Link your account", "Konto verknüpfen";
    link_intro: "You already have an account with the e-mail address", "Sie haben bereits ein Konto mit der E-Mail-Adresse";
    link_prove: "Enter its password to sign in with it from now on also through", "Geben Sie dessen Passwort ein, um sich damit künftig auch anzumelden über";
    link_button: "Link and sign in", "Verknüpfen und anmelden";
    link_failed: "The password was not right, so nothing was linked. Start the sign-in again.", "Das Passwort war nicht richtig; es wurde nichts verknüpft. Beginnen Sie die Anmeldung erneut.";
    continue_with: "Continue with", "Weiter mit";
    corporate_email: "Sign in with your corporate e-mail", "Mit Ihrer Firmen-E-Mail-Adresse anmelden";
    corporate_continue: "Continue", "Weiter";
    corporate_unknown: "No sign-in is set up for that e-mail address's domain.", "Für die Domain dieser E-Mail-Adresse ist keine Anmeldung eingerichtet.";
    no_account: "Don’t have an account?", "Noch kein Konto?";
    create_account_link: "Create an account", "Konto erstellen";
    err_credentials: "Incorrect email or password.", "E-Mail-Adresse oder Passwort ist falsch.";
    err_risk_blocked: "This sign-in was stopped for your protection: it looks unusual for your account. Try again from a device or network you used before, or contact your administrator.", "Diese Anmeldung wurde zu Ihrem Schutz angehalten: Sie wirkt für Ihr Konto ungewöhnlich. Versuchen Sie es von einem Gerät oder Netz aus, das Sie schon benutzt haben, oder wenden Sie sich an Ihren Administrator.";
    err_throttled: "Too many failed attempts. Wait a few minutes and try again.", "Zu viele Fehlversuche. Warten Sie einige Minuten und versuchen Sie es erneut.";
    err_missing_credentials: "Enter your email and password.", "Geben Sie Ihre E-Mail-Adresse und Ihr Passwort ein.";
    err_not_confirmed: "Your account is not confirmed yet. Enter the code we sent to your email.", "Ihr Konto ist noch nicht bestätigt. Geben Sie den Code ein, den wir Ihnen per E-Mail geschickt haben.";
    // Sign-up
    signup_title: "Create your account", "Konto erstellen";
    name: "Full name", "Vollständiger Name";
    locale: "Language", "Sprache";
    signup_button: "Create account", "Konto erstellen";
    have_account: "Already have an account?", "Sie haben bereits ein Konto?";
    sign_in_link: "Sign in", "Anmelden";
    policy_min: "At least {n} characters.", "Mindestens {n} Zeichen.";
    policy_needs: "Use", "Verwenden Sie";
    policy_upper: "an upper-case letter", "einen Großbuchstaben";
    policy_lower: "a lower-case letter", "einen Kleinbuchstaben";
    policy_digit: "a digit", "eine Ziffer";
    policy_symbol: "a symbol", "ein Sonderzeichen";
    policy_common: "Common passwords are not allowed.", "Häufige Passwörter sind nicht erlaubt.";
    err_email_invalid: "Enter a valid email address.", "Geben Sie eine gültige E-Mail-Adresse ein.";
    err_required: "This field is required.", "Dieses Feld ist erforderlich.";
    err_too_long: "This value is too long.", "Dieser Wert ist zu lang.";
    err_invalid_value: "This value is not valid.", "Dieser Wert ist ungültig.";
    err_pw_short: "This password is too short.", "Dieses Passwort ist zu kurz.";
    err_pw_long: "Password must have at most 256 characters.", "Das Passwort darf höchstens 256 Zeichen haben.";
    err_pw_common: "This password is too common. Choose another one.", "Dieses Passwort ist zu häufig. Wählen Sie ein anderes.";
    err_pw_upper: "Password must contain an upper-case letter.", "Das Passwort muss einen Großbuchstaben enthalten.";
    err_pw_lower: "Password must contain a lower-case letter.", "Das Passwort muss einen Kleinbuchstaben enthalten.";
    err_pw_digit: "Password must contain a digit.", "Das Passwort muss eine Ziffer enthalten.";
    err_pw_symbol: "Password must contain a symbol.", "Das Passwort muss ein Sonderzeichen enthalten.";
    err_pw_mismatch: "The passwords do not match.", "Die Passwörter stimmen nicht überein.";
    err_locale: "Choose a language from the list.", "Wählen Sie eine Sprache aus der Liste.";
    err_form: "Please correct the fields marked below.", "Bitte korrigieren Sie die markierten Felder.";
    signup_disabled: "Sign-up is not available for this application.", "Die Registrierung ist für diese Anwendung nicht verfügbar.";
    // Confirmation
    confirm_title: "Check your email", "Prüfen Sie Ihre E-Mails";
    confirm_intro: "If this address can receive a code, we sent a 6-digit code to it. Enter it below.", "Falls diese Adresse einen Code empfangen kann, haben wir einen 6-stelligen Code gesendet. Geben Sie ihn unten ein.";
    code: "Verification code", "Bestätigungscode";
    confirm_button: "Confirm", "Bestätigen";
    resend_button: "Send a new code", "Neuen Code senden";
    err_send_limited: "Too many codes were requested. Please try again later.", "Es wurden zu viele Codes angefordert. Bitte versuchen Sie es später erneut.";
    resent: "If the account exists and is waiting for a code, we sent a new one.", "Falls das Konto existiert und auf einen Code wartet, haben wir einen neuen gesendet.";
    err_code_mismatch: "That code is not right. Check the email and try again.", "Dieser Code ist nicht richtig. Prüfen Sie die E-Mail und versuchen Sie es erneut.";
    err_code_expired: "This code has expired or was replaced by a newer one. Request a new code.", "Dieser Code ist abgelaufen oder wurde durch einen neueren ersetzt. Fordern Sie einen neuen Code an.";
    err_code_attempts: "Too many wrong codes. Request a new code.", "Zu viele falsche Codes. Fordern Sie einen neuen Code an.";
    err_code_format: "Enter the 6 digits from the email.", "Geben Sie die 6 Ziffern aus der E-Mail ein.";
    err_resend_wait: "Please wait a minute before requesting another code.", "Bitte warten Sie eine Minute, bevor Sie einen weiteren Code anfordern.";
    confirmed: "Your account is confirmed.", "Ihr Konto ist bestätigt.";
    confirmed_sign_in: "Your account is confirmed. Sign in to continue.", "Ihr Konto ist bestätigt. Melden Sie sich an, um fortzufahren.";
    // Forgot and reset password
    forgot_title: "Reset your password", "Passwort zurücksetzen";
    forgot_intro: "Enter your email and we will send you a code to reset your password.", "Geben Sie Ihre E-Mail-Adresse ein. Wir senden Ihnen einen Code zum Zurücksetzen.";
    send_code_button: "Send code", "Code senden";
    forgot_sent: "If an account exists for that email, we sent a code to it. It is valid for a short time.", "Falls ein Konto zu dieser E-Mail-Adresse existiert, haben wir einen Code gesendet. Er ist kurze Zeit gültig.";
    reset_title: "Choose a new password", "Neues Passwort wählen";
    new_password: "New password", "Neues Passwort";
    confirm_password: "Confirm new password", "Neues Passwort bestätigen";
    reset_button: "Set new password", "Neues Passwort festlegen";
    reset_done: "Your password has been changed. Sign in with your new password.", "Ihr Passwort wurde geändert. Melden Sie sich mit dem neuen Passwort an.";
    back_to_sign_in: "Back to sign in", "Zurück zur Anmeldung";
    // Account
    account_title: "Your account", "Ihr Konto";
    signed_in_as: "Signed in as", "Angemeldet als";
    profile: "Profile", "Profil";
    save_button: "Save profile", "Profil speichern";
    saved: "Your changes have been saved.", "Ihre Änderungen wurden gespeichert.";
    change_password: "Change password", "Passwort ändern";
    current_password: "Current password", "Aktuelles Passwort";
    change_password_button: "Change password", "Passwort ändern";
    err_current_password: "Your current password is not right.", "Ihr aktuelles Passwort ist nicht richtig.";
    password_changed: "Your password has been changed.", "Ihr Passwort wurde geändert.";
    sessions: "Where you are signed in", "Wo Sie angemeldet sind";
    this_device: "This device", "Dieses Gerät";
    session_started: "Signed in", "Angemeldet";
    session_last_seen: "Last active", "Zuletzt aktiv";
    revoke_button: "Sign out that device", "Dieses Gerät abmelden";
    session_revoked: "The session has been signed out.", "Die Sitzung wurde abgemeldet.";
    sign_out: "Sign out", "Abmelden";
    sign_out_everywhere: "Sign out everywhere", "Überall abmelden";
    history: "Recent sign-ins", "Letzte Anmeldungen";
    history_none: "No sign-ins recorded yet.", "Noch keine Anmeldungen aufgezeichnet.";
    history_when: "When", "Wann";
    history_where: "Where", "Wo";
    history_network: "Network", "Netzwerk";
    history_outcome: "Outcome", "Ergebnis";
    history_hosted: "Sign-in page", "Anmeldeseite";
    history_app: "App", "App";
    history_pass: "Signed in", "Angemeldet";
    history_fail: "Failed", "Fehlgeschlagen";
    history_risk: "Risk", "Risiko";
    risk_none: "No risk", "Kein Risiko";
    risk_low: "Low", "Niedrig";
    risk_medium: "Medium", "Mittel";
    risk_high: "High", "Hoch";
    risk_takeover: "possible takeover", "mögliche Übernahme";
    risk_blocked: "blocked", "blockiert";
    history_reported: "Reported as not you", "Als nicht Sie gemeldet";
    history_confirmed: "Confirmed as you", "Als Sie bestätigt";
    not_me_button: "This wasn't me", "Das war ich nicht";
    not_me_done: "You have been signed out everywhere. Sign in again and change your password.", "Sie wurden überall abgemeldet. Melden Sie sich erneut an und ändern Sie Ihr Passwort.";
    not_me_title: "Was this you?", "Waren Sie das?";
    not_me_intro: "We e-mailed you about a sign-in to your account. If it was not you, confirm below: you will be signed out everywhere, and the sign-in is reported to your administrator.", "Wir haben Sie per E-Mail über eine Anmeldung bei Ihrem Konto informiert. Wenn Sie das nicht waren, bestätigen Sie es unten: Sie werden überall abgemeldet, und die Anmeldung wird Ihrem Administrator gemeldet.";
    not_me_confirm: "It wasn't me: sign me out everywhere", "Das war ich nicht: überall abmelden";
    not_me_done_title: "Thank you for telling us", "Danke für Ihre Meldung";
    not_me_gone_title: "This link no longer works", "Dieser Link funktioniert nicht mehr";
    not_me_gone_msg: "It has expired, was already used, or is incomplete. If you think someone else signed in to your account, sign in and change your password.", "Er ist abgelaufen, wurde schon benutzt oder ist unvollständig. Wenn Sie glauben, dass sich jemand anderes bei Ihrem Konto angemeldet hat, melden Sie sich an und ändern Sie Ihr Passwort.";
    // Consent
    consent_title: "Authorize access", "Zugriff erlauben";
    consent_intro: "is requesting access to your account.", "möchte auf Ihr Konto zugreifen.";
    consent_scopes: "This will allow it to access:", "Dadurch erhält die Anwendung Zugriff auf:";
    allow_button: "Allow", "Erlauben";
    deny_button: "Deny", "Ablehnen";
    // Errors and notices
    err_generic_title: "Something went wrong", "Etwas ist schiefgelaufen";
    err_generic: "Please try again later.", "Bitte versuchen Sie es später erneut.";
    expired_title: "This link has expired", "Dieser Link ist abgelaufen";
    expired_msg: "Go back to the application and start signing in again.", "Kehren Sie zur Anwendung zurück und melden Sie sich erneut an.";
    refused_title: "Request refused", "Anfrage abgelehnt";
    refused_msg: "The form was not accepted (it may have expired or come from another site). Go back, reload the page and try again.", "Das Formular wurde nicht angenommen (es ist vielleicht abgelaufen oder kam von einer anderen Website). Gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es erneut.";
    unknown_pool_title: "Page not found", "Seite nicht gefunden";
    unknown_pool_msg: "This page does not exist.", "Diese Seite existiert nicht.";
    logged_out_title: "Signed out", "Abgemeldet";
    logged_out_msg: "You have been signed out.", "Sie wurden abgemeldet.";
    close_window: "You can now close this window.", "Sie können dieses Fenster jetzt schließen.";
    too_large_title: "Too much data", "Zu viele Daten";
    too_large: "The form sent more data than this page accepts. Go back and try again.", "Das Formular hat mehr Daten gesendet, als diese Seite annimmt. Gehen Sie zurück und versuchen Sie es erneut.";
    invalid_request_title: "Invalid request", "Ungültige Anfrage";
    unknown_client_title: "Unknown application", "Unbekannte Anwendung";
    unknown_client_msg: "This application is not registered with this user pool.", "Diese Anwendung ist bei diesem Benutzerpool nicht registriert.";
    no_client_id_msg: "The request does not name an application (client_id).", "Die Anfrage nennt keine Anwendung (client_id).";
    bad_redirect_title: "Invalid redirect URI", "Ungültige Weiterleitungsadresse";
    bad_redirect_msg: "The redirect_uri is not registered for this application.", "Die redirect_uri ist für diese Anwendung nicht registriert.";
    no_redirect_msg: "The request has no redirect_uri and the application has several.", "Die Anfrage enthält keine redirect_uri und die Anwendung hat mehrere.";
    malformed_msg: "The request's parameters could not be read (a parameter may be repeated or too long).", "Die Parameter der Anfrage konnten nicht gelesen werden (ein Parameter ist vielleicht doppelt oder zu lang).";
    bad_logout_title: "Invalid logout URI", "Ungültige Abmeldeadresse";
    bad_logout_msg: "The logout URI is not registered for this application.", "Die Abmeldeadresse ist für diese Anwendung nicht registriert.";
    bad_hint_msg: "The id_token_hint is not valid for this user pool.", "Der id_token_hint ist für diesen Benutzerpool nicht gültig.";
    client_mismatch_msg: "The client_id does not match the id_token_hint.", "Die client_id passt nicht zum id_token_hint.";
    mfa_title: "Two-step verification", "Bestätigung in zwei Schritten";
    email_mfa_on: "Sign-in codes by e-mail are on: a code is e-mailed to you at each sign-in.", "Anmeldecodes per E-Mail sind an: Bei jeder Anmeldung erhalten Sie einen Code per E-Mail.";
    email_mfa_off: "You can also get a sign-in code by e-mail at each sign-in.", "Sie können bei jeder Anmeldung auch einen Code per E-Mail erhalten.";
    email_mfa_enable: "Turn on codes by e-mail", "Codes per E-Mail einschalten";
    email_mfa_disable: "Turn off codes by e-mail", "Codes per E-Mail ausschalten";
    mfa_email_intro: "Enter the 6-digit code we just e-mailed to", "Geben Sie den 6-stelligen Code ein, den wir soeben gesendet haben an";
    mfa_intro: "Enter the 6-digit code from your authenticator app, or one of your recovery codes.", "Geben Sie den 6-stelligen Code aus Ihrer Authenticator-App oder einen Ihrer Wiederherstellungscodes ein.";
    mfa_code: "Code", "Code";
    mfa_verify_button: "Verify", "Bestätigen";
    mfa_remember: "Don’t ask again on this device for this many days:", "Auf diesem Gerät für diese Anzahl Tage nicht mehr fragen:";
    err_mfa_wrong: "That code is not right.", "Dieser Code ist nicht richtig.";
    err_mfa_replayed: "That code was already used. Wait for the next one.", "Dieser Code wurde schon verwendet. Warten Sie auf den nächsten.";
    err_mfa_locked: "Too many wrong codes. Sign in again.", "Zu viele falsche Codes. Melden Sie sich erneut an.";
    setup_title: "Set up your authenticator app", "Authenticator-App einrichten";
    setup_intro: "Scan the QR code with an authenticator app, or type the key into it, then enter the 6-digit code it shows.", "Scannen Sie den QR-Code mit einer Authenticator-App oder geben Sie den Schlüssel ein, und geben Sie dann den angezeigten 6-stelligen Code ein.";
    setup_required: "This account must use two-step verification.", "Für dieses Konto ist die Bestätigung in zwei Schritten vorgeschrieben.";
    setup_key: "Key", "Schlüssel";
    setup_button: "Turn on two-step verification", "Bestätigung in zwei Schritten einschalten";
    recovery_title: "Save your recovery codes", "Wiederherstellungscodes sichern";
    recovery_intro: "Each code works once if you lose your authenticator. Keep them somewhere safe: they are shown only now.", "Jeder Code funktioniert einmal, falls Sie Ihren Authenticator verlieren. Bewahren Sie sie sicher auf: Sie werden nur jetzt angezeigt.";
    recovery_used: "You signed in with a recovery code. Recovery codes left:", "Sie haben sich mit einem Wiederherstellungscode angemeldet. Verbleibende Codes:";
    continue_button: "Continue", "Weiter";
    mfa_on: "On", "Ein";
    mfa_off: "Off", "Aus";
    mfa_setup_link: "Set up two-step verification", "Bestätigung in zwei Schritten einrichten";
    mfa_manage: "Manage two-step verification", "Bestätigung in zwei Schritten verwalten";
    regenerate_button: "New recovery codes", "Neue Wiederherstellungscodes";
    disable_button: "Turn off two-step verification", "Bestätigung in zwei Schritten ausschalten";
    disable_intro: "Enter a current code to turn two-step verification off.", "Geben Sie einen aktuellen Code ein, um die Bestätigung in zwei Schritten auszuschalten.";
    forget_devices_button: "Forget remembered devices", "Gemerkte Geräte vergessen";
    devices_forgotten: "Remembered devices have been forgotten.", "Gemerkte Geräte wurden vergessen.";
    mfa_disabled: "Two-step verification is off.", "Die Bestätigung in zwei Schritten ist ausgeschaltet.";
    mfa_enabled: "Two-step verification is on.", "Die Bestätigung in zwei Schritten ist eingeschaltet.";
    new_password_intro: "Your password was set by an administrator. Choose your own to continue.", "Ihr Passwort wurde von einer Administratorin oder einem Administrator gesetzt. Wählen Sie ein eigenes, um fortzufahren.";
    err_same_password: "Choose a password different from the temporary one.", "Wählen Sie ein anderes Passwort als das vorläufige.";
    logout_needs_client_msg: "A logout redirect needs the application's client_id.", "Eine Weiterleitung nach der Abmeldung benötigt die client_id der Anwendung.";
}

/// The catalogue for a BCP 47 tag (`de`, `de-DE`, …); English when unknown.
pub fn for_tag(tag: &str) -> Option<&'static Tr> {
    let primary = tag
        .trim()
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match primary.as_str() {
        "en" => Some(&EN),
        "de" => Some(&DE),
        _ => None,
    }
}

/// Chooses the language: `ui_locales` of the request, then the user's `locale`, then the
/// browser's `Accept-Language` (in its order; q-values are ignored beyond ordering), then English.
pub fn choose(
    ui_locales: Option<&str>,
    user_locale: Option<&str>,
    accept_language: Option<&str>,
) -> &'static Tr {
    let from_ui = ui_locales.into_iter().flat_map(|s| s.split(' '));
    let from_user = user_locale.into_iter();
    let from_browser = accept_language
        .into_iter()
        .flat_map(|s| s.split(',').map(|p| p.split(';').next().unwrap_or("")));
    from_ui
        .chain(from_user)
        .chain(from_browser)
        .find_map(for_tag)
        .unwrap_or(&EN)
}

/// The best of our `LOCALES` for a browser, to pre-fill the sign-up form.
pub fn suggested_locale(accept_language: Option<&str>) -> &'static str {
    accept_language
        .into_iter()
        .flat_map(|s| {
            s.split(',')
                .map(|p| p.split(';').next().unwrap_or("").trim())
        })
        .find_map(|tag| {
            let primary = tag
                .split(['-', '_'])
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            LOCALES.iter().find(|(c, _)| *c == primary).map(|(c, _)| *c)
        })
        .unwrap_or("en")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_locales_win_then_user_then_browser() {
        assert_eq!(choose(Some("de"), Some("en"), Some("en")).lang, "de");
        assert_eq!(choose(None, Some("de-AT"), Some("en")).lang, "de");
        assert_eq!(choose(Some("xx"), None, Some("fr-FR, de;q=0.8")).lang, "de");
        assert_eq!(choose(None, None, None).lang, "en");
    }

    #[test]
    fn suggested_locale_uses_the_primary_subtag() {
        assert_eq!(suggested_locale(Some("fr-CH, fr;q=0.9")), "fr");
        assert_eq!(suggested_locale(Some("xx")), "en");
    }
}
