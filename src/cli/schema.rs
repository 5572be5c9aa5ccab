//! `k3s schema`: print the JSON Schema of apps.yaml.

use super::{CommandResult, EXIT_OK};

pub fn run() -> CommandResult {
    out!("{}", crate::schema::apps_schema_json());
    Ok(EXIT_OK)
}
