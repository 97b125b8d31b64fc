-- E-mail one-time codes as a second factor (Cognito's EMAIL_OTP, issue #16): the users who
-- turned it on (SetUserMFAPreference EmailMfaSettings). The codes themselves are email_codes
-- rows of purpose `sign_in`.
CREATE TABLE mfa_email (
    user_id    TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    enabled_at BIGINT NOT NULL
);
