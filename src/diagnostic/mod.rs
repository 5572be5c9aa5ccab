//! Located problems in user input (apps.yaml, compose files, Python functions, env files) and
//! how they print. Every stage reports through this type; none of them prints on its own.

use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

mod code;
mod read;

pub use code::{Class, Code, codes_markdown};
pub use read::read_text;

/// One input file, kept whole so a diagnostic can show the offending line.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user should read it (relative to the current directory when possible).
    pub path: PathBuf,
    pub text: String,
    line_starts: Vec<usize>,
}

/// Every file read in this process, so that a [`Span`] can be a small `Copy` value.
static FILES: RwLock<Vec<Arc<SourceFile>>> = RwLock::new(Vec::new());

/// Index of a registered [`SourceFile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileId(u32);

impl FileId {
    pub(crate) fn from_raw(raw: u32) -> FileId {
        FileId(raw)
    }

    pub(crate) fn raw(self) -> u32 {
        self.0
    }

    /// The stand-in file for values k3s supplies itself (defaults), so they have a span too.
    pub fn builtin() -> FileId {
        static BUILTIN: std::sync::OnceLock<FileId> = std::sync::OnceLock::new();
        *BUILTIN.get_or_init(|| SourceFile::register("<built-in default>", String::new()))
    }

    pub fn source(self) -> Arc<SourceFile> {
        let files = FILES.read().unwrap_or_else(|e| e.into_inner());
        Arc::clone(&files[self.0 as usize])
    }
}

impl SourceFile {
    /// Keeps the text for diagnostics and returns its id.
    pub fn register(path: impl Into<PathBuf>, text: String) -> FileId {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let file = Arc::new(SourceFile {
            path: path.into(),
            text,
            line_starts,
        });
        let mut files = FILES.write().unwrap_or_else(|e| e.into_inner());
        files.push(file);
        FileId(u32::try_from(files.len() - 1).expect("fewer than 4 billion source files"))
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let column = self.text[start..floor_char_boundary(&self.text, offset)]
            .chars()
            .count();
        (line + 1, column + 1)
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self.line_starts[line - 1];
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A byte range in one registered source file.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        let end = u32::try_from(end).unwrap_or(u32::MAX);
        Span {
            file,
            start,
            end: end.max(start),
        }
    }

    pub fn source(&self) -> Arc<SourceFile> {
        self.file.source()
    }

    pub fn line_col(&self) -> (usize, usize) {
        self.source().line_col(self.start as usize)
    }

    /// The text the span covers.
    pub fn text(&self) -> String {
        let source = self.source();
        source
            .text
            .get(self.start as usize..self.end as usize)
            .unwrap_or("")
            .to_string()
    }

    /// `path:line:col`, the prefix every located message starts with.
    pub fn location(&self) -> String {
        let source = self.source();
        let (line, col) = source.line_col(self.start as usize);
        format!("{}:{}:{}", source.path.display(), line, col)
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.location())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// A problem, where it is, and what it concerns.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable identifier, printed kebab-case (`unknown-key`, `unset-variable`).
    pub code: Code,
    pub message: String,
    pub span: Option<Span>,
    /// Dotted path of the field concerned, e.g. `apps.fastapi.resources.memory`.
    pub field: Option<String>,
    /// Extra locations with a label ("defined here").
    pub labels: Vec<(Span, String)>,
    /// Trailing `help:` lines.
    pub help: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span: None,
            field: None,
            labels: Vec::new(),
            help: Vec::new(),
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, span: Span) -> Diagnostic {
        self.span = Some(span);
        self
    }

    pub fn at_opt(mut self, span: Option<Span>) -> Diagnostic {
        self.span = span;
        self
    }

    pub fn field(mut self, field: impl Into<String>) -> Diagnostic {
        self.field = Some(field.into());
        self
    }

    pub fn label(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.labels.push((span, label.into()));
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help.push(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The one-line headline: `file:line:col: error: field: message`.
    pub fn headline(&self) -> String {
        let mut out = String::new();
        if let Some(span) = &self.span {
            let _ = write!(out, "{}: ", span.location());
        }
        let _ = write!(
            out,
            "{}: ",
            match self.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            }
        );
        if let Some(field) = &self.field {
            let _ = write!(out, "{field}: ");
        }
        out.push_str(&self.message);
        crate::secrets::mask(&out)
    }

    /// Headline, the source line with a caret under the span, labels and help.
    pub fn render(&self) -> String {
        let mut out = self.headline();
        out.push('\n');
        if let Some(span) = &self.span {
            render_snippet(&mut out, *span);
        }
        for (span, label) in &self.labels {
            let _ = writeln!(out, "  {}: {}", span.location(), label);
            render_snippet(&mut out, *span);
        }
        for help in &self.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        // Secret values read from files, `--set` or the environment never reach a terminal or
        // a CI log (the snippet too: a `.env` line can hold one).
        crate::secrets::mask(&out)
    }

    /// The JSON form `validate --output json` prints.
    pub fn to_json(&self) -> serde_json::Value {
        let (file, line, column) = match &self.span {
            Some(span) => {
                let (line, column) = span.line_col();
                (
                    Some(span.source().path.display().to_string()),
                    Some(line),
                    Some(column),
                )
            }
            None => (None, None, None),
        };
        serde_json::json!({
            "severity": self.severity,
            "code": self.code,
            "message": crate::secrets::mask(&self.message),
            "file": file,
            "line": line,
            "column": column,
            "field": self.field,
            "help": self.help.iter().map(|h| crate::secrets::mask(h)).collect::<Vec<_>>(),
        })
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline())
    }
}

/// Widest source excerpt shown; longer lines are cut around the column.
const SNIPPET_WIDTH: usize = 100;

fn render_snippet(out: &mut String, span: Span) {
    let source = span.source();
    let (line, col) = source.line_col(span.start as usize);
    let text: Vec<char> = source.line_text(line).chars().collect();
    let (end_line, end_col) = source.line_col(span.end as usize);
    let width = if end_line == line && end_col > col {
        end_col - col
    } else {
        text.len().saturating_sub(col - 1).max(1)
    };
    // Long lines (minified YAML) are shown as a window around the column.
    let start = (col - 1).saturating_sub(SNIPPET_WIDTH / 2).min(text.len());
    let end = (start + SNIPPET_WIDTH).min(text.len());
    let shown: String = text[start..end].iter().collect();
    let prefix = if start > 0 { "…" } else { "" };
    let suffix = if end < text.len() { "…" } else { "" };
    let caret_at = col - 1 - start + prefix.chars().count();
    let caret_width = width.min(SNIPPET_WIDTH.saturating_sub(caret_at).max(1));
    let gutter = line.to_string().len();
    let _ = writeln!(out, "{:>gutter$} |", "");
    let _ = writeln!(out, "{line} | {prefix}{shown}{suffix}");
    let _ = writeln!(
        out,
        "{:>gutter$} | {}{}",
        "",
        " ".repeat(caret_at),
        "^".repeat(caret_width)
    );
}

/// Everything found wrong in one run, in the order found.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The exit code these diagnostics call for, decided by the class of their codes (the one
    /// place that maps problems to exit codes): 0 without errors, else the highest of the
    /// errors' classes (an unreadable file is 2 even beside invalid input).
    pub fn exit_code(&self) -> u8 {
        self.items
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code.class().exit_code())
            .max()
            .unwrap_or(0)
    }

    /// Errors first, then warnings, each in file and position order; identical ones once.
    pub fn sorted(mut self) -> Diagnostics {
        self.items.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| position_key(a).cmp(&position_key(b)))
        });
        self.items
            .dedup_by(|a, b| a.headline() == b.headline() && a.severity == b.severity);
        self
    }

    pub fn render(&self) -> String {
        self.items.iter().map(Diagnostic::render).collect()
    }
}

fn position_key(d: &Diagnostic) -> (PathBuf, u32) {
    match &d.span {
        Some(span) => (span.source().path.clone(), span.start),
        None => (PathBuf::new(), 0),
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// The error a stage returns when the input is invalid: every diagnostic it found.
#[derive(Debug)]
pub struct InvalidInput(pub Diagnostics);

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.error_count();
        write!(
            f,
            "{}{n} error{} found",
            self.0.render(),
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for InvalidInput {}

/// The closest candidate within a small edit distance, for "did you mean" hints.
pub fn did_you_mean<'a>(
    given: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| {
            let distance = if c.eq_ignore_ascii_case(given) {
                1
            } else {
                strsim::damerau_levenshtein(given, c)
            };
            (distance, c)
        })
        .filter(|(distance, c)| *distance <= (c.len().max(given.len()) / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// A path shown relative to the current directory when it lies below it.
pub fn display_path(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_and_in_characters() {
        let file = FileId::source(SourceFile::register("a.yaml", "a: 1\nbé: x\n".to_string()));
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_col(5), (2, 1));
        // 'x' comes after 'b', 'é' (2 bytes), ':' and ' '.
        assert_eq!(file.line_col(10), (2, 5));
        assert_eq!(file.line_text(2), "bé: x");
    }

    #[test]
    fn render_points_at_the_span() {
        let file = SourceFile::register("apps.yaml", "apps:\n  - replics: 2\n".to_string());
        let d = Diagnostic::error(Code::UnknownKey, "unknown key `replics`")
            .at(Span::new(file, 10, 17))
            .field("apps[0]")
            .help("did you mean `replicas`?");
        assert_eq!(
            d.render(),
            "apps.yaml:2:5: error: apps[0]: unknown key `replics`\n  |\n2 |   - replics: 2\n  |     ^^^^^^^\n  = help: did you mean `replicas`?\n"
        );
    }

    #[test]
    fn did_you_mean_picks_a_close_candidate_only() {
        assert_eq!(
            did_you_mean("replics", ["replicas", "resources"]),
            Some("replicas")
        );
        assert_eq!(did_you_mean("zzz", ["replicas", "resources"]), None);
    }
}
