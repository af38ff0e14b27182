//! The command line: commands, flags, and usage errors as one line.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Args, Parser, Subcommand};

use crate::demo;

/// The exit code of a command line that does not parse.
const USAGE: u8 = 2;

/// Operator commands for shieldwall deployments.
#[derive(Debug, Parser)]
#[command(name = "shieldwall", version)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// API keys in the Redis store the servers use.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Bearer tokens (JWS).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Prints the Content-Digest, Signature-Input and Signature header lines
    /// of an RFC 9421 request (hmac-sha256).
    Sign(SignArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Creates a key; prints its record as JSON, then the key alone on the last line.
    Create(CreateArgs),
    /// Prints an owner's keys, one JSON object per line (never a key).
    List(ListArgs),
    /// Revokes a key: every server on that Redis refuses it within a second.
    Revoke(RevokeArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Prints a token's header and claims as JSON; verifies it with --secret-env.
    Inspect(InspectArgs),
}

/// The Redis the servers use: one server, or a Redis Cluster's seed nodes.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct RedisArgs {
    /// A Redis URL, `redis://[user:password@]host[:port][/db]` or `rediss://...` (or REDIS_URL,
    /// which keeps a password out of the process list).
    #[arg(long, value_name = "URL", env = "REDIS_URL", hide_env_values = true)]
    pub(crate) redis: Option<String>,
    /// A Redis Cluster's seed nodes, comma-separated `redis://host:port` URLs (or
    /// REDIS_CLUSTER_NODES, which keeps a password out of the process list; a `,` in a password
    /// is written %2C), instead of --redis.
    #[arg(
        long,
        value_name = "URLS",
        env = "REDIS_CLUSTER_NODES",
        hide_env_values = true
    )]
    pub(crate) redis_cluster: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    #[command(flatten)]
    pub(crate) redis: RedisArgs,
    /// The owner id, as the servers store it (the demo's users are usr_1, usr_2, ... in the
    /// order of SHIELDWALL_DEMO_USERS).
    #[arg(long)]
    pub(crate) owner: String,
    /// A name (1 to 100 visible characters).
    #[arg(long, default_value = demo::DEFAULT_KEY_NAME)]
    pub(crate) name: String,
    /// A scope; repeat for several (default: users:read and users:write).
    #[arg(long = "scope", value_name = "SCOPE")]
    pub(crate) scopes: Vec<String>,
    /// Lifetime in days, 1 to 365 (default: no expiry).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=365))]
    pub(crate) expires_in_days: Option<u32>,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    pub(crate) redis: RedisArgs,
    /// The owner id.
    #[arg(long)]
    pub(crate) owner: String,
}

#[derive(Debug, Args)]
pub(crate) struct RevokeArgs {
    #[command(flatten)]
    pub(crate) redis: RedisArgs,
    /// The key's public id (what `keys list` shows as `id`).
    pub(crate) id: String,
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The token (`-` reads it from stdin).
    pub(crate) token: String,
    /// The environment variable holding the HS256 secret: verify the token
    /// (signature, exp/nbf/iat, issuer, audience) and fail if it is not valid.
    #[arg(long, value_name = "VAR")]
    pub(crate) secret_env: Option<String>,
    /// The issuer required when verifying.
    #[arg(long, env = "SHIELDWALL_JWT_ISSUER", default_value = demo::JWT_ISSUER)]
    pub(crate) issuer: String,
    /// The audience required when verifying.
    #[arg(long, env = "SHIELDWALL_JWT_AUDIENCE", default_value = demo::JWT_AUDIENCE)]
    pub(crate) audience: String,
    /// Clock leeway in seconds for exp, nbf and iat when verifying.
    #[arg(long, value_name = "SECS", env = "SHIELDWALL_JWT_LEEWAY_SECS",
          default_value = demo::JWT_LEEWAY_SECS, value_parser = clap::value_parser!(u64).range(0..=300))]
    pub(crate) leeway_secs: u64,
}

#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    /// The signing key's id (`keyid`).
    #[arg(long, value_name = "ID")]
    pub(crate) keyid: String,
    /// The environment variable holding the key's secret in base64 (at least 32 bytes).
    #[arg(long, value_name = "VAR")]
    pub(crate) secret_env: String,
    /// The request method.
    #[arg(long, value_name = "M")]
    pub(crate) method: String,
    /// The absolute URL the request is sent to (its host is the signed authority).
    #[arg(long, value_name = "URL")]
    pub(crate) url: String,
    /// A file holding the exact body bytes (`-` reads stdin; default: empty body).
    #[arg(long, value_name = "FILE")]
    pub(crate) body: Option<PathBuf>,
    /// The Content-Type the request is sent with (it is signed).
    #[arg(long, value_name = "T", default_value = "application/json")]
    pub(crate) content_type: String,
}

/// Help and version go to stdout with exit 0; any other error is one line on
/// stderr with exit 2.
pub(crate) fn usage_error(error: &clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let text = error.to_string();
            let mut stdout = std::io::stdout().lock();
            let _ = write!(stdout, "{text}");
            if !text.ends_with('\n') {
                let _ = writeln!(stdout);
            }
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = writeln!(
                std::io::stderr(),
                "shieldwall: a command is missing; see `shieldwall --help`"
            );
            ExitCode::from(USAGE)
        }
        _ => {
            let rendered = error.to_string();
            let first = rendered
                .lines()
                .map(str::trim)
                .find(|line| !line.is_empty())
                .unwrap_or("invalid arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            let _ = writeln!(
                std::io::stderr(),
                "shieldwall: {first}; see `shieldwall --help`"
            );
            ExitCode::from(USAGE)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::{Cli, Command, KeysCommand};

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn scopes_repeat_and_defaults_apply() {
        let cli = Cli::try_parse_from([
            "shieldwall",
            "keys",
            "create",
            "--redis",
            "redis://127.0.0.1",
            "--owner",
            "u1",
            "--scope",
            "users:read",
            "--scope",
            "transfers:write",
        ])
        .unwrap();
        let Command::Keys {
            command: KeysCommand::Create(args),
        } = cli.command
        else {
            panic!("keys create");
        };
        assert_eq!(args.scopes, ["users:read", "transfers:write"]);
        assert_eq!(args.name, "default");
        assert_eq!(args.expires_in_days, None);
        assert_eq!(args.redis.redis.as_deref(), Some("redis://127.0.0.1"));
        // One server or a cluster, not both.
        let cluster = ["--redis-cluster", "redis://a:7000,redis://b:7000"];
        let parsed = Cli::try_parse_from(
            ["shieldwall", "keys", "list", "--owner", "u"]
                .iter()
                .chain(&cluster),
        )
        .unwrap();
        let Command::Keys {
            command: KeysCommand::List(args),
        } = parsed.command
        else {
            panic!("keys list");
        };
        assert_eq!(
            args.redis.redis_cluster.as_deref(),
            Some("redis://a:7000,redis://b:7000")
        );
        assert!(
            Cli::try_parse_from(
                [
                    "shieldwall",
                    "keys",
                    "list",
                    "--owner",
                    "u",
                    "--redis",
                    "redis://h"
                ]
                .iter()
                .chain(&cluster),
            )
            .is_err()
        );
        for days in ["0", "366", "x"] {
            assert!(
                Cli::try_parse_from([
                    "shieldwall",
                    "keys",
                    "create",
                    "--redis",
                    "redis://h",
                    "--owner",
                    "u",
                    "--expires-in-days",
                    days,
                ])
                .is_err(),
                "{days}"
            );
        }
    }
}
