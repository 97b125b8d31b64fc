//! Runs the trigger shims' own suites (examples/triggers/test/run.sh: serve.mjs under
//! `node --test`, serve.py under unittest) so that `cargo test` covers the examples too.
//! Without node the test is skipped loudly, except under `./scripts/test.sh`.

use std::path::PathBuf;
use std::process::Command;

use crate::helpers::{on_path, skip_or_fail};

#[test]
fn trigger_shims_serve_unchanged_handlers() {
    if !on_path("node") {
        skip_or_fail(
            "trigger_shims::trigger_shims_serve_unchanged_handlers",
            "node is missing (Debian package nodejs)",
        );
        return;
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/triggers/test/run.sh");
    let out = Command::new("sh").arg(script).output().expect("sh runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "shim tests failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("shim tests passed"), "{stdout}");
    assert!(stdout.contains("# fail 0"), "node --test ran: {stdout}");
}
