//! Passwords known from breaches, refused as new passwords (sign-up, reset, change, admin set,
//! import of plaintext, migration: every path goes through `password::check_policy`).
//!
//! Two sources, both searched without loading anything whole:
//! - a list shipped in the binary (`data/breached-passwords.bin`, ~148,000 passwords from the
//!   NCSC's Have-I-Been-Pwned top 100,000 and Xato's top 100,000): the sorted first 8 bytes of
//!   each password's SHA-1, binary-searched in place (false positives ~1 in 10^14);
//! - optionally, the operator's full Pwned Passwords file (`breached_passwords_file`: lines
//!   `SHA1HEX:COUNT`, sorted by hash, as `haveibeenpwned-downloader` writes it with
//!   `-s false`), binary-searched on disk with positioned reads (tens of GB are fine).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use sha1::{Digest, Sha1};

static SHIPPED: &[u8] = include_bytes!("../../data/breached-passwords.bin");

/// The operator's file, when configured (set once at start-up).
static FILE: OnceLock<PwnedFile> = OnceLock::new();

/// Uses the Pwned Passwords file at `path` as well (server start, CLI). Fails when the file
/// cannot be opened or does not look like one.
pub fn configure(path: &Path) -> Result<(), String> {
    let file = PwnedFile::open(path)?;
    // A second configuration (tests starting several servers) keeps the first.
    let _ = FILE.set(file);
    Ok(())
}

/// Whether `password` is known from a breach.
pub fn is_breached(password: &str) -> bool {
    let digest: [u8; 20] = Sha1::digest(password.as_bytes()).into();
    in_shipped_list(&digest) || FILE.get().is_some_and(|f| f.contains(&digest))
}

fn in_shipped_list(digest: &[u8; 20]) -> bool {
    let key = &digest[..8];
    let entries = SHIPPED.len() / 8;
    let (mut lo, mut hi) = (0, entries);
    while lo < hi {
        let mid = (lo + hi) / 2;
        match SHIPPED[mid * 8..mid * 8 + 8].cmp(key) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// A Pwned Passwords SHA-1 file on disk: `HASH:COUNT` lines sorted by hash.
struct PwnedFile {
    file: File,
    len: u64,
    path: PathBuf,
}

/// Longest line read: 40 hex digits, `:`, a count, CR LF.
const MAX_LINE: usize = 64;

impl PwnedFile {
    fn open(path: &Path) -> Result<PwnedFile, String> {
        let shown = path.display();
        let file = File::open(path).map_err(|e| format!("{shown}: {e}"))?;
        let len = file.metadata().map_err(|e| format!("{shown}: {e}"))?.len();
        let f = PwnedFile {
            file,
            len,
            path: path.to_path_buf(),
        };
        match f.line_at(0) {
            Some((_, line)) if parse_hash(&line).is_some() => Ok(f),
            _ => Err(format!(
                "{shown}: not a Pwned Passwords SHA-1 file (lines HASH:COUNT sorted by hash)"
            )),
        }
    }

    fn contains(&self, digest: &[u8; 20]) -> bool {
        let wanted = hex::encode_upper(digest);
        // Binary search over byte offsets: each probe reads the first whole line at or after
        // the offset.
        let (mut lo, mut hi) = (0u64, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let Some((start, line)) = self.first_line_from(mid) else {
                hi = mid;
                continue;
            };
            let Some(hash) = parse_hash(&line) else {
                tracing::warn!(path = %self.path.display(), offset = start, "breached_passwords_file: unreadable line");
                return false;
            };
            match hash.cmp(wanted.as_str()) {
                std::cmp::Ordering::Equal => return true,
                std::cmp::Ordering::Less => lo = start + line.len() as u64 + 1,
                std::cmp::Ordering::Greater => hi = mid,
            }
        }
        false
    }

    /// The first whole line starting at or after `offset` (`offset` itself when it is 0 or
    /// follows a newline), with its start.
    fn first_line_from(&self, offset: u64) -> Option<(u64, String)> {
        if offset == 0 {
            return self.line_at(0);
        }
        let mut buf = [0u8; MAX_LINE * 2];
        let start = offset - 1;
        let n = self.file.read_at(&mut buf, start).ok()?;
        let newline = buf[..n].iter().position(|&b| b == b'\n')?;
        self.line_at(start + newline as u64 + 1)
    }

    fn line_at(&self, start: u64) -> Option<(u64, String)> {
        if start >= self.len {
            return None;
        }
        let mut buf = [0u8; MAX_LINE];
        let n = self.file.read_at(&mut buf, start).ok()?;
        let end = buf[..n].iter().position(|&b| b == b'\n').unwrap_or(n);
        let line = std::str::from_utf8(&buf[..end])
            .ok()?
            .trim_end_matches('\r');
        Some((start, line.to_string()))
    }
}

/// The upper-case hash of a `HASH:COUNT` line.
fn parse_hash(line: &str) -> Option<&str> {
    let hash = line.split(':').next()?;
    (hash.len() == 40 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_knows_common_passwords_only() {
        assert!(SHIPPED.len() / 8 >= 100_000, "at least 100,000 entries");
        assert!(
            SHIPPED
                .chunks(8)
                .zip(SHIPPED.chunks(8).skip(1))
                .all(|(a, b)| a < b),
            "sorted, distinct"
        );
        for known in [
            "123456",
            "password",
            "qwerty",
            "iloveyou",
            "Password1",
            "letmein",
        ] {
            assert!(is_breached(known), "{known}");
        }
        for fresh in [
            "correct horse battery staple",
            "vN7#q2!pLx9@wZ",
            "PASSWORD-but-not-really-123",
        ] {
            assert!(!is_breached(fresh), "{fresh}");
        }
    }

    #[test]
    fn a_pwned_passwords_file_is_searched_on_disk() {
        let mut lines: Vec<String> = ["hunter2-but-longer", "Tr0ub4dor&3", "zebra-carrot-97"]
            .iter()
            .map(|p| format!("{}:{}", hex::encode_upper(Sha1::digest(p.as_bytes())), 42))
            .collect();
        // Filler lines so that the search takes several probes.
        for i in 0..500u32 {
            let filler = Sha1::digest(format!("filler {i}").as_bytes());
            lines.push(format!("{}:{}", hex::encode_upper(filler), i));
        }
        lines.sort();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pwned.txt");
        std::fs::write(&path, lines.join("\r\n") + "\r\n").unwrap();
        let f = PwnedFile::open(&path).unwrap();
        let has = |p: &str| f.contains(&Sha1::digest(p.as_bytes()).into());
        for p in [
            "hunter2-but-longer",
            "Tr0ub4dor&3",
            "zebra-carrot-97",
            "filler 0",
            "filler 499",
        ] {
            assert!(has(p), "{p}");
        }
        for p in ["not in the file", "hunter2", ""] {
            assert!(!has(p), "{p}");
        }
        // The first and last lines are found too.
        let first = lines[0].split(':').next().unwrap().to_string();
        let last = lines.last().unwrap().split(':').next().unwrap().to_string();
        let digest = |h: &str| -> [u8; 20] { hex::decode(h).unwrap().try_into().unwrap() };
        assert!(f.contains(&digest(&first)) && f.contains(&digest(&last)));
        std::fs::write(&path, "not a hash file\n").unwrap();
        assert!(PwnedFile::open(&path).is_err());
        assert!(PwnedFile::open(&dir.path().join("missing")).is_err());
    }
}
