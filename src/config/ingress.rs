//! `ingress:` — how outside traffic reaches a workload: path and hosts, TLS, timeouts, rate
//! limit, CORS, auth. The controller (Traefik or HAProxy) comes from `defaults.ingress`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::value::Duration;
use crate::yaml::Spanned;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum PathType {
    Prefix,
    Exact,
    ImplementationSpecific,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ingress {
    /// Default: true when an `ingress:` block is present.
    pub enabled: Option<bool>,
    /// Ingress class; default from the environment's controller.
    pub class: Option<String>,
    pub path: Option<Spanned<String>>,
    pub path_type: Option<PathType>,
    /// Remove `path` before forwarding.
    pub strip_prefix: Option<bool>,
    /// Replace the matched `path` with this before forwarding.
    pub rewrite_target: Option<Spanned<String>>,
    /// Host names; default: the environment's `domain`.
    #[serde(default)]
    pub hosts: Vec<Spanned<String>>,
    /// Which service port receives traffic (name or number); default: the first.
    pub port: Option<Spanned<super::probes::PortRef>>,
    pub tls: Option<IngressTls>,
    pub timeouts: Option<Timeouts>,
    pub rate_limit: Option<RateLimit>,
    pub cors: Option<Cors>,
    pub auth: Option<Auth>,
    /// Extra controller annotations (HAProxy) merged over environment defaults.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// Traefik entry points; default `web`, or `websecure` with TLS.
    #[serde(default)]
    pub entry_points: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngressTls {
    /// Default: the environment's `tls`.
    pub enabled: Option<bool>,
    /// TLS Secret; default the environment's `tls_secret`.
    pub secret: Option<String>,
    /// Traefik certificate resolver (ACME); default the environment's `cert_resolver`.
    pub cert_resolver: Option<String>,
    #[serde(default)]
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    /// `false` turns the block off (as if absent); default true.
    pub enabled: Option<bool>,
    pub connect: Option<Spanned<Duration>>,
    pub server: Option<Spanned<Duration>>,
    pub client: Option<Spanned<Duration>>,
    pub queue: Option<Spanned<Duration>>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// `false` turns the limit off (as if absent); default true.
    pub enabled: Option<bool>,
    /// Required unless the limit is turned off.
    pub requests_per_second: Option<Spanned<u32>>,
    /// Requests allowed above the rate in a burst (Traefik); default the rate.
    pub burst: Option<Spanned<u32>>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cors {
    pub enabled: Option<bool>,
    #[serde(default)]
    pub allow_origins: Vec<String>,
    #[serde(default)]
    pub allow_methods: Vec<String>,
    #[serde(default)]
    pub allow_headers: Vec<String>,
    pub allow_credentials: Option<bool>,
    /// Seconds a preflight result may be cached.
    pub max_age: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuthType {
    /// HTTP basic auth; `secret` holds htpasswd-style `users`.
    Basic,
    /// Forward each request to `address` for a decision.
    Forward,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    /// `false` turns auth off (as if absent); default true.
    pub enabled: Option<bool>,
    /// Required unless auth is turned off.
    #[serde(rename = "type")]
    pub kind: Option<Spanned<AuthType>>,
    pub secret: Option<Spanned<String>>,
    pub realm: Option<String>,
    pub address: Option<Spanned<String>>,
    #[serde(default)]
    pub response_headers: Vec<String>,
}
