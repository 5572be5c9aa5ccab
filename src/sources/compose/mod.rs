//! Docker Compose projects read per the Compose Specification into a typed, normalized model.
//! Parsing only: turning services into Kubernetes workloads is the lowering step's job.

mod load;
mod merge;
mod model;
mod normalize;
mod paths;
mod references;
mod short_syntax;
mod variables;

pub use crate::dotenv::{DotenvEntry, parse_dotenv};
pub use load::{
    LoadOptions, default_compose_files, load_project, normalize_project_name, outside_project_help,
};
pub use model::*;
pub use short_syntax::{format_duration, parse_bytes, parse_duration, shell_split};
