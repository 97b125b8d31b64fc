//! Runs the JavaScript tests in `tests/js/` (amazon-cognito-identity-js v6 and Amplify v6,
//! installed with `npm ci` there) against the compiled server binary. Without
//! node or `tests/js/node_modules` the test is skipped loudly (`helpers::skip_or_fail`), except
//! under `./scripts/test.sh`, where it fails.

use std::path::PathBuf;
use std::process::Command;

use crate::helpers::skip_or_fail;

#[test]
fn real_cognito_client_libraries() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    if let Some(reason) = crate::helpers::js_libraries_missing() {
        skip_or_fail("cognito_js::real_cognito_client_libraries", reason);
        return;
    }
    let out = Command::new("node")
        .args(["--test", "--test-concurrency=1"])
        .current_dir(&dir)
        .env("INCOGNITO_BIN", env!("CARGO_BIN_EXE_incognito"))
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "node --test failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("# fail 0"), "{stdout}");
}
