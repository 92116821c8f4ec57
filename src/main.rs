//! The `hhsim` command line: parses, runs one subcommand, and turns errors into one line on
//! stderr with exit status 2 (bad input) or 1 (run-time failure).

use clap::Parser;
use hhsim::cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let started = std::time::Instant::now();
    // A panic is a bug, but still one line on stderr, like every other failure.
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string().replace('\n', " ");
        eprintln!("error: internal error, please report it: {message}");
    }));
    let _runtime_dir = private_runtime_dir();
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(e) => return cli::report_parse_error(e),
    };
    match cli::run(args, started) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Mesa's drivers print a warning on every start when XDG_RUNTIME_DIR is unset, which would
/// break one-line error messages; give them a private directory for this process.
fn private_runtime_dir() -> Option<tempfile::TempDir> {
    if std::env::var_os("XDG_RUNTIME_DIR").is_some() {
        return None;
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix("hhsim-runtime-");
    // Mesa requires the runtime directory to be private to its owner.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    let dir = builder.tempdir().ok()?;
    // SAFETY: called first thing in main, before any other thread exists.
    unsafe { std::env::set_var("XDG_RUNTIME_DIR", dir.path()) };
    Some(dir)
}
