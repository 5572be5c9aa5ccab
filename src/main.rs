//! The `k3s` binary: parse arguments, run the library, exit with its code.

// The pipeline makes many small, short-lived allocations on one thread per core. mimalloc (v2)
// serves them about a third faster than glibc's allocator for a little more peak memory, the
// better trade for the targets in benches/generate.rs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    k3s::cli::main()
}
