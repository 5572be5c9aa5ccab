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
    /// `false`: no gateway routes in this environment. Default: true.
    pub enabled: Option<bool>,
    /// Namespace of the gateway objects; default `defaults.namespace`.
    pub namespace: Option<Spanned<String>>,
    /// Host names; default the environment's `domain`.
    #[serde(default)]
    pub hosts: Vec<Spanned<String>>,
    /// TLS of every route: on or off, the Secret or Traefik cert resolver. Default: the
    /// environment's `tls`.
    pub tls: Option<IngressTls>,
    /// Applied to every route that sets none of its own.
    pub rate_limit: Option<RateLimit>,
    /// Applied to every route.
    pub cors: Option<Cors>,
    /// Extra controller annotations (HAProxy) on every route.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// The routes: a path to a Service anywhere in the cluster.
    #[serde(default)]
    pub routes: Vec<Route>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Route name (object names derive from it); default from the path.
    pub name: Option<Spanned<String>>,
    /// Public path matched, e.g. `/api/users`.
    pub path: Spanned<String>,
    /// `Prefix` (default), `Exact` or `ImplementationSpecific`.
    pub path_type: Option<PathType>,
    /// Target service: `name` or `name.namespace`.
    pub service: Spanned<String>,
    /// Port of the target Service.
    pub port: Spanned<u16>,
    /// Remove `path` before forwarding. Default: false.
    pub strip_prefix: Option<bool>,
    /// Replace the matched path with this before forwarding.
    pub rewrite_to: Option<Spanned<String>>,
    /// HTTP methods the route accepts; default all.
    #[serde(default)]
    pub methods: Vec<Spanned<String>>,
    /// Host names of this route; default the gateway's `hosts`.
    #[serde(default)]
    pub hosts: Vec<Spanned<String>>,
    /// Timeouts of this route (what the controller cannot express is an error or warning).
    pub timeouts: Option<Timeouts>,
    /// Rate limit of this route, instead of the gateway's.
    pub rate_limit: Option<RateLimit>,
    /// Basic or forward auth in front of this route.
    pub auth: Option<Auth>,
}
