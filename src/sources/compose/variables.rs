//! Variables and their expansion: the caller's (apps.yaml's, `--set`, the process environment,
//! merged by the caller), then `.env`; `${VAR}` in values with unset ones warned about; bare `KEY`s resolved. No file I/O.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{Code, Diagnostic, Span};
use crate::dotenv::DotenvEntry;
use crate::interpolate::{InterpolationError, Syntax, interpolate};
use crate::yaml::{Node, Style};

/// Variable sources, highest precedence first: the caller's, then `.env`.
/// `COMPOSE_PROJECT_NAME` is always the project's name.
#[derive(Debug, Clone, Default)]
pub(super) struct Variables {
    pub(super) layers: Vec<BTreeMap<String, String>>,
    pub(super) project_name: Option<String>,
}

impl Variables {
    pub(super) fn get(&self, name: &str) -> Option<String> {
        if name == "COMPOSE_PROJECT_NAME"
            && let Some(project) = &self.project_name
        {
            return Some(project.clone());
        }
        self.layers.iter().find_map(|l| l.get(name).cloned())
    }

    /// The same variables with another `.env` layer (for an included project).
    pub(super) fn with_dotenv(&self, dotenv: BTreeMap<String, String>) -> Variables {
        let mut vars = self.clone();
        vars.layers[DOTENV_LAYER] = dotenv;
        vars
    }

    /// These variables under the lines an env file has defined so far (which win).
    pub(super) fn under(&self, seen: &[DotenvEntry]) -> Variables {
        let mut vars = self.clone();
        let top = seen
            .iter()
            .filter_map(|e| Some((e.key.clone(), e.value.clone()?)))
            .collect();
        vars.layers.insert(0, top);
        vars
    }
}

pub(super) const DOTENV_LAYER: usize = 1;

/// Null values (a bare `KEY`) take the variable's value, or are left out with a warning.
pub(super) fn resolve_nulls(
    map: &mut Node,
    vars: &Variables,
    field: &str,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(entries) = map.as_map_mut() else {
        return;
    };
    entries.retain_mut(|(key, value)| {
        if !value.is_null() {
            return true;
        }
        let name = key.as_str().unwrap_or_default();
        match vars.get(name) {
            Some(v) => {
                *value = Node::scalar(v, Style::DoubleQuoted, value.span);
                true
            }
            None => {
                diags.push(
                    Diagnostic::warning(
                        Code::UnsetVariable,
                        format!("{what} `{name}` has no value and is not set in the environment; left out"),
                    )
                    .at(key.span)
                    .field(format!("{field}.{name}")),
                );
                false
            }
        }
    });
}

/// Expands variables in every value (never in keys) of a document.
pub(super) fn interpolate_tree(doc: &mut Node, vars: &Variables, diags: &mut Vec<Diagnostic>) {
    doc.for_each_scalar_mut(&mut |scalar, span| {
        if !scalar.text.contains('$') {
            return;
        }
        if let Some(expanded) = expand(&scalar.text, span, vars, diags)
            && expanded != scalar.text
        {
            scalar.text = expanded;
            // The value came from a variable: it is text, never a YAML null.
            if scalar.style == Style::Plain {
                scalar.style = Style::DoubleQuoted;
            }
        }
    });
}

/// Expands one value. An unset `${VAR}` (no default) is a warning and expands to an empty
/// string, as docker compose does; `${VAR:?msg}` and malformed references are errors.
pub(super) fn expand(
    text: &str,
    span: Span,
    vars: &Variables,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let mut empty: BTreeSet<String> = BTreeSet::new();
    loop {
        let lookup = |name: &str| {
            if empty.contains(name) {
                Some(String::new())
            } else {
                vars.get(name)
            }
        };
        match interpolate(text, Syntax::BracedAndBare, &lookup) {
            Ok(value) => return Some(value),
            Err(InterpolationError::Unset { name }) => {
                diags.push(
                    Diagnostic::warning(
                        Code::UnsetVariable,
                        format!("variable `{name}` is not set; using an empty string"),
                    )
                    .at(span)
                    .help(format!(
                        "set `{name}` in `.env` or the environment, or write `${{{name}:-default}}`"
                    )),
                );
                empty.insert(name);
            }
            Err(e @ InterpolationError::Required { .. }) => {
                diags.push(Diagnostic::error(Code::RequiredVariable, e.to_string()).at(span));
                return None;
            }
            Err(e @ InterpolationError::Syntax { .. }) => {
                diags.push(
                    Diagnostic::error(Code::BadInterpolation, e.to_string())
                        .at(span)
                        .help("write `$$` for a literal `$`"),
                );
                return None;
            }
        }
    }
}
