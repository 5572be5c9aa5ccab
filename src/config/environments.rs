//! `environments:` — the declared environments and their settings (domain, TLS, variables).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::yaml::Spanned;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSettings {
    /// Host of ingress routes that name none.
    pub domain: Option<Spanned<String>>,
    /// Serve ingress routes over HTTPS.
    pub tls: Option<bool>,
    /// TLS Secret for ingress routes.
    pub tls_secret: Option<String>,
    /// Traefik ACME certificate resolver, instead of a TLS Secret.
    pub cert_resolver: Option<String>,
    /// `true`: every workload's main container gets `K3S_DEBUG=true` (unless it sets that
    /// variable itself), for images that turn on their debug output from it.
    pub debug: Option<bool>,
    /// Values for `${VAR}` in this environment (below `--set` and the process environment).
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// dotenv files with more values, relative to apps.yaml (lowest precedence).
    #[serde(default)]
    pub env_files: Vec<Spanned<String>>,
    /// Ingress controller namespace NetworkPolicies admit (default: `kube-system` for Traefik,
    /// `haproxy-controller` for HAProxy).
    pub ingress_namespace: Option<String>,
    /// `imagePullPolicy` of built images (default `IfNotPresent`).
    pub image_pull_policy: Option<String>,
}
