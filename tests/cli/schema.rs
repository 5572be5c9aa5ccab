//! `k3s schema` and the committed `schemas/apps-schema.json`.

use crate::support::Project;

#[test]
fn the_committed_schema_is_current() {
    let run = Project::new().run(&["schema"]);
    run.code(0);
    let committed = include_str!("../../schemas/apps-schema.json");
    assert!(
        run.stdout == committed,
        "schemas/apps-schema.json is stale: run `cargo run -- schema > schemas/apps-schema.json`"
    );
}
