//! Reading a source file as text for diagnostics to point into: one place that says where a
//! file stops being UTF-8 (line, column and byte, not just "invalid") and drops a leading
//! byte-order mark, which editors on some systems write and which would otherwise become part
//! of the first key (`\u{feff}FOO=1` in a `.env`). Every file read here is recorded as an
//! input (`crate::reads`).

use std::io;
use std::path::Path;

/// The file's text without a leading BOM; invalid UTF-8 is an `InvalidData` error naming
/// where the first bad byte is.
pub fn read_text(path: &Path) -> io::Result<String> {
    // What k3s reads is what Tilt watches (`build-plan`'s inputs).
    crate::reads::record(path);
    let bytes = std::fs::read(path)?;
    let text = String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        io::Error::new(io::ErrorKind::InvalidData, not_utf8(valid))
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// "not valid UTF-8 at line 5, column 4 (byte 35)", counted over the valid prefix.
fn not_utf8(valid: &[u8]) -> String {
    let text = std::str::from_utf8(valid).unwrap_or_default();
    let line = text.matches('\n').count() + 1;
    let column = text.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
    format!(
        "not valid UTF-8 at line {line}, column {column} (byte {})",
        valid.len()
    )
}

#[cfg(test)]
mod tests {
    use super::read_text;

    #[test]
    fn says_where_utf8_stops_and_drops_a_bom() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.yaml");
        std::fs::write(&bad, b"version: 2\napps:\n  a\xff: {}\n").unwrap();
        let error = read_text(&bad).unwrap_err();
        assert_eq!(
            error.to_string(),
            "not valid UTF-8 at line 3, column 4 (byte 20)"
        );
        let bom = dir.path().join(".env");
        std::fs::write(&bom, "\u{feff}FOO=1\n").unwrap();
        assert_eq!(read_text(&bom).unwrap(), "FOO=1\n");
    }
}
