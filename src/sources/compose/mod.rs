//! Docker Compose projects read per the Compose Specification into a typed, normalized model.
//! Parsing only: turning services into Kubernetes workloads is the lowering step's job.

mod dotenv;
mod merge;
mod short_syntax;

pub use dotenv::{DotenvEntry, parse_dotenv};
pub use short_syntax::{format_duration, parse_bytes, parse_duration, shell_split};
