//! One file per action; `routes.rs` holds the table.

pub mod admin;
pub mod associate_software_token;
pub mod change_password;
pub mod confirm_forgot_password;
pub mod confirm_sign_up;
pub mod control;
pub mod delete_user;
pub mod forgot_password;
pub mod get_tokens_from_refresh_token;
pub mod get_user;
pub mod get_user_attribute_verification_code;
pub mod global_sign_out;
pub mod initiate_auth;
pub mod resend_confirmation_code;
pub mod respond_to_auth_challenge;
pub mod revoke_token;
pub mod set_user_mfa_preference;
pub mod sign_up;
pub mod update_auth_event_feedback;
pub mod update_user_attributes;
pub mod verify_software_token;
pub mod verify_user_attribute;
