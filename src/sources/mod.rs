//! Inputs other than apps.yaml that k3s reads and models: compose projects.
//! Each source only parses and checks its input; lowering to workloads happens elsewhere.

pub mod compose;
