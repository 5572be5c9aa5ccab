//! Minimal ANSI colour for diagnostics (stderr) and `--check -v` diffs (stdout): only on a
//! terminal, never with `NO_COLOR` set (no-color.org) or `TERM=dumb`; `CLICOLOR_FORCE=1`
//! forces it where there is no terminal (CI logs that render colour).

use std::io::IsTerminal;

const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const CYAN: &str = "\x1b[36m";
const GREEN: &str = "\x1b[32m";
const PLAIN_RED: &str = "\x1b[31m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Whether to colour a stream that `is_terminal` says is (or is not) a terminal.
fn enabled(is_terminal: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("NO_COLOR") || std::env::var_os("TERM").is_some_and(|t| t == "dumb") {
        return false;
    }
    is_terminal || std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0")
}

pub fn stderr() -> bool {
    enabled(std::io::stderr().is_terminal())
}

pub fn stdout() -> bool {
    enabled(std::io::stdout().is_terminal())
}

/// Rendered diagnostics with `error`/`warning` headlines and `help` lines coloured.
pub fn diagnostics(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let coloured = [("error:", RED), ("warning:", YELLOW)]
            .iter()
            .find_map(|(word, colour)| {
                let at = if line.starts_with(word) {
                    Some(0)
                } else {
                    line.find(&format!(": {word}")).map(|i| i + 2)
                }?;
                let end = at + word.len();
                Some(format!(
                    "{BOLD}{}{RESET}{colour}{}{RESET}{BOLD}{}{RESET}{}",
                    &line[..at],
                    &line[at..end],
                    line[end..].trim_end_matches('\n'),
                    if line.ends_with('\n') { "\n" } else { "" }
                ))
            });
        match coloured {
            Some(line) => out.push_str(&line),
            None if line.starts_with("  = help:") => {
                out.push_str(&format!("{CYAN}{}{RESET}\n", line.trim_end_matches('\n')));
            }
            None => out.push_str(line),
        }
    }
    out
}

/// A unified diff with added lines green, removed red, hunk headers cyan.
pub fn diff(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let colour = if line.starts_with("+++") || line.starts_with("---") {
            BOLD
        } else if line.starts_with('+') {
            GREEN
        } else if line.starts_with('-') {
            PLAIN_RED
        } else if line.starts_with("@@") {
            CYAN
        } else {
            out.push_str(line);
            continue;
        };
        let body = line.trim_end_matches('\n');
        out.push_str(&format!("{colour}{body}{RESET}"));
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn headlines_help_and_diff_lines_are_coloured_and_the_text_is_kept() {
        let text = "apps.yaml:1:2: error: apps.x: bad\n  |\n  = help: fix it\nwarning: w\n";
        let coloured = super::diagnostics(text);
        assert!(coloured.contains("\x1b[1;31merror:\x1b[0m"));
        assert!(coloured.contains("\x1b[1;33mwarning:\x1b[0m"));
        assert!(coloured.contains("\x1b[36m  = help: fix it\x1b[0m"));
        let strip = |s: &str| {
            let mut out = String::new();
            let mut escape = false;
            for c in s.chars() {
                match (escape, c) {
                    (_, '\x1b') => escape = true,
                    (true, 'm') => escape = false,
                    (true, _) => {}
                    (false, c) => out.push(c),
                }
            }
            out
        };
        assert_eq!(strip(&coloured), text);
        let diff = "--- a\n+++ b\n@@ -1 +1 @@\n-old\n+new\n same\n";
        let coloured = super::diff(diff);
        assert!(coloured.contains("\x1b[32m+new\x1b[0m\n"));
        assert!(coloured.contains("\x1b[31m-old\x1b[0m\n"));
        assert_eq!(strip(&coloured), diff);
    }
}
