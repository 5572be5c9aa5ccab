//! Sending the dry run's requests through kube's client to the cluster of the current
//! kubeconfig (`KUBECONFIG`, else `~/.kube/config`; its current context or `--context`), one at
//! a time on a current-thread runtime: k3s has no other use for async.

use std::path::PathBuf;
use std::time::Duration;

use kube::Client;
use kube::client::Body;
use kube::config::{Config, KubeConfigOptions, Kubeconfig};

use super::dry_run::{Reply, Transport};
use crate::diagnostic::{Code, Diagnostic};

/// How long to wait for a connection before calling the cluster unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The cluster of a kubeconfig context, ready to send requests to.
pub struct KubeTransport {
    runtime: tokio::runtime::Runtime,
    client: Client,
    description: String,
}

impl KubeTransport {
    /// Reads the kubeconfig and builds the client; nothing is sent yet.
    pub fn connect(context: Option<&str>) -> Result<KubeTransport, Diagnostic> {
        let source = kubeconfig_source();
        let unusable = |message: String| {
            Diagnostic::error(Code::ClusterUnreachable, message)
                .help("point KUBECONFIG at a kubeconfig, or choose a context with --context")
        };
        let kubeconfig = Kubeconfig::read()
            .map_err(|e| unusable(format!("cannot read the kubeconfig ({source}): {e}")))?;
        let chosen = context
            .map(str::to_string)
            .or_else(|| kubeconfig.current_context.clone());
        let Some(chosen) = chosen else {
            return Err(unusable(format!(
                "the kubeconfig ({source}) has no current context"
            )));
        };
        if !kubeconfig.contexts.iter().any(|c| c.name == chosen) {
            let names: Vec<&str> = kubeconfig
                .contexts
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            return Err(unusable(format!(
                "the kubeconfig ({source}) has no context `{chosen}`; it has: {}",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )));
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| unusable(format!("cannot start the client's runtime: {e}")))?;
        let options = KubeConfigOptions {
            context: Some(chosen.clone()),
            ..KubeConfigOptions::default()
        };
        let mut config = runtime
            .block_on(Config::from_custom_kubeconfig(kubeconfig, &options))
            .map_err(|e| {
                unusable(format!(
                    "context `{chosen}` of the kubeconfig ({source}) cannot be used: {e}"
                ))
            })?;
        config.connect_timeout = Some(CONNECT_TIMEOUT);
        let description = format!(
            "{} (context `{chosen}` of {source})",
            config.cluster_url.to_string().trim_end_matches('/')
        );
        // The client's connection pool needs the runtime while it is built.
        let client = {
            let _entered = runtime.enter();
            Client::try_from(config)
        }
        .map_err(|e| unusable(format!("cannot make a client for {description}: {e}")))?;
        Ok(KubeTransport {
            runtime,
            client,
            description,
        })
    }
}

impl Transport for KubeTransport {
    fn send(&mut self, request: &http::Request<Vec<u8>>) -> Result<Reply, String> {
        let mut copy = http::Request::builder()
            .method(request.method().clone())
            .uri(request.uri().clone());
        for (name, value) in request.headers() {
            copy = copy.header(name, value);
        }
        let copy = copy
            .body(Body::from(request.body().clone()))
            .map_err(|e| e.to_string())?;
        let client = &self.client;
        self.runtime.block_on(async move {
            let response = client.send(copy).await.map_err(|e| error_chain(&e))?;
            let status = response.status().as_u16();
            let warnings = response
                .headers()
                .get_all(http::header::WARNING)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(str::to_string)
                .collect();
            let body = response
                .into_body()
                .collect_bytes()
                .await
                .map_err(|e| error_chain(&e))?;
            Ok(Reply {
                status,
                body: String::from_utf8_lossy(&body).into_owned(),
                warnings,
            })
        })
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}

/// Where the kubeconfig is read from, as kube reads it: `$KUBECONFIG` (a list), else
/// `~/.kube/config`.
fn kubeconfig_source() -> String {
    match std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        Some(value) => format!("KUBECONFIG={}", value.to_string_lossy()),
        None => std::env::home_dir()
            .map(|home| home.join(".kube").join("config"))
            .unwrap_or_else(|| PathBuf::from("~/.kube/config"))
            .display()
            .to_string(),
    }
}

/// An error and its causes on one line (`connection refused` is a cause of a cause).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
