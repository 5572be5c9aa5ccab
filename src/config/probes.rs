//! `probes:` — startup, readiness and liveness checks (http, tcp, exec or grpc).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::yaml::Spanned;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Probes {
    /// Probe that must pass before readiness and liveness start (`startupProbe`); for slow
    /// starters.
    pub startup: Option<Probe>,
    /// Probe deciding whether the pod receives traffic from its Service (`readinessProbe`).
    pub readiness: Option<Probe>,
    /// Probe whose failures restart the container (`livenessProbe`).
    pub liveness: Option<Probe>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProbeType {
    /// An HTTP GET of `path` on `port`; 2xx and 3xx are healthy.
    Http,
    /// A TCP connection to `port`.
    Tcp,
    /// `command` run in the container; exit 0 is healthy.
    Exec,
    /// The gRPC health protocol on `port` (`service` names the health service).
    Grpc,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    /// Default: `exec` when `command` is given, `http` when `path` is, else `tcp`.
    #[serde(rename = "type")]
    pub kind: Option<Spanned<ProbeType>>,
    /// http: the request path, e.g. `/healthz`.
    pub path: Option<Spanned<String>>,
    /// Port number or container port name; default: the first container port.
    pub port: Option<Spanned<PortRef>>,
    /// exec: the command run in the container; exit 0 is healthy. Example: `[pg_isready, -U,
    /// postgres]`.
    #[serde(default)]
    pub command: Vec<String>,
    /// gRPC health service name.
    pub service: Option<String>,
    /// `HTTP` or `HTTPS` for http probes.
    pub scheme: Option<String>,
    /// Seconds after the container starts before the first probe (`initialDelaySeconds`).
    pub initial_delay: Option<u32>,
    /// Seconds between probes (`periodSeconds`). Default: Kubernetes' 10.
    pub period: Option<u32>,
    /// Seconds before a probe counts as failed (`timeoutSeconds`). Default: Kubernetes' 1.
    pub timeout: Option<u32>,
    /// Consecutive successes needed after a failure (`successThreshold`). Default: 1.
    pub success_threshold: Option<u32>,
    /// Consecutive failures before the probe gives up (`failureThreshold`). Default: Kubernetes' 3.
    pub failure_threshold: Option<u32>,
}

/// A port given by number or by the name of a container port.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(untagged)]
pub enum PortRef {
    Number(u16),
    Name(String),
}

impl<'de> Deserialize<'de> for PortRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<PortRef, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.parse::<u16>() {
            Ok(0) => Err(serde::de::Error::custom("port 0 is not a valid port")),
            Ok(n) => Ok(PortRef::Number(n)),
            Err(_) if text.bytes().all(|b| b.is_ascii_digit()) => Err(serde::de::Error::custom(
                format!("port {text} is out of range 1-65535"),
            )),
            Err(_) => Ok(PortRef::Name(text)),
        }
    }
}
