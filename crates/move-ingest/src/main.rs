//! The `move-ingest` binary: everything lives in the library; see `cli::main`.

fn main() -> std::process::ExitCode {
    move_ingest::cli::main()
}
