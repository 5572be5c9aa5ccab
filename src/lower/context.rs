//! What lowering needs to know about the environment being generated: ingress controller,
//! domain and TLS, where the KEDA interceptor runs, image tags, and paths.

use std::path::{Path, PathBuf};

use crate::config::{HttpScalerApi as ConfigHttpApi, IngressController};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::images::ImageTags;
use crate::resolve::Resolved;
use crate::workload::{HttpScalerApi, InterceptorAlias, Tls};
use crate::yaml::Spanned;

pub struct LowerContext<'a> {
    pub resolved: &'a Resolved,
    pub images: &'a ImageTags,
}

impl LowerContext<'_> {
    pub fn env(&self) -> &str {
        &self.resolved.env
    }

    /// A path of apps.yaml, relative to its directory.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.resolved.dir.join(relative)
    }

    /// The directory an entry's `path:` names, or an error at that setting when it is missing.
    /// `path` (relative to apps.yaml) as a directory that exists inside the project (after
    /// symlinks), unless `outside` allows more; `None` after saying why not.
    pub fn existing_dir(
        &self,
        path: &Spanned<String>,
        field: &str,
        outside: bool,
        d: &mut Diagnostics,
    ) -> Option<PathBuf> {
        let dir = self.path(&path.value);
        if !dir.is_dir() {
            d.push(
                Diagnostic::error(
                    Code::MissingPath,
                    format!("directory `{}` does not exist", path.value),
                )
                .at(path.span)
                .field(format!("{field}.path"))
                .help("paths in apps.yaml are relative to the directory of apps.yaml"),
            );
            return None;
        }
        self.inside_project(&dir, path, &format!("{field}.path"), outside, d)
            .then_some(dir)
    }

    /// Whether `path` resolves (after symlinks, or by its components when it does not exist)
    /// inside the project directory; an error naming the field and the resolved target when
    /// not (and `outside` does not allow it).
    pub fn inside_project(
        &self,
        path: &Path,
        written: &Spanned<String>,
        field: &str,
        outside: bool,
        d: &mut Diagnostics,
    ) -> bool {
        if outside {
            return true;
        }
        match crate::paths::resolve_inside(&self.resolved.dir, path) {
            Ok(()) => true,
            Err(target) => {
                d.push(
                    Diagnostic::error(
                        Code::OutsideProject,
                        format!(
                            "`{}` resolves to `{}`, outside the project directory",
                            written.value,
                            target.display()
                        ),
                    )
                    .at(written.span)
                    .field(field.to_string())
                    .help("k3s reads only files below the directory of apps.yaml; set `allow_outside_project: true` on the entry if this one is meant"),
                );
                false
            }
        }
    }

    pub fn ingress(&self) -> IngressController {
        self.resolved.ingress
    }

    /// Namespace of the ingress controller pods, which NetworkPolicies must let in.
    pub fn ingress_namespace(&self) -> String {
        if let Some(namespace) = &self.resolved.settings.ingress_namespace {
            return namespace.clone();
        }
        match self.resolved.ingress {
            IngressController::Haproxy => "haproxy-controller".to_string(),
            _ => "kube-system".to_string(),
        }
    }

    /// Host names of routes that name none: the environment's domain.
    pub fn default_hosts(&self) -> Vec<String> {
        self.resolved
            .settings
            .domain
            .as_ref()
            .map(|d| vec![d.value.clone()])
            .unwrap_or_default()
    }

    /// TLS for routes that say nothing: the environment's `tls`, `tls_secret`, `cert_resolver`.
    pub fn default_tls(&self) -> Option<Tls> {
        let settings = &self.resolved.settings;
        settings.tls.unwrap_or(false).then(|| Tls {
            secret: settings.tls_secret.clone(),
            cert_resolver: settings.cert_resolver.clone(),
            hosts: Vec::new(),
        })
    }

    pub fn interceptor_namespace(&self) -> String {
        self.keda()
            .and_then(|k| k.interceptor_namespace.clone())
            .unwrap_or_else(|| "keda".to_string())
    }

    /// The KEDA HTTP interceptor proxy, as an ExternalName target.
    pub fn interceptor(&self) -> InterceptorAlias {
        let service = self
            .keda()
            .and_then(|k| k.interceptor_service.clone())
            .unwrap_or_else(|| "keda-add-ons-http-interceptor-proxy".to_string());
        InterceptorAlias {
            external_name: format!(
                "{service}.{}.svc.cluster.local",
                self.interceptor_namespace()
            ),
            port: self.keda().and_then(|k| k.interceptor_port).unwrap_or(8080),
        }
    }

    pub fn http_scaler_api(&self) -> HttpScalerApi {
        match self.keda().and_then(|k| k.http_api) {
            Some(ConfigHttpApi::V1beta1) => HttpScalerApi::V1beta1,
            _ => HttpScalerApi::V1alpha1,
        }
    }

    fn keda(&self) -> Option<&crate::config::Keda> {
        self.resolved.defaults.keda.as_ref()
    }

    /// Image pull policy of built images in this environment.
    pub fn image_pull_policy(&self) -> Option<String> {
        self.resolved.settings.image_pull_policy.clone()
    }
}
