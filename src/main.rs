//! The `k3s` binary: parse arguments, run the library, exit with its code.

fn main() -> std::process::ExitCode {
    k3s::cli::main()
}
