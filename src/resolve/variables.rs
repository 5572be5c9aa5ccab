//! Where `${VAR}` values come from for one environment, highest first: `--set`, the process
//! environment, `environments.<env>.variables`, then the env files (a later file wins).

use std::collections::BTreeMap;
use std::path::Path;

use crate::config::EnvironmentSettings;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, SourceFile, display_path};
use crate::dotenv::parse_literal;
use crate::interpolate::{Syntax, interpolate};
use crate::yaml::{Node, Value};

/// Variable values given from outside apps.yaml.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// `--set VAR=value`.
    pub set: BTreeMap<String, String>,
    /// The process environment (a snapshot, so tests can supply their own).
    pub process_env: BTreeMap<String, String>,
}

impl Inputs {
    /// `--set` values plus the real process environment.
    pub fn from_process(set: BTreeMap<String, String>) -> Inputs {
        Inputs {
            set,
            process_env: std::env::vars().collect(),
        }
    }
}

impl Inputs {
    /// `--set` over the process environment: what the caller gives from outside.
    pub fn given(&self) -> BTreeMap<String, String> {
        let mut values = self.process_env.clone();
        values.extend(self.set.clone());
        values
    }
}

/// All values visible to one environment, merged by precedence.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    values: BTreeMap<String, String>,
    /// `environments.<env>.variables` over its env files: what apps.yaml gives, below the
    /// command line and the process environment.
    declared: BTreeMap<String, String>,
    /// `--set` over the process environment.
    given: BTreeMap<String, String>,
}

impl Variables {
    pub fn for_environment(
        inputs: &Inputs,
        settings: &EnvironmentSettings,
        dir: &Path,
        d: &mut Diagnostics,
    ) -> Variables {
        let mut values = BTreeMap::new();
        for file in &settings.env_files {
            let path = dir.join(&file.value);
            crate::reads::record(&path);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let id = SourceFile::register(display_path(&path), text);
                    match parse_literal(id) {
                        Ok(entries) => values.extend(
                            entries
                                .into_iter()
                                .filter_map(|e| e.value.map(|v| (e.key, v))),
                        ),
                        Err(errors) => d.extend(errors),
                    }
                }
                Err(e) => d.push(
                    Diagnostic::error(
                        Code::MissingFile,
                        format!(
                            "cannot read env file {}: {e}",
                            display_path(&path).display()
                        ),
                    )
                    .at(file.span),
                ),
            }
        }
        values.extend(settings.variables.clone());
        let declared = values.clone();
        let given = inputs.given();
        values.extend(given.clone());
        Variables {
            values,
            declared,
            given,
        }
    }

    /// Only what comes from outside: for commands without apps.yaml (`k3s compose convert`).
    pub fn from_inputs(inputs: &Inputs) -> Variables {
        let given = inputs.given();
        Variables {
            values: given.clone(),
            declared: BTreeMap::new(),
            given,
        }
    }

    /// The variables a compose project of this environment is interpolated with: these, with
    /// the compose entry's own `variables` between what apps.yaml declares for the environment
    /// and what comes from outside (`--set`, the process environment), which wins.
    pub fn for_compose(&self, entry: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut values = self.declared.clone();
        values.extend(entry.clone());
        values.extend(self.given.clone());
        values
    }

    pub fn get(&self, name: &str) -> Option<String> {
        self.values.get(name).cloned()
    }

    /// Expands `${...}` in every scalar value below `node` (keys are left alone), reporting
    /// each failure at its scalar with the field path under `root`.
    pub fn interpolate_tree(&self, node: &mut Node, root: &str, d: &mut Diagnostics) {
        let mut field = root.to_string();
        self.interpolate_node(node, &mut field, d);
    }

    fn interpolate_node(&self, node: &mut Node, field: &mut String, d: &mut Diagnostics) {
        let span = node.span;
        match &mut node.value {
            Value::Scalar(scalar) => {
                if !scalar.text.contains('$') {
                    return;
                }
                let lookup = |name: &str| self.get(name);
                match interpolate(&scalar.text, Syntax::Braced, &lookup) {
                    Ok(text) => scalar.text = text,
                    Err(e) => d.push(
                        Diagnostic::error(Code::UnsetVariable, e.to_string())
                            .at(span)
                            .field(field.clone())
                            .help(
                                "set it with `--set NAME=value`, in the environment, in \
                                 `environments.<env>.variables`, or give a default: \
                                 `${NAME:-default}`",
                            ),
                    ),
                }
            }
            Value::Seq(items) => {
                for (index, item) in items.iter_mut().enumerate() {
                    let len = field.len();
                    field.push_str(&format!("[{index}]"));
                    self.interpolate_node(item, field, d);
                    field.truncate(len);
                }
            }
            Value::Map(entries) => {
                for (key, value) in entries.iter_mut() {
                    let len = field.len();
                    if !field.is_empty() {
                        field.push('.');
                    }
                    field.push_str(key.as_str().unwrap_or_default());
                    self.interpolate_node(value, field, d);
                    field.truncate(len);
                }
            }
        }
    }
}
