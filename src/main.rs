//! The `sg-executor-gen` binary: everything lives in the library; this maps the outcome
//! to an exit code in one place.

fn main() -> std::process::ExitCode {
    sg_executor_gen::app::main(std::env::args_os())
}
