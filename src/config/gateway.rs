//! `gateway:` — routes from public paths to services anywhere in the cluster, rendered through
//! the same ingress renderers as apps, with global rate limit and CORS applied to every route.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::ingress::{Auth, Cors, IngressTls, PathType, RateLimit, Timeouts};
use crate::yaml::Spanned;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gateway {
    pub enabled: Option<bool>,
    /// Namespace of the gateway objects; default `defaults.namespace`.
    pub namespace: Option<Spanned<String>>,
    /// Host names; default the environment's `domain`.
    #[serde(default)]
    pub hosts: Vec<Spanned<String>>,
    pub tls: Option<IngressTls>,
    /// Applied to every route that sets none of its own.
    pub rate_limit: Option<RateLimit>,
    /// Applied to every route.
    pub cors: Option<Cors>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub routes: Vec<Route>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Route name (object names derive from it); default from the path.
    pub name: Option<Spanned<String>>,
    pub path: Spanned<String>,
    pub path_type: Option<PathType>,
    /// Target service: `name` or `name.namespace`.
    pub service: Spanned<String>,
    pub port: Spanned<u16>,
    pub strip_prefix: Option<bool>,
    /// Replace the matched path with this before forwarding.
    pub rewrite_to: Option<Spanned<String>>,
    /// HTTP methods the route accepts; default all.
    #[serde(default)]
    pub methods: Vec<Spanned<String>>,
    #[serde(default)]
    pub hosts: Vec<Spanned<String>>,
    pub timeouts: Option<Timeouts>,
    pub rate_limit: Option<RateLimit>,
    pub auth: Option<Auth>,
}
