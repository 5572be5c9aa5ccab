//! The lowered entries of one environment and the checks across them. `Entries::insert` is the
//! one place every entry passes through, so every command sees the same cross-entry checks:
//! workload names unique per namespace, every object name a valid DNS label, no two entries
//! writing the same object. Interceptor routing is checked once the gateway has attached its
//! routes (`check_interceptor_routing`).

use std::collections::HashMap;

use super::Lowered;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::names::{NAME_MAX, check_dns_label};
use crate::workload::Workload;

/// Where a workload was first seen: how messages name it and where.
#[derive(Debug, Clone)]
struct Origin {
    field: String,
    span: Span,
}

impl Origin {
    fn of(workload: &Workload) -> Origin {
        Origin {
            field: workload.field.clone(),
            span: workload.name_span,
        }
    }
}

/// The entries lowered so far, with what the checks need to know of them.
#[derive(Debug, Default)]
pub struct Entries {
    entries: Vec<Lowered>,
    /// (namespace, workload name) → its first workload.
    workloads: HashMap<(String, String), Origin>,
    /// (kind, namespace, name) → the workload that first carries the object.
    objects: HashMap<(&'static str, String, String), Origin>,
}

impl Entries {
    /// Adds an entry, reporting what clashes with the entries before it.
    pub fn insert(&mut self, lowered: Lowered, d: &mut Diagnostics) {
        for workload in &lowered.entry.workloads {
            check_object_names(workload, d);
            self.check_unique_name(workload, d);
            self.check_unique_objects(workload, d);
        }
        self.entries.push(lowered);
    }

    pub fn into_entries(self) -> Vec<Lowered> {
        self.entries
    }

    /// Two workloads of one namespace never share a name, whichever entries they come from (an
    /// app `api-hello` and the function `hello` of the serverless entry `api` would).
    fn check_unique_name(&mut self, workload: &Workload, d: &mut Diagnostics) {
        let key = (workload.namespace.clone(), workload.name.clone());
        match self.workloads.get(&key) {
            Some(earlier) => d.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!(
                        "`{}` and `{}` both generate objects named `{}` in namespace `{}`",
                        earlier.field, workload.field, workload.name, workload.namespace
                    ),
                )
                .at(workload.name_span)
                .field(workload.field.clone())
                .label(earlier.span, format!("`{}` is named here", earlier.field))
                .help("rename one of them"),
            ),
            None => {
                self.workloads.insert(key, Origin::of(workload));
            }
        }
    }

    /// Objects other than the workloads' own (Services, ConfigMaps, Secrets, claims, service
    /// accounts) must not share a kind, name and namespace either: compose Services keep their
    /// services' own names, so two compose entries (or an app and a compose service) in one
    /// namespace can clash, and two entries may name one service account.
    fn check_unique_objects(&mut self, workload: &Workload, d: &mut Diagnostics) {
        let mut names: Vec<(&'static str, String)> = Vec::new();
        names.extend(
            workload
                .services
                .iter()
                .map(|s| ("Service", s.name.clone())),
        );
        names.extend(
            workload
                .config_maps
                .iter()
                .map(|c| ("ConfigMap", c.name.clone())),
        );
        names.extend(workload.secrets.iter().map(|s| ("Secret", s.name.clone())));
        names.extend(
            workload
                .claims
                .iter()
                .map(|c| ("PersistentVolumeClaim", c.name.clone())),
        );
        // Two entries creating one account would each own it in their own Application.
        names.extend(
            workload
                .service_account
                .iter()
                .map(|a| ("ServiceAccount", a.name.clone())),
        );
        names.sort();
        names.dedup();
        for (kind, name) in names {
            let key = (kind, workload.namespace.clone(), name.clone());
            match self.objects.get(&key) {
                Some(other) => d.push(
                    Diagnostic::error(
                        Code::DuplicateObject,
                        format!(
                            "{kind} `{name}` in namespace `{}` comes from both `{}` and `{}`",
                            workload.namespace, other.field, workload.field
                        ),
                    )
                    .at(workload.name_span)
                    .field(workload.field.clone())
                    .label(other.span, "the other one")
                    .help(if kind == "ServiceAccount" {
                        "to share the account, set `security.create_service_account: false` on \
                         all but the entry that creates it"
                    } else {
                        "rename one of them, or put the entries in different namespaces"
                    }),
                ),
                None => {
                    self.objects.insert(key, Origin::of(workload));
                }
            }
        }
    }
}

/// The KEDA interceptor routes by host and longest path prefix. Two keda-http workloads on the
/// same host and prefix cannot be told apart (an error). One matching everything (`/`, e.g.
/// after stripping its prefix) beside others on its host works by longest prefix, except for
/// its own paths that start with another's prefix (a warning that says which).
pub fn check_interceptor_routing(entries: &[Lowered], d: &mut Diagnostics) {
    // By host: only routes on one host can clash, and every keda-http workload has its own
    // in-cluster hosts, so one list of everything seen made this quadratic.
    let mut seen: std::collections::HashMap<&str, Vec<(&str, &Workload)>> =
        std::collections::HashMap::new();
    for workload in entries.iter().flat_map(|e| e.entry.workloads.iter()) {
        let crate::workload::Scaling::Http {
            hosts,
            path_prefixes,
            ..
        } = &workload.scaling
        else {
            continue;
        };
        for host in hosts {
            for prefix in path_prefixes {
                for &(other_prefix, other) in seen.get(host.as_str()).into_iter().flatten() {
                    let same_workload =
                        other.name == workload.name && other.namespace == workload.namespace;
                    if same_workload {
                        continue;
                    }
                    if other_prefix == prefix {
                        // A bare name is what callers in each namespace send for `http://<name>`.
                        let help = if host.contains('.') {
                            "give one its own host, or keep its path prefix (strip_prefix: false) so the paths differ"
                        } else {
                            "the interceptor routes by host for every namespace at once, and callers in each namespace send the bare name: rename one of the workloads"
                        };
                        d.push(
                            Diagnostic::error(
                                Code::AmbiguousInterceptorRoute,
                                format!(
                                    "the KEDA interceptor cannot tell `{}` from `{}`: both are reached on host `{host}` with path `{prefix}`",
                                    workload.field, other.field
                                ),
                            )
                            .at(workload.name_span)
                            .field(workload.field.clone())
                            .label(other.name_span, "the other workload")
                            .help(help),
                        );
                    } else if other_prefix == "/" || prefix == "/" {
                        let (catch_all, specific, specific_prefix) = if prefix == "/" {
                            (workload, other, other_prefix)
                        } else {
                            (other, workload, prefix.as_str())
                        };
                        d.push(
                            Diagnostic::warning(
                                Code::OverlappingInterceptorRoute,
                                format!(
                                    "on host `{host}` the KEDA interceptor sees every path of `{}` (its prefix is stripped); its requests whose remaining path starts with `{specific_prefix}` go to `{}`",
                                    catch_all.field, specific.field
                                ),
                            )
                            .at(catch_all.name_span)
                            .field(catch_all.field.clone())
                            .help("set strip_prefix: false (the app then serves under its prefix) or give it its own host to avoid the overlap"),
                        );
                    }
                }
                seen.entry(host.as_str())
                    .or_default()
                    .push((prefix.as_str(), workload));
            }
        }
    }
}

/// Every name a workload's objects will carry is a DNS label of at most 63 characters; a name
/// that would be longer is reported at the entry that causes it, never shortened.
fn check_object_names(w: &Workload, d: &mut Diagnostics) {
    let mut names: Vec<(&str, String)> = vec![("workload", w.name.clone())];
    names.extend(w.services.iter().map(|s| ("Service", s.name.clone())));
    names.extend(
        w.routes
            .iter()
            .map(|r| ("ExternalName Service", r.backend.service.clone())),
    );
    names.extend(
        w.claims
            .iter()
            .map(|c| ("PersistentVolumeClaim", c.name.clone())),
    );
    names.extend(w.config_maps.iter().map(|c| ("ConfigMap", c.name.clone())));
    names.extend(w.secrets.iter().map(|s| ("Secret", s.name.clone())));
    if let Some(sa) = &w.service_account {
        names.push(("ServiceAccount", sa.name.clone()));
    }
    for (kind, name) in names {
        if let Err(problem) = check_dns_label(&name, NAME_MAX) {
            d.push(
                Diagnostic::error(problem.code(), format!("{kind} name `{name}` {problem}"))
                    .at(w.name_span)
                    .field(w.field.clone())
                    .help("shorten the entry (or function, or service) name"),
            );
        }
    }
}
