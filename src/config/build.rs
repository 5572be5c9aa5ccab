//! `build:` — how a workload's image is built and tagged (Dockerfile, context, target, args).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::yaml::Spanned;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Build {
    /// Relative to `context`; default `Dockerfile`.
    pub dockerfile: Option<Spanned<String>>,
    /// Used instead of `dockerfile` in the `dev` environment (hot reload).
    pub dockerfile_dev: Option<Spanned<String>>,
    /// Relative to the entry's `path`; default `.`.
    pub context: Option<Spanned<String>>,
    /// Multi-stage target.
    pub target: Option<String>,
    /// Docker build arguments (`--build-arg NAME=VALUE`), listed in `k3s build-plan`.
    #[serde(default)]
    pub args: BTreeMap<String, String>,
    /// Image name without registry or tag; default: the entry name.
    pub image: Option<Spanned<String>>,
    /// Image tag (or `@sha256:` digest); default `latest`.
    pub tag: Option<Spanned<String>>,
    /// Functions: the runtime package and command the generated Dockerfile installs and runs.
    pub runtime: Option<Runtime>,
    /// Functions: a minijinja template replacing the built-in Dockerfile template.
    pub dockerfile_template: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Runtime {
    /// A pip requirement installed instead of the k3sfn runtime k3s carries into the image
    /// (runtime/python/k3sfn and its pinned requirements are then left out), e.g.
    /// `k3sfn==0.1.0` from your own index. Default: the carried runtime.
    pub package: Option<String>,
    /// The command that serves a function, e.g. `["python", "-m", "k3sfn.runtime"]`.
    #[serde(default)]
    pub command: Vec<String>,
    /// Base image, e.g. `python:3.12-slim`.
    pub base_image: Option<String>,
}
