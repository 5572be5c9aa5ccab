//! The apps.yaml v2 model: typed entries (serde + schemars, unknown keys rejected) and loading
//! with diagnostics. Environments are applied later, in `resolve`; nothing here picks one.

mod app;
mod argocd;
mod availability;
mod build;
mod compose;
mod container;
mod defaults;
mod dependency;
mod environment;
mod environments;
mod fields;
mod gateway;
mod helm;
mod ingress;
mod probes;
mod project;
mod resources;
mod scaling;
mod secrets;
mod security;
mod serverless;
mod service;
pub mod value;
mod volumes;
mod workload_kind;

pub use app::AppEntry;
pub use argocd::{ArgoCd, Automated, Destination, SyncPolicy};
pub use availability::{
    AntiAffinity, AntiAffinityRules, DisruptionBudget, NodeAffinity, NodeOperator, NodeRequirement,
    PreferredNode, PreferredSpread, RequiredSpread, SimpleAntiAffinity, Strategy, StrategyType,
    Toleration, TopologySpread,
};
pub use build::{Build, Runtime};
pub use compose::{
    ComposeEntry, ComposeNetwork, ComposeNetworkPolicy, ComposeService, ComposeSettings,
    SettingsSource,
};
pub use container::{Container, Port, Protocol};
pub use defaults::{Defaults, HttpScalerApi, IngressController, Keda, PerEnv, SecretStore};
pub use dependency::{Dependency, DependencyType, Section, SyncRule};
pub use environment::{EnvFrom, EnvRef, EnvReference, EnvValue, Environment, RefKind};
pub use environments::EnvironmentSettings;
pub use fields::struct_fields;
pub use gateway::{Gateway, Route};
pub use helm::HelmEntry;
pub use ingress::{Auth, AuthType, Cors, Ingress, IngressTls, PathType, RateLimit, Timeouts};
pub use probes::{PortRef, Probe, ProbeType, Probes};
pub use project::{EnvironmentDecl, FILE_NAME, Project, RawBlock, RawEntry, find_apps_yaml, load};
pub use resources::{Gpu, Resources};
pub use scaling::{CronWindow, QueueConnection, QueueType, Scaling, ScalingType, SecretKeyRef};
pub use secrets::{ExternalSource, SecretMount, StoreKind};
pub use security::{
    Capabilities, ContainerSecurityContext, EgressRule, IngressRule, NetworkPolicy, Peer,
    PodSecurityContext, PodSecurityProfile, PolicyPort, SeccompProfile, Security, Visibility,
};
pub use serverless::{FunctionAuth, RuntimeAuth, ServerlessEntry};
pub use service::{ServiceSettings, ServiceType};
pub use value::{BoolOr, Duration, IntOrPercent, OneOrMany, Quantity};
pub use volumes::{KeyToPath, Volume, VolumeType};
pub use workload_kind::{ConcurrencyPolicy, JobRestartPolicy, JobSettings, WorkloadKind};
