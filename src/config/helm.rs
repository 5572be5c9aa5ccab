//! `helm:` entries — third-party charts, deployed as Argo CD Applications with a Helm source.

use schemars::JsonSchema;
use serde::Deserialize;

use super::dependency::Dependency;
use super::value::OneOrMany;
use crate::yaml::Spanned;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HelmEntry {
    /// Entry name (a DNS label, unique across sections); the Application is `helm-<name>`.
    pub name: Spanned<String>,
    /// `repo/chart` with `repo` from `repositories`, or a chart name with `repo:`.
    pub chart: Spanned<String>,
    /// Chart version (the Application's `targetRevision`), e.g. `1.2.3`.
    pub version: Spanned<String>,
    /// Repository URL (https:// or oci://), overriding the `repositories` lookup.
    pub repo: Option<Spanned<String>>,
    /// Namespace the chart is installed into (the Application's destination). Default:
    /// `defaults.namespace`.
    pub namespace: Option<Spanned<String>>,
    /// `false` leaves the chart out of this environment. Default: true.
    pub enabled: Option<bool>,
    /// Read files this entry names outside the project directory (apps.yaml's), after
    /// symlinks; off by default, so that a pull request cannot make k3s read `/etc/passwd`.
    pub allow_outside_project: Option<bool>,
    /// Values file(s) relative to apps.yaml. An environment's own `values` are added after
    /// the base ones, so they win.
    pub values: Option<Spanned<OneOrMany<String>>>,
    /// Helm release name; default the entry name.
    pub release_name: Option<String>,
    /// Create the target namespace on sync (default true).
    pub create_namespace: Option<bool>,
    /// Entries synced first (later Argo CD sync wave for this chart).
    #[serde(default)]
    pub depends_on: Vec<Dependency>,
}
