//! Fuzzes the compose reader (see ../entry.rs).
#![no_main]

#[path = "../entry.rs"]
mod entry;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entry::compose(data));
