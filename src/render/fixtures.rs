//! Hand-built workloads and routes for the renderer tests: one app per kind of scaling, a
//! database, jobs. They stand in for lowering's output and must stay realistic, not minimal.

use std::collections::BTreeMap;

use crate::config::{
    ConcurrencyPolicy, IntOrPercent, PathType, Protocol, Quantity, ServiceType, StoreKind,
};
use crate::diagnostic::{FileId, Span};
use crate::workload::{
    AntiAffinity, Backend, Claim, ConfigMap, Container, ContainerPort, ContainerSecurity,
    Controller, Cors, CronWindow, DisruptionBudget, EnvFrom, EnvSource, EnvVar, ExternalSecret,
    HttpScalerApi, InterceptorAlias, JobOptions, NetworkPolicy, Peer, Pod, PodSecurity, PolicyPort,
    PolicyRule, PortTarget, Probe, ProbeAction, QueueTrigger, RateLimit, RefKind, Replicas,
    Resources, Rewrite, RolloutStrategy, Route, Scaling, Secret, Service, ServiceAccount,
    ServicePort, Timeouts, Tls, Toleration, TopologySpread, Volume, VolumeMount, VolumeSource,
    Workload,
};

pub fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn quantity(text: &str) -> Quantity {
    Quantity::parse(text).expect("fixture quantities are valid")
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// What lowering gives an app or function by default (DESIGN rule 7).
pub fn restricted_pod_security() -> PodSecurity {
    PodSecurity {
        run_as_non_root: Some(true),
        run_as_user: Some(10001),
        run_as_group: Some(10001),
        fs_group: Some(10001),
        supplemental_groups: Vec::new(),
        seccomp_profile: Some("RuntimeDefault".to_string()),
    }
}

pub fn restricted_container_security() -> ContainerSecurity {
    ContainerSecurity {
        allow_privilege_escalation: Some(false),
        read_only_root_filesystem: Some(true),
        run_as_non_root: Some(true),
        capabilities_drop: strings(&["ALL"]),
        seccomp_profile: Some("RuntimeDefault".to_string()),
        ..ContainerSecurity::default()
    }
}

fn workload(name: &str, controller: Controller, replicas: Replicas, pod: Pod) -> Workload {
    Workload {
        name: name.to_string(),
        name_span: Span::new(FileId::builtin(), 0, 0),
        field: format!("apps.{name}"),
        namespace: "shop".to_string(),
        entry: name.to_string(),
        labels: labels(&[("team", "checkout")]),
        controller,
        replicas,
        pod,
        services: Vec::new(),
        routes: Vec::new(),
        scaling: Scaling::None,
        network: None,
        disruption_budget: None,
        service_account: None,
        config_maps: Vec::new(),
        secrets: Vec::new(),
        external_secrets: Vec::new(),
        claims: Vec::new(),
    }
}

fn http_probe(path: &str, port: PortTarget) -> Probe {
    Probe {
        action: ProbeAction::Http {
            path: path.to_string(),
            port,
            scheme: None,
        },
        initial_delay_seconds: None,
        period_seconds: Some(10),
        timeout_seconds: Some(2),
        success_threshold: None,
        failure_threshold: Some(3),
    }
}

/// A web API: Deployment with rolling updates, two ports, three probes, env of every source,
/// a few volumes, a service account, an HPA, a NetworkPolicy with restricted egress, a PDB.
pub fn web() -> Workload {
    let container = Container {
        name: "web".to_string(),
        image: "registry.example.com/shop/web:1.4.2".to_string(),
        image_pull_policy: Some("IfNotPresent".to_string()),
        args: strings(&["serve", "--port=8080"]),
        ports: vec![
            ContainerPort {
                name: "http".to_string(),
                container_port: 8080,
                protocol: Protocol::Tcp,
            },
            ContainerPort {
                name: "metrics".to_string(),
                container_port: 9090,
                protocol: Protocol::Tcp,
            },
        ],
        env: vec![
            EnvVar {
                name: "LOG_LEVEL".to_string(),
                value: EnvSource::Literal("info".to_string()),
            },
            EnvVar {
                // YAML 1.1 reads a bare `yes` as a boolean; it must come out quoted.
                name: "FEATURE_FLAG".to_string(),
                value: EnvSource::Literal("yes".to_string()),
            },
            EnvVar {
                name: "DATABASE_PASSWORD".to_string(),
                value: EnvSource::SecretKey {
                    name: "db-credentials".to_string(),
                    key: "password".to_string(),
                    optional: false,
                },
            },
            EnvVar {
                name: "THEME".to_string(),
                value: EnvSource::ConfigMapKey {
                    name: "web-config".to_string(),
                    key: "theme".to_string(),
                    optional: true,
                },
            },
            EnvVar {
                name: "POD_NAME".to_string(),
                value: EnvSource::Field("metadata.name".to_string()),
            },
        ],
        env_from: vec![
            EnvFrom {
                kind: RefKind::Secret,
                name: "web-secrets".to_string(),
                prefix: Some("APP_".to_string()),
                optional: false,
            },
            EnvFrom {
                kind: RefKind::ConfigMap,
                name: "web-config".to_string(),
                prefix: None,
                optional: true,
            },
        ],
        resources: Resources {
            requests: BTreeMap::from([
                ("cpu".to_string(), quantity("100m")),
                ("memory".to_string(), quantity("128Mi")),
            ]),
            limits: BTreeMap::from([("memory".to_string(), quantity("256Mi"))]),
        },
        startup_probe: Some(Probe {
            action: ProbeAction::Tcp {
                port: PortTarget::Number(8080),
            },
            initial_delay_seconds: Some(2),
            period_seconds: Some(5),
            timeout_seconds: None,
            success_threshold: None,
            failure_threshold: Some(30),
        }),
        readiness_probe: Some(http_probe("/ready", PortTarget::Name("http".to_string()))),
        liveness_probe: Some(http_probe("/healthz", PortTarget::Name("http".to_string()))),
        volume_mounts: vec![
            VolumeMount {
                name: "tmp".to_string(),
                mount_path: "/tmp".to_string(),
                read_only: false,
                sub_path: None,
            },
            VolumeMount {
                name: "tls".to_string(),
                mount_path: "/etc/tls".to_string(),
                read_only: true,
                sub_path: None,
            },
            VolumeMount {
                name: "config".to_string(),
                mount_path: "/etc/web/settings.toml".to_string(),
                read_only: true,
                sub_path: Some("settings.toml".to_string()),
            },
        ],
        security: restricted_container_security(),
        ..Container::default()
    };
    let migrate = Container {
        name: "migrate".to_string(),
        image: "registry.example.com/shop/web:1.4.2".to_string(),
        command: strings(&["/app/web"]),
        args: strings(&["migrate", "--wait"]),
        env: vec![EnvVar {
            name: "DATABASE_PASSWORD".to_string(),
            value: EnvSource::SecretKey {
                name: "db-credentials".to_string(),
                key: "password".to_string(),
                optional: false,
            },
        }],
        security: restricted_container_security(),
        ..Container::default()
    };
    let pod = Pod {
        containers: vec![container],
        init_containers: vec![migrate],
        volumes: vec![
            Volume {
                name: "tmp".to_string(),
                source: VolumeSource::EmptyDir {
                    medium: None,
                    size_limit: Some(quantity("64Mi")),
                },
            },
            Volume {
                name: "tls".to_string(),
                source: VolumeSource::Secret {
                    secret_name: "web-tls".to_string(),
                    items: vec![
                        ("tls.crt".to_string(), "server.crt".to_string()),
                        ("tls.key".to_string(), "server.key".to_string()),
                    ],
                    default_mode: Some(0o440),
                },
            },
            Volume {
                name: "config".to_string(),
                source: VolumeSource::ConfigMap {
                    name: "web-config".to_string(),
                    items: Vec::new(),
                    default_mode: None,
                },
            },
        ],
        security: restricted_pod_security(),
        service_account_name: Some("web".to_string()),
        automount_service_account_token: true,
        image_pull_secrets: strings(&["registry-credentials"]),
        node_selector: labels(&[("kubernetes.io/arch", "amd64")]),
        tolerations: vec![Toleration {
            key: Some("dedicated".to_string()),
            operator: Some("Equal".to_string()),
            value: Some("web".to_string()),
            effect: Some("NoSchedule".to_string()),
            toleration_seconds: None,
        }],
        node_affinity: crate::workload::NodeAffinity {
            required: vec![crate::workload::NodeRequirement {
                key: "node-pool".to_string(),
                operator: "In".to_string(),
                values: strings(&["web", "general"]),
            }],
            preferred: Vec::new(),
        },
        anti_affinity: AntiAffinity::preferred_per_node(),
        topology_spread: Some(TopologySpread {
            topology_key: "topology.kubernetes.io/zone".to_string(),
            max_skew: 1,
            when_unsatisfiable: "ScheduleAnyway".to_string(),
        }),
        termination_grace_period_seconds: Some(45),
        priority_class_name: None,
        host_aliases: BTreeMap::from([
            ("10.0.0.9".to_string(), strings(&["payments.internal"])),
            (
                "10.0.0.10".to_string(),
                strings(&["ledger.internal", "ledger"]),
            ),
        ]),
        hostname: None,
        annotations: labels(&[("prometheus.io/scrape", "true")]),
    };
    let mut w = workload(
        "web",
        Controller::Deployment {
            strategy: RolloutStrategy::RollingUpdate {
                max_surge: IntOrPercent::Int(1),
                max_unavailable: IntOrPercent::Int(0),
            },
            revision_history_limit: 10,
        },
        Replicas::Autoscaled,
        pod,
    );
    w.services = vec![Service {
        name: "web".to_string(),
        kind: ServiceType::ClusterIP,
        ports: vec![
            ServicePort {
                name: "http".to_string(),
                port: 80,
                target_port: PortTarget::Name("http".to_string()),
                protocol: Protocol::Tcp,
                node_port: None,
            },
            ServicePort {
                name: "metrics".to_string(),
                port: 9090,
                target_port: PortTarget::Number(9090),
                protocol: Protocol::Tcp,
                node_port: None,
            },
        ],
        annotations: BTreeMap::new(),
        external_name: None,
    }];
    w.routes = vec![route("web", "web", None)];
    w.scaling = Scaling::Hpa {
        min: 2,
        max: 6,
        cpu_percent: Some(70),
        memory_percent: None,
        scale_up_stabilization: None,
        scale_down_stabilization: Some(300),
    };
    w.network = Some(NetworkPolicy {
        ingress: vec![
            PolicyRule {
                peers: vec![Peer::Namespace {
                    name: "traefik".to_string(),
                    pod_labels: labels(&[("app.kubernetes.io/name", "traefik")]),
                }],
                ports: vec![PolicyPort {
                    protocol: Protocol::Tcp,
                    port: 8080,
                    end_port: None,
                }],
            },
            PolicyRule {
                peers: vec![Peer::Namespace {
                    name: "monitoring".to_string(),
                    pod_labels: BTreeMap::new(),
                }],
                ports: vec![PolicyPort {
                    protocol: Protocol::Tcp,
                    port: 9090,
                    end_port: None,
                }],
            },
        ],
        egress: Some(vec![
            PolicyRule {
                peers: vec![Peer::Pods(labels(&[("app", "db")]))],
                ports: vec![PolicyPort {
                    protocol: Protocol::Tcp,
                    port: 5432,
                    end_port: None,
                }],
            },
            PolicyRule {
                peers: vec![Peer::Cidr {
                    cidr: "0.0.0.0/0".to_string(),
                    except: strings(&["169.254.169.254/32"]),
                }],
                ports: vec![PolicyPort {
                    protocol: Protocol::Tcp,
                    port: 443,
                    end_port: None,
                }],
            },
        ]),
    });
    w.disruption_budget = Some(DisruptionBudget::MinAvailable(IntOrPercent::Int(1)));
    w.service_account = Some(ServiceAccount {
        name: "web".to_string(),
        annotations: labels(&[(
            "iam.gke.io/gcp-service-account",
            "web@shop.iam.gserviceaccount.com",
        )]),
    });
    w.config_maps = vec![ConfigMap {
        name: "web-config".to_string(),
        data: labels(&[
            ("theme", "dark"),
            ("settings.toml", "[server]\nport = 8080\nworkers = 4\n"),
        ]),
    }];
    w.secrets = vec![Secret {
        name: "web-secrets".to_string(),
        string_data: labels(&[("SESSION_KEY", "s3cr3t-for-dev-only")]),
    }];
    w.external_secrets = vec![ExternalSecret {
        name: "db-credentials".to_string(),
        store: "vault".to_string(),
        store_kind: StoreKind::ClusterSecretStore,
        refresh_interval: "1h".to_string(),
        data: BTreeMap::from([
            (
                "password".to_string(),
                ("shop/db".to_string(), Some("password".to_string())),
            ),
            ("username".to_string(), ("shop/db-user".to_string(), None)),
        ]),
        extract: Some("shop/db-extra".to_string()),
    }];
    w.claims = vec![Claim {
        name: "web-uploads".to_string(),
        size: quantity("5Gi"),
        storage_class: Some("local-path".to_string()),
        access_modes: Vec::new(),
    }];
    w
}

/// A route from `host` to `service`; through the KEDA interceptor when `interceptor` is set.
pub fn route(name: &str, service: &str, interceptor: Option<InterceptorAlias>) -> Route {
    Route {
        name: name.to_string(),
        hosts: strings(&["shop.example.com"]),
        path: "/".to_string(),
        path_type: PathType::Prefix,
        rewrite: Rewrite::None,
        backend: Backend {
            service: service.to_string(),
            port: match &interceptor {
                Some(alias) => PortTarget::Number(alias.port),
                None => PortTarget::Name("http".to_string()),
            },
            interceptor,
        },
        tls: None,
        methods: Vec::new(),
        timeouts: Timeouts::default(),
        rate_limit: None,
        cors: None,
        auth: None,
        annotations: BTreeMap::new(),
        entry_points: strings(&["websecure"]),
        class: None,
    }
}

pub fn interceptor() -> InterceptorAlias {
    InterceptorAlias {
        external_name: "keda-add-ons-http-interceptor-proxy.keda.svc.cluster.local".to_string(),
        port: 8080,
    }
}

/// PostgreSQL: a StatefulSet with a data claim template, a headless Service, exec probes.
pub fn db() -> Workload {
    let container = Container {
        name: "postgres".to_string(),
        image: "postgres:16.4".to_string(),
        ports: vec![ContainerPort {
            name: "postgres".to_string(),
            container_port: 5432,
            protocol: Protocol::Tcp,
        }],
        env: vec![
            EnvVar {
                name: "PGDATA".to_string(),
                value: EnvSource::Literal("/var/lib/postgresql/data/pgdata".to_string()),
            },
            EnvVar {
                name: "POSTGRES_PASSWORD".to_string(),
                value: EnvSource::SecretKey {
                    name: "db-credentials".to_string(),
                    key: "password".to_string(),
                    optional: false,
                },
            },
        ],
        resources: Resources {
            requests: BTreeMap::from([
                ("cpu".to_string(), quantity("250m")),
                ("memory".to_string(), quantity("512Mi")),
            ]),
            limits: BTreeMap::from([("memory".to_string(), quantity("1Gi"))]),
        },
        readiness_probe: Some(Probe {
            action: ProbeAction::Exec {
                command: strings(&["pg_isready", "-U", "postgres"]),
            },
            initial_delay_seconds: Some(5),
            period_seconds: Some(10),
            timeout_seconds: Some(5),
            success_threshold: None,
            failure_threshold: Some(6),
        }),
        liveness_probe: Some(Probe {
            action: ProbeAction::Tcp {
                port: PortTarget::Name("postgres".to_string()),
            },
            initial_delay_seconds: Some(30),
            period_seconds: Some(20),
            timeout_seconds: None,
            success_threshold: None,
            failure_threshold: None,
        }),
        volume_mounts: vec![VolumeMount {
            name: "data".to_string(),
            mount_path: "/var/lib/postgresql/data".to_string(),
            read_only: false,
            sub_path: None,
        }],
        // A third-party image: the compose "baseline" level, nothing loosened beyond it.
        security: ContainerSecurity {
            allow_privilege_escalation: Some(false),
            ..ContainerSecurity::default()
        },
        ..Container::default()
    };
    let pod = Pod {
        containers: vec![container],
        security: PodSecurity {
            fs_group: Some(999),
            seccomp_profile: Some("RuntimeDefault".to_string()),
            ..PodSecurity::default()
        },
        automount_service_account_token: false,
        ..Pod::default()
    };
    let mut w = workload(
        "db",
        Controller::StatefulSet {
            service_name: "db".to_string(),
            claims: vec![Claim {
                name: "data".to_string(),
                size: quantity("10Gi"),
                storage_class: None,
                access_modes: strings(&["ReadWriteOnce"]),
            }],
        },
        Replicas::Fixed(1),
        pod,
    );
    w.services = vec![Service {
        name: "db".to_string(),
        kind: ServiceType::Headless,
        ports: vec![ServicePort {
            name: "postgres".to_string(),
            port: 5432,
            target_port: PortTarget::Name("postgres".to_string()),
            protocol: Protocol::Tcp,
            node_port: None,
        }],
        annotations: BTreeMap::new(),
        external_name: None,
    }];
    w.network = Some(NetworkPolicy {
        ingress: vec![PolicyRule {
            peers: vec![Peer::Pods(labels(&[("app", "web")]))],
            ports: vec![PolicyPort {
                protocol: Protocol::Tcp,
                port: 5432,
                end_port: None,
            }],
        }],
        egress: None,
    });
    w
}

/// A nightly backup: a CronJob running `pg_dump` into a claim.
pub fn backup() -> Workload {
    let container = Container {
        name: "backup".to_string(),
        image: "registry.example.com/shop/backup:2.0.0".to_string(),
        command: strings(&["/bin/sh", "-c"]),
        args: strings(&["pg_dump -h db -U postgres shop | gzip > /backup/shop-$(date +%F).sql.gz"]),
        env: vec![EnvVar {
            name: "PGPASSWORD".to_string(),
            value: EnvSource::SecretKey {
                name: "db-credentials".to_string(),
                key: "password".to_string(),
                optional: false,
            },
        }],
        volume_mounts: vec![VolumeMount {
            name: "backup".to_string(),
            mount_path: "/backup".to_string(),
            read_only: false,
            sub_path: None,
        }],
        security: restricted_container_security(),
        ..Container::default()
    };
    let pod = Pod {
        containers: vec![container],
        volumes: vec![Volume {
            name: "backup".to_string(),
            source: VolumeSource::Claim {
                claim_name: "backup".to_string(),
                read_only: false,
            },
        }],
        security: restricted_pod_security(),
        automount_service_account_token: false,
        ..Pod::default()
    };
    let mut w = workload(
        "backup",
        Controller::CronJob {
            schedule: "0 3 * * *".to_string(),
            time_zone: Some("Europe/Paris".to_string()),
            concurrency_policy: ConcurrencyPolicy::Forbid,
            starting_deadline_seconds: Some(600),
            successful_jobs_history_limit: 3,
            failed_jobs_history_limit: 1,
            suspend: false,
            job: JobOptions {
                active_deadline_seconds: Some(3600),
                backoff_limit: 2,
                ttl_seconds_after_finished: Some(86400),
                restart_policy: "OnFailure".to_string(),
            },
        },
        Replicas::NotApplicable,
        pod,
    );
    w.claims = vec![Claim {
        name: "backup".to_string(),
        size: quantity("20Gi"),
        storage_class: None,
        access_modes: Vec::new(),
    }];
    w
}

/// A serverless function scaled by keda-http: Recreate rollouts, replicas owned by KEDA, two
/// routes reaching it through one interceptor alias.
pub fn hello() -> Workload {
    let mut w = web();
    w.name = "hello".to_string();
    w.entry = "fns".to_string();
    w.controller = Controller::Deployment {
        strategy: RolloutStrategy::Recreate,
        revision_history_limit: 3,
    };
    w.pod.init_containers.clear();
    w.pod.service_account_name = None;
    w.pod.automount_service_account_token = false;
    w.service_account = None;
    w.config_maps.clear();
    w.secrets.clear();
    w.external_secrets.clear();
    w.claims.clear();
    w.network = None;
    w.disruption_budget = None;
    w.services[0].name = "hello".to_string();
    w.scaling = Scaling::Http {
        min: 0,
        max: 5,
        target_pending_requests: 10,
        scaledown_period: Some(300),
        hosts: strings(&["shop.example.com"]),
        path_prefixes: strings(&["/hello"]),
        service: "hello".to_string(),
        port: 80,
        api: crate::workload::HttpScalerApi::V1alpha1,
    };
    let mut api = route("hello", "hello-interceptor", Some(interceptor()));
    api.path = "/hello".to_string();
    let mut admin = route("hello-admin", "hello-interceptor", Some(interceptor()));
    admin.hosts = strings(&["admin.example.com"]);
    w.routes = vec![api, admin];
    w
}

/// A one-off database migration run as a Job.
pub fn migrate() -> Workload {
    let mut w = backup();
    w.name = "migrate".to_string();
    w.entry = "migrate".to_string();
    w.controller = Controller::Job {
        job: JobOptions {
            active_deadline_seconds: None,
            backoff_limit: 4,
            ttl_seconds_after_finished: None,
            restart_policy: "Never".to_string(),
        },
    };
    w.claims.clear();
    w.pod.volumes.clear();
    w.pod.containers[0].volume_mounts.clear();
    w.pod.containers[0].name = "migrate".to_string();
    w
}

/// A frontend on a NodePort, two fixed replicas, at most one per node.
pub fn frontend() -> Workload {
    let mut w = hello();
    w.name = "frontend".to_string();
    w.entry = "frontend".to_string();
    w.replicas = Replicas::Fixed(2);
    w.scaling = Scaling::None;
    w.routes = vec![route("frontend", "frontend", None)];
    w.pod.anti_affinity = AntiAffinity::required_per_node();
    w.services = vec![Service {
        name: "frontend".to_string(),
        kind: ServiceType::NodePort,
        ports: vec![ServicePort {
            name: "http".to_string(),
            port: 80,
            target_port: PortTarget::Number(8080),
            protocol: Protocol::Tcp,
            node_port: Some(30080),
        }],
        annotations: labels(&[("metallb.universe.tf/allow-shared-ip", "shop")]),
        external_name: None,
    }];
    w.disruption_budget = Some(DisruptionBudget::MaxUnavailable(IntOrPercent::Percent(50)));
    w
}

/// `hello` on the add-on's v1beta1 API: an InterceptorRoute and a ScaledObject.
pub fn hello_beta() -> Workload {
    let mut w = hello();
    if let Scaling::Http { api, .. } = &mut w.scaling {
        *api = HttpScalerApi::V1beta1;
    }
    w
}

/// A Traefik route with everything seed 000 asks of one: a Let's Encrypt certificate for two
/// hosts, a stripped prefix, CORS for a browser app, a rate limit, backend timeouts.
pub fn traefik_route() -> Route {
    let mut r = route("api", "api", None);
    r.hosts = strings(&["shop.example.com", "www.shop.example.com"]);
    r.path = "/api".to_string();
    r.rewrite = Rewrite::StripPrefix;
    r.tls = Some(Tls {
        secret: None,
        cert_resolver: Some("letsencrypt".to_string()),
        hosts: r.hosts.clone(),
    });
    r.rate_limit = Some(RateLimit {
        average: 10,
        period_seconds: 1,
        burst: 20,
    });
    r.cors = Some(Cors {
        allow_origins: strings(&["https://app.example.com"]),
        allow_methods: strings(&["GET", "POST"]),
        allow_headers: strings(&["Content-Type", "Authorization"]),
        allow_credentials: true,
        max_age: Some(600),
    });
    r.timeouts = Timeouts {
        connect: Some("10s".to_string()),
        server: Some("3m".to_string()),
        client: None,
        queue: None,
    };
    r
}

/// An HAProxy route: a certificate Secret, `/api` served by the backend as `/v1`, backend
/// timeouts, and a route annotation that overrides one of them.
pub fn haproxy_route() -> Route {
    let mut r = route("partner-api", "partner-api", None);
    r.hosts = strings(&["api.example.com"]);
    r.path = "/api".to_string();
    r.rewrite = Rewrite::ReplacePrefix("/v1".to_string());
    r.backend.port = PortTarget::Number(80);
    r.tls = Some(Tls {
        secret: Some("api-tls-cert".to_string()),
        cert_resolver: None,
        hosts: strings(&["api.example.com"]),
    });
    r.timeouts = Timeouts {
        connect: Some("5s".to_string()),
        server: Some("60s".to_string()),
        client: None,
        queue: Some("30s".to_string()),
    };
    r.annotations = labels(&[("haproxy-ingress.github.io/timeout-server", "120s")]);
    r.entry_points.clear();
    r
}

/// A long-running worker draining a Redis list, scaled to zero by KEDA when it is empty.
pub fn worker() -> Workload {
    let mut w = hello();
    w.name = "worker".to_string();
    w.entry = "worker".to_string();
    w.services.clear();
    w.routes.clear();
    w.pod.containers[0].name = "worker".to_string();
    w.pod.containers[0].args = strings(&["work", "--queue=thumbnails"]);
    w.scaling = Scaling::Queue {
        min: 0,
        max: 8,
        queue: QueueTrigger {
            stream: false,
            name: "thumbnails".to_string(),
            target: 5,
            consumer_group: None,
            address: "valkey.shop.svc.cluster.local:6379".to_string(),
            database: None,
            tls: false,
            password: None,
        },
        cooldown_period: Some(120),
        polling_interval: Some(15),
    };
    w
}

/// A consumer group on a Valkey stream (seed 004) behind TLS and a password.
pub fn ingest() -> Workload {
    let mut w = worker();
    w.name = "ingest".to_string();
    w.entry = "ingest".to_string();
    w.pod.containers[0].name = "ingest".to_string();
    w.pod.containers[0].args = strings(&["consume", "--stream=runs-fleet:jobs"]);
    w.scaling = Scaling::Queue {
        min: 1,
        max: 10,
        queue: QueueTrigger {
            stream: true,
            name: "runs-fleet:jobs".to_string(),
            target: 10,
            consumer_group: Some("ingest".to_string()),
            address: "valkey.jobs.svc.cluster.local:6380".to_string(),
            database: Some(2),
            tls: true,
            password: Some(("valkey-auth".to_string(), "password".to_string())),
        },
        cooldown_period: None,
        polling_interval: None,
    };
    w
}

/// One Kubernetes Job per batch of stream entries (seed 004's job runners): a ScaledJob.
pub fn runner() -> Workload {
    let mut w = ingest();
    w.name = "runner".to_string();
    w.entry = "runner".to_string();
    w.pod.containers[0].name = "runner".to_string();
    w.pod.containers[0].args = strings(&["run-one", "--stream=runs-fleet:jobs"]);
    w.pod.containers[0].ports.clear();
    w.pod.containers[0].readiness_probe = None;
    w.pod.containers[0].liveness_probe = None;
    w.pod.containers[0].startup_probe = None;
    w.pod.anti_affinity = AntiAffinity::default();
    w.pod.topology_spread = None;
    w.controller = Controller::ScaledJob {
        job: JobOptions {
            active_deadline_seconds: Some(3600),
            backoff_limit: 0,
            ttl_seconds_after_finished: Some(600),
            restart_policy: "Never".to_string(),
        },
    };
    w.replicas = Replicas::NotApplicable;
    if let Scaling::Queue {
        min,
        max,
        queue,
        polling_interval,
        ..
    } = &mut w.scaling
    {
        *min = 0;
        *max = 20;
        queue.consumer_group = Some("runners".to_string());
        queue.target = 1;
        *polling_interval = Some(10);
    }
    w
}

/// A reporting API sized by the clock: more replicas in office hours and for the nightly run.
pub fn nightly() -> Workload {
    let mut w = frontend();
    w.name = "nightly".to_string();
    w.entry = "nightly".to_string();
    w.services[0].name = "nightly".to_string();
    w.services[0].kind = ServiceType::ClusterIP;
    w.services[0].ports[0].node_port = None;
    w.services[0].annotations.clear();
    w.routes = vec![route("nightly", "nightly", None)];
    w.replicas = Replicas::Autoscaled;
    w.disruption_budget = None;
    w.scaling = Scaling::Cron {
        min: 1,
        max: 6,
        windows: vec![
            CronWindow {
                timezone: "Europe/Paris".to_string(),
                start: "0 8 * * 1-5".to_string(),
                end: "0 19 * * 1-5".to_string(),
                desired_replicas: 4,
            },
            CronWindow {
                timezone: "UTC".to_string(),
                start: "0 1 * * *".to_string(),
                end: "0 3 * * *".to_string(),
                desired_replicas: 6,
            },
        ],
    };
    w
}

/// The Argo CD Application of `web` in `dev`, as gitops plans it.
pub fn web_application() -> crate::lower::ApplicationPlan {
    crate::lower::ApplicationPlan {
        name: "dev-web".to_string(),
        file: "apps-web.yaml".to_string(),
        namespace: "argocd".to_string(),
        project: "k3s-dev".to_string(),
        entry: "web".to_string(),
        sync_wave: 1,
        destination: shop_destination(),
        source: crate::lower::Source::Directory {
            repo_url: "https://git.example.com/platform.git".to_string(),
            revision: "main".to_string(),
            path: "argocd-state/dev/apps/web".to_string(),
        },
        ignore_replicas: Vec::new(),
        sync: crate::lower::SyncSettings {
            automated: Some((true, false, false)),
            options: strings(&["CreateNamespace=true", "ServerSideApply=true"]),
            retry_limit: 5,
        },
        span: None,
        field: "apps.web.name".to_string(),
    }
}

/// The AppProject of `dev`.
pub fn dev_project() -> crate::lower::ProjectPlan {
    crate::lower::ProjectPlan {
        name: "k3s-dev".to_string(),
        namespace: "argocd".to_string(),
        environment: "dev".to_string(),
        source_repos: strings(&["https://git.example.com/platform.git"]),
        destinations: vec![shop_destination()],
        cluster_kinds: vec![(String::new(), "Namespace".to_string())],
        namespace_kinds: Vec::new(),
        description: "Everything k3s generates for the dev environment".to_string(),
        span: None,
    }
}

fn shop_destination() -> crate::lower::Destination {
    crate::lower::Destination {
        server: Some("https://kubernetes.default.svc".to_string()),
        name: None,
        namespace: "shop".to_string(),
    }
}
