//! Inputs other than apps.yaml that a project points at (Python functions, compose files), read
//! into typed, located values; nothing here renders Kubernetes objects or reads apps.yaml.

pub mod compose;
pub mod python;
