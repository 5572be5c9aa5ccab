//! `container:` — command, arguments, working directory and ports of the main container.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::yaml::Spanned;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Container {
    /// Replaces the image's ENTRYPOINT.
    #[serde(default)]
    pub command: Vec<String>,
    /// Replaces the image's CMD.
    #[serde(default)]
    pub args: Vec<String>,
    /// Working directory of the container (`workingDir`); default: the image's WORKDIR.
    pub working_dir: Option<String>,
    /// Ports the container listens on; each becomes a containerPort and a Service port. Example:
    /// `[{container_port: 8000, service_port: 80}]`.
    #[serde(default)]
    pub ports: Vec<Port>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Protocol {
    /// TCP (the default).
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Port {
    /// Port name (≤ 15 characters, lowercase); default `http` for the first, `port-N` after.
    pub name: Option<Spanned<String>>,
    /// Port the process listens on (the container's `containerPort`).
    pub container_port: Spanned<u16>,
    /// Port on the Service; default: the container port.
    pub service_port: Option<Spanned<u16>>,
    /// Fixed node port when the Service is a NodePort (30000-32767).
    pub node_port: Option<Spanned<u16>>,
    /// `TCP`, `UDP` or `SCTP`, on the container port and the Service port. Default: `TCP`.
    pub protocol: Option<Protocol>,
}
