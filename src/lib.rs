//! k3s: one `apps.yaml` (schema v2) to every Kubernetes manifest of an environment.
//!
//! The pipeline is load → resolve(env) → lower → render → emit; see the README's design notes.

pub mod diagnostic;
pub mod interpolate;
pub mod sources;
pub mod yaml;
