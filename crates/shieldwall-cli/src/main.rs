#![doc = include_str!("../README.md")]

mod cli;
mod demo;
mod failure;
mod keys;
mod output;
mod secret;
mod sign;
mod token;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, Command, KeysCommand, TokenCommand};
use crate::failure::Failure;

/// The exit code of a command that ran and failed (Redis down, a bad
/// token, an unknown key id).
const FAILED: u8 = 1;

fn main() -> ExitCode {
    // A panic is a bug; it still ends with one line on stderr and no backtrace.
    std::panic::set_hook(Box::new(|_| {
        let _ = writeln!(
            std::io::stderr(),
            "shieldwall: internal error (a bug: please report it)"
        );
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return cli::usage_error(&error),
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let _ = writeln!(std::io::stderr(), "shieldwall: {failure}");
            ExitCode::from(FAILED)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        match cli.command {
            Command::Keys { command } => match command {
                KeysCommand::Create(args) => keys::create(args).await,
                KeysCommand::List(args) => keys::list(args).await,
                KeysCommand::Revoke(args) => keys::revoke(args).await,
            },
            Command::Token { command } => match command {
                TokenCommand::Inspect(args) => token::inspect(args).await,
            },
            Command::Sign(args) => sign::sign(&args),
        }
    })
}
