//! dotenv files (`KEY=value` lines), as apps.yaml `env_files` and compose `.env`/`env_file` use
//! them: comments, `export`, single quotes (literal) and double quotes (with escapes).

use crate::diagnostic::{Diagnostic, FileId, Span};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotenvEntry {
    pub key: String,
    /// `None` for a bare `KEY` line (take the value from elsewhere, as compose does).
    pub value: Option<String>,
    pub span: Span,
}

/// Parses a registered dotenv file. Every malformed line is reported.
pub fn parse_dotenv(file: FileId) -> Result<Vec<DotenvEntry>, Vec<Diagnostic>> {
    let source = file.source();
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut offset = 0;
    for raw_line in source.text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw_line.len();
        let line = raw_line.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let span = Span::new(file, line_start + indent, line_start + line.len());
        match parse_line(trimmed) {
            Ok((key, value)) => entries.push(DotenvEntry { key, value, span }),
            Err(message) => errors.push(Diagnostic::error("dotenv-syntax", message).at(span)),
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors)
    }
}

fn parse_line(line: &str) -> Result<(String, Option<String>), String> {
    let line = line.strip_prefix("export ").map_or(line, str::trim_start);
    let (key, value) = match line.split_once('=') {
        Some((key, value)) => (key.trim(), Some(value)),
        None => (line.trim(), None),
    };
    let valid_key = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !valid_key {
        return Err(format!(
            "invalid variable name `{key}` (expected KEY=value)"
        ));
    }
    let value = match value {
        None => None,
        Some(value) => Some(parse_value(value.trim_start())?),
    };
    Ok((key.to_string(), value))
}

fn parse_value(value: &str) -> Result<String, String> {
    if let Some(rest) = value.strip_prefix('\'') {
        let end = rest
            .find('\'')
            .ok_or_else(|| "unterminated single quote".to_string())?;
        return Ok(rest[..end].to_string());
    }
    if let Some(rest) = value.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Ok(out),
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some(other) => out.push(other),
                    None => break,
                },
                other => out.push(other),
            }
        }
        return Err("unterminated double quote".to_string());
    }
    // Unquoted: an inline comment starts at " #".
    let value = match value.find(" #") {
        Some(index) => &value[..index],
        None => value,
    };
    Ok(value.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceFile;

    fn parse(text: &str) -> Result<Vec<(String, Option<String>)>, Vec<Diagnostic>> {
        let file = SourceFile::register("t.env", text.to_string());
        parse_dotenv(file).map(|entries| entries.into_iter().map(|e| (e.key, e.value)).collect())
    }

    #[test]
    fn reads_the_usual_forms() {
        let entries = parse(
            "# comment\nA=1\nexport B = two words # note\nC='single #x'\nD=\"a\\nb\"\nE=\nF\n",
        )
        .unwrap();
        let expected = [
            ("A", Some("1")),
            ("B", Some("two words")),
            ("C", Some("single #x")),
            ("D", Some("a\nb")),
            ("E", Some("")),
            ("F", None),
        ];
        assert_eq!(entries.len(), expected.len());
        for ((key, value), (k, v)) in entries.iter().zip(expected) {
            assert_eq!((key.as_str(), value.as_deref()), (k, v));
        }
    }

    #[test]
    fn malformed_lines_are_located() {
        let errors = parse("OK=1\nBAD KEY=2\nQ='open\n").unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].span.unwrap().location(), "t.env:2:1");
        assert_eq!(errors[1].span.unwrap().location(), "t.env:3:1");
    }
}
