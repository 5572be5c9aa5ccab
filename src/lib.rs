//! k3s: one `apps.yaml` (schema v2) to every Kubernetes manifest of an environment.
//!
//! The pipeline is load → resolve(env) → lower → render → emit; see the README's design notes.

pub mod config;
pub mod diagnostic;
pub mod dotenv;
pub mod interpolate;
pub mod names;
pub mod render;
pub mod resolve;
pub mod workload;
pub mod yaml;
