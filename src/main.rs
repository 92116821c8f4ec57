//! The `hhsim` command line: parses, runs one subcommand, and turns errors into one line on
//! stderr with exit status 2 (bad input) or 1 (run-time failure).

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let started = std::time::Instant::now();
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
