//! A bound on how deeply a Python file nests, found by one linear scan before ruff parses it.
//! Nothing here builds a tree or recurses, so no input can exhaust the stack or time.
//!
//! ruff's parser grows its own stack, but the tree it builds is dropped and walked by recursive
//! code: `[[[…]]]` 10,000 deep, `-` repeated 100,000 times or a 100,000-link `a.b.c…` chain
//! would overflow it. The scan estimates the depth of the tree from above: every bracket, block
//! (indentation), f-string, and every operator that nests its operands (`+`, `-`, `.`, `not`,
//! `await`, `lambda`, a conditional `if`, `:=`, a call or subscript) adds one level; `,`, `;`
//! and `=` start a sibling, which resets the count of the level it is on. Comparisons and
//! `and`/`or` are flat in the tree and add nothing. The estimate is never below the real depth.

/// Deeper estimates are refused. CPython itself stops at 200 nested brackets and 100
/// indentation levels; operator chains (`a + b + …` in one expression) add to this.
pub const MAX_PY_DEPTH: usize = 200;

/// Where the scan first went past the limit, and the decorator argument it was in, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooDeep {
    pub offset: usize,
    /// `function.@decorator.argument`, as decorator messages name fields.
    pub field: Option<String>,
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Code: the top level (`closer` 0), inside a bracket, or an f-string's `{…}` field.
    Code {
        closer: u8,
        field: bool,
        count: usize,
    },
    /// A string literal; `f` for f- and t-strings, whose `{…}` fields are code.
    Str { quote: u8, triple: bool, f: bool },
    /// The format spec after `:` in an f-string field: text, with nested `{…}` fields.
    Spec,
}

/// Scans `text`; `None` when it nests no deeper than `limit`.
pub fn check_depth(text: &str, limit: usize) -> Option<TooDeep> {
    Scanner::new(text.as_bytes(), limit).run()
}

struct Scanner<'a> {
    text: &'a [u8],
    limit: usize,
    i: usize,
    modes: Vec<Mode>,
    /// Sum of every `Code` level's count plus open f-strings.
    nested: usize,
    /// Indentation widths of the open blocks (the first is the module's, 0).
    indents: Vec<usize>,
    line_start: bool,
    /// The decorator of the current logical line (`@name(`) and the argument being read.
    decorator: Option<String>,
    argument: Option<String>,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a [u8], limit: usize) -> Scanner<'a> {
        Scanner {
            text,
            limit,
            i: 0,
            modes: vec![Mode::Code {
                closer: 0,
                field: false,
                count: 0,
            }],
            nested: 0,
            indents: vec![0],
            line_start: true,
            decorator: None,
            argument: None,
        }
    }

    fn peek(&self, ahead: usize) -> u8 {
        self.text.get(self.i + ahead).copied().unwrap_or(0)
    }

    fn depth(&self) -> usize {
        self.nested + self.indents.len() - 1
    }

    /// Adds one level to the innermost code level.
    fn deeper(&mut self) -> Result<(), TooDeep> {
        if let Some(Mode::Code { count, .. }) = self.modes.last_mut() {
            *count += 1;
            self.nested += 1;
        }
        self.check()
    }

    fn check(&self) -> Result<(), TooDeep> {
        if self.depth() <= self.limit {
            return Ok(());
        }
        Err(TooDeep {
            offset: self.i,
            field: self.field(),
        })
    }

    fn sibling(&mut self) {
        if let Some(Mode::Code { count, .. }) = self.modes.last_mut() {
            self.nested -= *count;
            *count = 0;
        }
    }

    fn push(&mut self, mode: Mode) -> Result<(), TooDeep> {
        self.modes.push(mode);
        if let Mode::Str { f: true, .. } = mode {
            self.nested += 1;
        }
        self.check()
    }

    fn pop(&mut self) {
        if self.modes.len() == 1 {
            return;
        }
        match self.modes.pop() {
            Some(Mode::Code { count, .. }) => self.nested -= count,
            Some(Mode::Str { f: true, .. }) => self.nested -= 1,
            _ => {}
        }
    }

    fn run(mut self) -> Option<TooDeep> {
        while self.i < self.text.len() {
            let step = match *self.modes.last().expect("the top level stays") {
                Mode::Code { closer, field, .. } => self.code(closer, field),
                Mode::Str { quote, triple, f } => self.string(quote, triple, f),
                Mode::Spec => self.spec(),
            };
            if let Err(too_deep) = step {
                return Some(too_deep);
            }
        }
        None
    }

    fn code(&mut self, closer: u8, field: bool) -> Result<(), TooDeep> {
        if self.line_start && self.modes.len() == 1 {
            return self.indentation();
        }
        let c = self.peek(0);
        match c {
            b'\n' => {
                self.i += 1;
                if self.modes.len() == 1 {
                    self.sibling();
                    self.line_start = true;
                }
            }
            b'\\' if matches!(self.peek(1), b'\n' | b'\r') => self.i += 2,
            b'#' => self.skip_comment(),
            b' ' | b'\t' | b'\r' | b'\x0c' | b'\\' => self.i += 1,
            b'"' | b'\'' => self.open_string(false)?,
            b'(' | b'[' | b'{' => {
                self.deeper()?;
                self.i += 1;
                let closer = match c {
                    b'(' => b')',
                    b'[' => b']',
                    _ => b'}',
                };
                self.push(Mode::Code {
                    closer,
                    field: false,
                    count: 0,
                })?;
            }
            b')' | b']' | b'}' => {
                self.i += 1;
                // A field's `}` leads back into its string or format spec.
                if closer != 0 {
                    self.pop();
                }
            }
            b':' if field && self.peek(1) != b'=' => {
                self.i += 1;
                self.push(Mode::Spec)?;
            }
            b',' | b';' => {
                self.i += 1;
                self.sibling();
                if self.modes.len() == 2 {
                    self.argument = None;
                }
            }
            b'=' if self.peek(1) != b'=' => {
                self.i += 1;
                self.sibling();
            }
            b'=' | b'!' | b'<' | b'>' if self.peek(1) == b'=' => self.i += 2,
            b'<' | b'>' if self.peek(1) == c => {
                self.i += 2;
                self.deeper()?;
            }
            b'<' | b'>' => self.i += 1,
            b'*' | b'/' if self.peek(1) == c => {
                self.i += 2;
                self.deeper()?;
            }
            b'.' if self.peek(1) == b'.' && self.peek(2) == b'.' => self.i += 3,
            b':' if self.peek(1) == b'=' => {
                self.i += 2;
                self.deeper()?;
            }
            b'+' | b'-' | b'*' | b'/' | b'%' | b'@' | b'&' | b'|' | b'^' | b'~' | b'.' => {
                self.i += 1;
                self.deeper()?;
            }
            b'0'..=b'9' => self.number(),
            _ if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 => self.word()?,
            _ => self.i += 1,
        }
        Ok(())
    }

    /// At the start of a line outside brackets: its indentation opens or closes blocks.
    fn indentation(&mut self) -> Result<(), TooDeep> {
        let mut width = 0;
        while let c @ (b' ' | b'\t' | b'\x0c') = self.peek(0) {
            width = if c == b'\t' {
                (width / 8 + 1) * 8
            } else {
                width + 1
            };
            self.i += 1;
        }
        if matches!(self.peek(0), b'\n' | b'\r' | b'#' | 0) {
            // Blank and comment-only lines do not count.
            self.line_start = self.peek(0) != b'#';
            if self.peek(0) == b'#' {
                self.skip_comment();
                self.line_start = true;
            } else {
                self.i += 1;
            }
            return Ok(());
        }
        self.line_start = false;
        self.decorator = None;
        self.argument = None;
        while self.indents.len() > 1 && width < *self.indents.last().expect("non-empty") {
            self.indents.pop();
        }
        if width > *self.indents.last().expect("non-empty") {
            self.indents.push(width);
        }
        if self.peek(0) == b'@' {
            self.i += 1;
            // Only noted: its dots are counted as the scan goes on.
            self.decorator = Some(self.dotted_name());
        }
        self.check()
    }

    fn skip_comment(&mut self) {
        while !matches!(self.peek(0), b'\n' | 0) {
            self.i += 1;
        }
    }

    fn number(&mut self) {
        while self.peek(0).is_ascii_alphanumeric() || matches!(self.peek(0), b'_' | b'.') {
            if matches!(self.peek(0), b'e' | b'E') && matches!(self.peek(1), b'+' | b'-') {
                self.i += 1;
            }
            self.i += 1;
        }
    }

    fn word_end(&self, from: usize) -> usize {
        let mut end = from;
        while let Some(&c) = self.text.get(end) {
            if c == b'_' || c.is_ascii_alphanumeric() || c >= 0x80 {
                end += 1;
            } else {
                break;
            }
        }
        end
    }

    fn word(&mut self) -> Result<(), TooDeep> {
        let start = self.i;
        let end = self.word_end(start);
        let word = &self.text[start..end];
        let is_prefix = word.len() <= 2
            && word
                .iter()
                .all(|c| matches!(c.to_ascii_lowercase(), b'r' | b'b' | b'u' | b'f' | b't'));
        if is_prefix && matches!(self.text.get(end), Some(b'"' | b'\'')) {
            self.i = end;
            let f = word
                .iter()
                .any(|c| matches!(c.to_ascii_lowercase(), b'f' | b't'));
            return self.open_string(f);
        }
        self.i = end;
        match word {
            b"not" | b"await" | b"lambda" | b"if" | b"yield" => self.deeper()?,
            _ if self.modes.len() == 2 && self.decorator.is_some() => {
                let mut after = end;
                while matches!(self.text.get(after), Some(b' ' | b'\t')) {
                    after += 1;
                }
                if self.text.get(after) == Some(&b'=') && self.text.get(after + 1) != Some(&b'=') {
                    self.argument = Some(String::from_utf8_lossy(word).into_owned());
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The dotted name at the scan's position (the scan does not move).
    fn dotted_name(&self) -> String {
        let mut end = self.i;
        loop {
            end = self.word_end(end);
            if self.text.get(end) == Some(&b'.') && end - self.i < 200 {
                end += 1;
            } else {
                break;
            }
        }
        String::from_utf8_lossy(&self.text[self.i..end]).into_owned()
    }

    fn open_string(&mut self, f: bool) -> Result<(), TooDeep> {
        let quote = self.peek(0);
        let triple = self.peek(1) == quote && self.peek(2) == quote;
        self.i += if triple { 3 } else { 1 };
        self.push(Mode::Str { quote, triple, f })
    }

    fn string(&mut self, quote: u8, triple: bool, f: bool) -> Result<(), TooDeep> {
        let c = self.peek(0);
        match c {
            b'\\' => self.i += 2,
            b'\n' if !triple => {
                // Unterminated: ruff reports it; the scan goes on as if it ended.
                self.pop();
            }
            _ if c == quote => {
                if !triple {
                    self.i += 1;
                    self.pop();
                } else if self.peek(1) == quote && self.peek(2) == quote {
                    self.i += 3;
                    self.pop();
                } else {
                    self.i += 1;
                }
            }
            b'{' | b'}' if f && self.peek(1) == c => self.i += 2,
            b'{' if f => {
                self.i += 1;
                self.open_field()?;
            }
            _ => self.i += 1,
        }
        Ok(())
    }

    fn open_field(&mut self) -> Result<(), TooDeep> {
        self.nested += 1;
        self.modes.push(Mode::Code {
            closer: b'}',
            field: true,
            count: 1,
        });
        self.check()
    }

    fn spec(&mut self) -> Result<(), TooDeep> {
        match self.peek(0) {
            b'}' => {
                self.i += 1;
                // The spec, then the field it ends.
                self.pop();
                self.pop();
            }
            b'{' => {
                self.i += 1;
                self.open_field()?;
            }
            b'\n' => {
                self.pop();
            }
            _ => self.i += 1,
        }
        Ok(())
    }

    /// `function.@decorator.argument` when the scan stopped inside a decorator's argument.
    fn field(&self) -> Option<String> {
        let decorator = self.decorator.as_ref()?;
        let short = decorator.rsplit('.').next().unwrap_or(decorator);
        let function = self.next_function()?;
        Some(match &self.argument {
            Some(argument) => format!("{function}.@{short}.{argument}"),
            None => format!("{function}.@{short}"),
        })
    }

    /// The name after the next `def` that starts a line (the decorated function's).
    fn next_function(&self) -> Option<String> {
        let mut at = self.i;
        while let Some(found) = find(&self.text[at..], b"def ") {
            let start = at + found;
            let line_start = self.text[..start]
                .iter()
                .rposition(|&c| c == b'\n')
                .map_or(0, |p| p + 1);
            let before = &self.text[line_start..start];
            let before = before
                .strip_suffix(b"async ")
                .unwrap_or(before)
                .iter()
                .all(|c| matches!(c, b' ' | b'\t'));
            let name_start = start + 4;
            let name_end = self.word_end(name_start);
            if before && name_end > name_start {
                return Some(
                    String::from_utf8_lossy(&self.text[name_start..name_end]).into_owned(),
                );
            }
            at = start + 4;
        }
        None
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(text: &str, limit: usize) -> bool {
        check_depth(text, limit).is_none()
    }

    #[test]
    fn real_code_is_shallow() {
        let text = "import os\n\n@serverless(memory=\"256Mi\", env={\"A\": [1, 2, (3, 4)]})\n\
                    @http_trigger(path=\"/x\")\nasync def f(request):\n    if request:\n        \
                    return {\"a\": f\"{request.query['x']!r:>{width}}\", 'b': -1 + 2 * 3}\n    \
                    return [x for x in range(10) if x % 2]\n";
        assert!(depth_ok(text, 20));
        // A flat list of many elements is not deep.
        let list = format!("X = [{}]\n", vec!["-1 + 2"; 10_000].join(", "));
        assert!(depth_ok(&list, 10));
    }

    #[test]
    fn brackets_blocks_and_operator_chains_count() {
        let nested = |n: usize| format!("x = {}1{}\n", "[".repeat(n), "]".repeat(n));
        assert!(depth_ok(&nested(40), 45));
        assert!(!depth_ok(&nested(50), 45));
        assert!(!depth_ok(&format!("x = 1{}\n", "+1".repeat(100)), 50));
        assert!(!depth_ok(&format!("x = a{}\n", ".b".repeat(100)), 50));
        assert!(!depth_ok(&format!("x = {}1\n", "not ".repeat(100)), 50));
        assert!(!depth_ok(&format!("x = f{}\n", "()".repeat(100)), 50));
        let mut blocks = String::new();
        for i in 0..60 {
            blocks.push_str(&" ".repeat(i));
            blocks.push_str("if x:\n");
        }
        assert!(!depth_ok(&blocks, 50));
    }

    #[test]
    fn strings_hide_brackets_and_f_string_fields_show_them() {
        assert!(depth_ok(&format!("x = '{}'\n", "[".repeat(1000)), 5));
        assert!(depth_ok(
            &format!("x = \"\"\"{}\n\"\"\"\n", "(".repeat(1000)),
            5
        ));
        assert!(depth_ok(&format!("# {}\nx = 1\n", "{".repeat(1000)), 5));
        assert!(depth_ok(&format!("x = f'{}'\n", "{{".repeat(1000)), 5));
        let deep_field = format!("x = f'{{{}1{}}}'\n", "[".repeat(100), "]".repeat(100));
        assert!(!depth_ok(&deep_field, 50));
    }

    #[test]
    fn the_place_and_the_decorator_argument_are_named() {
        let text = format!(
            "@k3sfn.serverless(cpu=\"1\", memory={}{})\nasync def hello(r):\n    pass\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        let too_deep = check_depth(&text, MAX_PY_DEPTH).unwrap();
        assert_eq!(too_deep.field.as_deref(), Some("hello.@serverless.memory"));
        assert_eq!(
            too_deep.offset,
            "@k3sfn.serverless(cpu=\"1\", memory=".len() + 198
        );
    }
}
