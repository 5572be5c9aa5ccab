//! k3s: one `apps.yaml` (schema v2) to every Kubernetes manifest of an environment.
//!
//! The pipeline is load (`config`) → resolve(env) (`resolve`) → lower → render → emit; the
//! `cli` module is a thin shell over it. See the README's design notes.

pub mod check;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod cron;
pub mod diagnostic;
pub mod dotenv;
pub mod emit;
pub mod images;
pub mod interpolate;
pub mod lower;
pub mod names;
pub mod paths;
pub mod pipeline;
pub mod reads;
pub mod render;
pub mod resolve;
pub mod runtime_package;
pub mod schema;
pub mod secrets;
pub mod sources;
pub mod workload;
pub mod yaml;
