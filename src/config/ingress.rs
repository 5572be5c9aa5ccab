//! `ingress:` — how outside traffic reaches a workload: path and hosts, TLS, timeouts, rate
//! limit, CORS, auth. The controller (Traefik or HAProxy) comes from `defaults.ingress`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::value::Duration;
use crate::yaml::Spanned;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum PathType {
    /// Matches the path and everything below it (`/api` matches `/api/users`).
    Prefix,
    /// Matches the path only.
    Exact,
    /// Matching left to the ingress controller.
    ImplementationSpecific,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ingress {
    /// Default: true when an `ingress:` block is present.
    pub enabled: Option<bool>,
    /// Ingress class; default from the environment's controller.
    pub class: Option<String>,
    /// Path prefix (or exact path) routed to the entry. Default: `/`. Example: `/api`.
    pub path: Option<Spanned<String>>,
    /// `Prefix`, `Exact` or `ImplementationSpecific` matching of `path`. Default: `Prefix`.
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
    /// TLS of this route: on or off, the Secret or Traefik cert resolver, extra hosts. Default: the
    /// environment's `tls`.
    pub tls: Option<IngressTls>,
    /// Connect, server, client and queue timeouts; what the controller cannot express per route is
    /// an error or a warning naming it.
    pub timeouts: Option<Timeouts>,
    /// Requests per second with a burst (Traefik RateLimit middleware, HAProxy Ingress
    /// rate-limit annotations; HAProxy has no burst: a warning).
    pub rate_limit: Option<RateLimit>,
    /// CORS response headers (Traefik Headers middleware, HAProxy cors annotations).
    pub cors: Option<Cors>,
    /// Basic or forward authentication in front of the route; an error where the controller cannot
    /// express it.
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
    /// Host names the certificate covers; default: the route's hosts.
    #[serde(default)]
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    /// `false` turns the block off (as if absent); default true.
    pub enabled: Option<bool>,
    /// Time to establish a connection to the backend, e.g. `5s`.
    pub connect: Option<Spanned<Duration>>,
    /// Time to wait for the backend's response, e.g. `30s`.
    pub server: Option<Spanned<Duration>>,
    /// Time to wait for the client. Neither controller sets it per route (HAProxy Ingress in
    /// its ConfigMap, Traefik per entry point): a warning names it and it is left out.
    pub client: Option<Spanned<Duration>>,
    /// Time a request may wait for a free backend connection (HAProxy Ingress); Traefik has
    /// none: a warning names it and it is left out.
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
    /// `false` turns CORS off (as if absent). Default: true.
    pub enabled: Option<bool>,
    /// Origins allowed (`Access-Control-Allow-Origin`), e.g. `[https://app.example.com]` or
    /// `["*"]`.
    #[serde(default)]
    pub allow_origins: Vec<String>,
    /// Methods allowed (`Access-Control-Allow-Methods`), e.g. `[GET, POST]`.
    #[serde(default)]
    pub allow_methods: Vec<String>,
    /// Request headers allowed (`Access-Control-Allow-Headers`).
    #[serde(default)]
    pub allow_headers: Vec<String>,
    /// Send `Access-Control-Allow-Credentials: true`. Default: false.
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
    /// basic: the Secret with htpasswd-style `users`.
    pub secret: Option<Spanned<String>>,
    /// basic: the realm shown in the browser's login prompt.
    pub realm: Option<String>,
    /// forward: URL each request is sent to; a 2xx answer lets it through.
    pub address: Option<Spanned<String>>,
    /// forward: headers of the auth answer copied onto the request to the backend.
    #[serde(default)]
    pub response_headers: Vec<String>,
}
