//! What an admin verb prints: one JSON value with `--json`, or the same thing as text; and
//! the small text formatters the verbs share.

use serde_json::Value;

/// What a verb prints: one JSON value, or the same thing as text.
pub(super) struct Output {
    pub(super) json: Value,
    pub(super) text: String,
}

impl Output {
    /// Nothing to print (the verb wrote its result to stdout itself).
    pub(super) fn nothing() -> Output {
        Output {
            json: Value::Null,
            text: String::new(),
        }
    }

    /// Prints exactly one JSON value (object or array), or the text ending in a newline.
    pub(super) fn print(self, json: bool) -> Result<(), String> {
        if self.json.is_null() && self.text.is_empty() {
            return Ok(());
        }
        if json {
            let text = serde_json::to_string_pretty(&self.json)
                .map_err(|e| format!("cannot encode the output: {e}"))?;
            println!("{text}");
        } else {
            print!("{}", self.text);
            if !self.text.ends_with('\n') {
                println!();
            }
        }
        Ok(())
    }
}

/// The serde spelling of a unit enum value (e.g. `cognito-default`).
pub(super) fn json_word<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

pub(super) fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".into()
    } else {
        items.join(", ")
    }
}
