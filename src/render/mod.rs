//! Renderers: one file per Kubernetes kind, each turning a `Workload` into typed objects.
//! Renderers build objects only; they never decide placement on disk or read apps.yaml.

pub mod crd;
