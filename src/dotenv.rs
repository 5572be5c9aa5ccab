//! dotenv files — compose `.env`/`env_file`, apps.yaml `env_files`, CI tag files: `KEY=VAL`,
//! `export KEY=VAL`, `# comments`, single quotes (literal), double quotes (escapes, may span
//! lines), `${VAR}` expansion when the caller asks. Reads text, not the disk.

use crate::diagnostic::{Code, Diagnostic, FileId, Span};

/// One assignment in an env file, with where its key and value were written.
#[derive(Debug, Clone)]
pub struct DotenvEntry {
    pub key: String,
    /// `None` for a bare `KEY` line: take the value from the environment, if set.
    pub value: Option<String>,
    pub key_span: Span,
    pub value_span: Span,
}

/// How a value is expanded: the text (with `$$` for a literal `$`) and where it was written.
pub type Expand<'a> = dyn FnMut(&str, Span, &[DotenvEntry]) -> String + 'a;

/// Parses a registered env file. Unquoted and double-quoted values go through `expand` (which
/// sees the entries read so far); single-quoted values are literal. `raw` skips quotes and
/// expansion entirely (`format: raw`).
pub fn parse_dotenv(
    file: FileId,
    raw: bool,
    expand: &mut Expand<'_>,
) -> Result<Vec<DotenvEntry>, Vec<Diagnostic>> {
    let source = file.source();
    let text = source.text.as_str();
    let mut entries: Vec<DotenvEntry> = Vec::new();
    let mut errors = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = &text[pos..line_end];
        let indent = line.len() - line.trim_start().len();
        let content = line.trim();
        let start = pos + indent;
        if content.is_empty() || content.starts_with('#') {
            pos = line_end + 1;
            continue;
        }
        let (content, start) = match content.strip_prefix("export ") {
            Some(rest) => {
                let skipped = content.len() - rest.trim_start().len();
                (rest.trim_start(), start + skipped)
            }
            None => (content, start),
        };
        let Some(eq) = content.find('=') else {
            let key = content.trim_end_matches('\r').trim();
            let span = Span::new(file, start, start + key.len());
            if !valid_key(key) {
                errors.push(bad_key(key, span));
            } else {
                entries.push(DotenvEntry {
                    key: key.to_string(),
                    value: None,
                    key_span: span,
                    value_span: span,
                });
            }
            pos = line_end + 1;
            continue;
        };
        let key = content[..eq].trim_end();
        let key_span = Span::new(file, start, start + key.len());
        if !valid_key(key) {
            errors.push(bad_key(key, key_span));
        }
        let value_start = {
            let after = start + eq + 1;
            after + (text[after..line_end].len() - text[after..line_end].trim_start().len())
        };
        let rest = &text[value_start..];
        let (value, value_span, next) = if raw {
            let value = text[value_start..line_end].trim_end();
            (
                value.to_string(),
                Span::new(file, value_start, value_start + value.len()),
                line_end + 1,
            )
        } else if let Some(body) = rest.strip_prefix('\'') {
            match body.find('\'') {
                Some(close) => {
                    let end = value_start + 1 + close + 1;
                    let value = body[..close].to_string();
                    let span = Span::new(file, value_start, end);
                    let next = skip_trailing(text, end, file, &mut errors);
                    (value, span, next)
                }
                None => {
                    errors.push(unterminated(file, value_start, '\''));
                    break;
                }
            }
        } else if let Some(body) = rest.strip_prefix('"') {
            match double_quoted(body) {
                Some((unescaped, consumed)) => {
                    let end = value_start + 1 + consumed;
                    let span = Span::new(file, value_start, end);
                    let value = expand(&unescaped, span, &entries);
                    let next = skip_trailing(text, end, file, &mut errors);
                    (value, span, next)
                }
                None => {
                    errors.push(unterminated(file, value_start, '"'));
                    break;
                }
            }
        } else {
            let line_rest = &text[value_start..line_end];
            let value = strip_inline_comment(line_rest).trim_end();
            let span = Span::new(file, value_start, value_start + value.len());
            (expand(value, span, &entries), span, line_end + 1)
        };
        if valid_key(key) {
            entries.push(DotenvEntry {
                key: key.to_string(),
                value: Some(value),
                key_span,
                value_span,
            });
        }
        pos = next;
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors)
    }
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && !key
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '=' | '"' | '\'' | '$' | '#'))
}

fn bad_key(key: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::DotenvSyntax,
        format!("`{key}` is not a variable name; expected `KEY=VALUE`"),
    )
    .at(span)
}

fn unterminated(file: FileId, at: usize, quote: char) -> Diagnostic {
    Diagnostic::error(
        Code::DotenvSyntax,
        format!("value opened with {quote} is never closed"),
    )
    .at(Span::new(file, at, at + 1))
}

/// The body of a double-quoted value up to its closing quote: escapes resolved (`\$` stays a
/// literal `$`, written `$$` for the expander), and the bytes consumed including the quote.
fn double_quoted(body: &str) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, i + 1)),
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, 't')) => out.push('\t'),
                Some((_, '$')) => out.push_str("$$"),
                Some((_, other @ ('"' | '\\'))) => out.push(other),
                Some((_, other)) => {
                    out.push('\\');
                    out.push(other);
                }
                None => return None,
            },
            '$' if body[i + 1..].starts_with('$') => {
                out.push_str("$$");
                chars.next();
            }
            _ => out.push(c),
        }
    }
    None
}

/// After a closing quote only spaces and a comment may follow (anything else is an error);
/// returns where the next line starts.
fn skip_trailing(text: &str, end: usize, file: FileId, errors: &mut Vec<Diagnostic>) -> usize {
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    let trailing = text[end..line_end].trim();
    if !trailing.is_empty() && !trailing.starts_with('#') {
        errors.push(
            Diagnostic::error(
                Code::DotenvSyntax,
                format!("unexpected `{trailing}` after the closing quote"),
            )
            .at(Span::new(file, end, line_end)),
        );
    }
    line_end + 1
}

/// `value # comment` → `value`; a `#` not preceded by whitespace is part of the value.
fn strip_inline_comment(text: &str) -> &str {
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && i > 0 && bytes[i - 1].is_ascii_whitespace() {
            return &text[..i];
        }
    }
    text
}

/// Parses a registered file without expanding anything: values are taken as written.
pub fn parse_literal(file: FileId) -> Result<Vec<DotenvEntry>, Vec<Diagnostic>> {
    parse_dotenv(
        file,
        false,
        &mut |value: &str, _: Span, _: &[DotenvEntry]| value.to_string(),
    )
}

/// Parses a registered file expanding `${VAR}` and `$VAR` from the entries above (compose's
/// reading of a project's `.env`); an unknown variable expands to nothing.
pub fn parse_expanded(file: FileId) -> Result<Vec<DotenvEntry>, Vec<Diagnostic>> {
    let mut expand = |value: &str, _: Span, seen: &[DotenvEntry]| {
        let lookup = |name: &str| {
            seen.iter()
                .rev()
                .find(|e| e.key == name)
                .and_then(|e| e.value.clone())
        };
        crate::interpolate::interpolate(value, crate::interpolate::Syntax::BracedAndBare, &lookup)
            .unwrap_or_default()
    };
    parse_dotenv(file, false, &mut expand)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceFile;

    fn parse(text: &str) -> Result<Vec<(String, Option<String>)>, Vec<Diagnostic>> {
        let file = SourceFile::register("test.env", text.to_string());
        parse_expanded(file).map(|entries| entries.into_iter().map(|e| (e.key, e.value)).collect())
    }

    #[test]
    fn literal_reading_expands_nothing() {
        let file = SourceFile::register("l.env", "A=1\nB=${A}-$$x\nC=\"q ${A}\"\n".to_string());
        let entries: Vec<_> = parse_literal(file)
            .unwrap()
            .into_iter()
            .map(|e| (e.key, e.value.unwrap()))
            .collect();
        assert_eq!(
            entries,
            [
                ("A".to_string(), "1".to_string()),
                ("B".to_string(), "${A}-$$x".to_string()),
                ("C".to_string(), "q ${A}".to_string()),
            ]
        );
    }

    fn pairs(list: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect()
    }

    #[test]
    fn text_after_a_closing_quote_is_an_error_and_the_next_line_still_reads() {
        let errors = parse("A='one' two\nB=\"x\" # fine\nC=\"y\"z\nD=4").unwrap_err();
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "unexpected `two` after the closing quote",
                "unexpected `z` after the closing quote"
            ]
        );
        let quoted_comment = parse("B=\"x\" # fine\nD=4").unwrap();
        assert_eq!(quoted_comment, pairs(&[("B", Some("x")), ("D", Some("4"))]));
    }

    #[test]
    fn plain_quoted_exported_and_bare_lines() {
        let text = "# comment\nA=1\nexport B = two words # note\nC='lit ${A} $$'\nD=\"x\\ny ${A}\"\nE\nF=a#b\nG=\n";
        assert_eq!(
            parse(text).unwrap(),
            pairs(&[
                ("A", Some("1")),
                ("B", Some("two words")),
                ("C", Some("lit ${A} $$")),
                ("D", Some("x\ny 1")),
                ("E", None),
                ("F", Some("a#b")),
                ("G", Some("")),
            ])
        );
    }

    #[test]
    fn double_quotes_may_span_lines() {
        assert_eq!(
            parse("KEY=\"line1\nline2\"\nNEXT=ok\r\n").unwrap(),
            pairs(&[("KEY", Some("line1\nline2")), ("NEXT", Some("ok"))])
        );
    }

    #[test]
    fn errors_are_located() {
        let errors = parse("A=1\nB=\"open\n").unwrap_err();
        assert_eq!(errors[0].code, Code::DotenvSyntax);
        assert_eq!(errors[0].span.unwrap().location(), "test.env:2:3");
        let errors = parse("A B=1\n").unwrap_err();
        assert_eq!(errors[0].span.unwrap().location(), "test.env:1:1");
    }
}
