//! Fuzzes the apps.yaml loader and planner (see ../entry.rs).
#![no_main]

#[path = "../entry.rs"]
mod entry;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entry::apps_yaml(data));
