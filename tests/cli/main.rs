//! The `k3s` binary, driven as users drive it: one test binary, a file per area.

#[path = "../common/corpus.rs"]
mod corpus;
mod support;

mod argocd;
mod bad_input;
mod cluster;
mod compose;
mod compose_stacks;
mod containment;
mod daily_loop;
mod field_walk;
mod fields;
mod fn_run;
mod generate;
mod golden;
mod habits;
mod hostile;
mod images;
mod list;
mod real_files;
mod scale_to_zero;
mod schema;
mod sections;
mod tilt;
mod validate;
