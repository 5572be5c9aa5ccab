//! `depends_on:` — entries that must be synced first (Argo CD sync waves).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::yaml::Spanned;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    Helm,
    Serverless,
    Apps,
    Compose,
}

impl Section {
    pub const ALL: [Section; 4] = [
        Section::Helm,
        Section::Serverless,
        Section::Apps,
        Section::Compose,
    ];

    /// The apps.yaml key and the directory name in the generated tree.
    pub fn key(self) -> &'static str {
        match self {
            Section::Helm => "helm",
            Section::Serverless => "serverless",
            Section::Apps => "apps",
            Section::Compose => "compose",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DependencyType {
    /// A `helm:` entry.
    Helm,
    /// A `serverless:` entry.
    Serverless,
    /// An `apps:` entry.
    App,
    /// A `compose:` entry.
    Compose,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    /// Name of the entry this one waits for.
    pub name: Spanned<String>,
    /// Which section the dependency is in; default: wherever the name is found.
    #[serde(rename = "type")]
    pub kind: Option<Spanned<DependencyType>>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncRule {
    /// Local path, relative to the entry's `path`.
    pub src: Spanned<String>,
    /// Path in the container.
    pub dest: String,
}
