//! End to end, `SHIELDWALL_CONFIG`: both servers as processes read their
//! settings from a TOML file, the environment overrides it key by key, and a
//! file with an unknown key or a bad value stops start-up with one line
//! naming the key (never a secret).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use shieldwall_testkit::server::{ServerProcess, binary, run_to_exit};
use shieldwall_testkit::{TempDir, TestRequest};

const SERVERS: [&str; 2] = ["example-axum-api", "example-actix-api"];

const FILE: &str = r#"
limit_public = "2/1m"
jwt_secret = "an-hs256-secret-from-the-file-0123456789"
jwt_issuer = "issuer-from-the-file"
"#;

/// The statuses of `n` requests under `/api`, all counted by the public limit.
fn statuses(server: &ServerProcess, n: usize) -> Vec<u16> {
    (0..n)
        .map(|_| {
            server
                .send(&TestRequest::get("/api/v1/users"))
                .unwrap()
                .status
        })
        .collect()
}

#[test]
fn a_file_sets_the_public_limit_and_the_environment_overrides_it() {
    let dir = TempDir::new("config-file");
    let file = dir.file("shieldwall.toml", FILE);
    let file = file.to_str().unwrap();
    for name in SERVERS {
        // The test kit sets generous limits; an empty variable counts as
        // unset, so the file's limit applies.
        let server = ServerProcess::start(
            &binary(name),
            &[("SHIELDWALL_CONFIG", file), ("SHIELDWALL_LIMIT_PUBLIC", "")],
        )
        .unwrap();
        assert_eq!(statuses(&server, 3), [401, 401, 429], "{name}");
        let third = server.send(&TestRequest::get("/api/v1/users")).unwrap();
        assert_eq!(third.json().unwrap()["code"], "RATE_LIMITED", "{name}");
        let output = server.output().join("\n");
        assert!(
            output.contains("jwt secret: from the configuration file"),
            "{name}: {output}"
        );
        assert!(
            !output.contains("an-hs256-secret"),
            "{name} printed the secret"
        );
        drop(server);

        let server = ServerProcess::start(
            &binary(name),
            &[
                ("SHIELDWALL_CONFIG", file),
                ("SHIELDWALL_LIMIT_PUBLIC", "3/1m"),
            ],
        )
        .unwrap();
        assert_eq!(statuses(&server, 4), [401, 401, 401, 429], "{name}");
    }
}

#[test]
fn an_unknown_key_or_a_bad_value_stops_start_up_naming_it() {
    let dir = TempDir::new("config-file-bad");
    let cases = [
        (
            "unknown.toml",
            "limit_publik = \"2/1m\"\n",
            "unknown key `limit_publik`",
        ),
        (
            "short.toml",
            "jwt_secret = \"short-hunter2\"\n",
            ": jwt_secret: is 13 bytes",
        ),
        (
            "wide.toml",
            "trusted_proxies = [\"0.0.0.0/0\"]\n",
            ": trusted_proxies: trusted proxy `0.0.0.0/0` is wider than /8",
        ),
        (
            "type.toml",
            "demo_users = \"alice@example.com:hunter2hunter2\"\nrequire_https = \"hunter2\"\n",
            ": require_https: must be true or false",
        ),
        (
            "syntax.toml",
            "jwt_secret = hunter2\n",
            "not valid TOML at line 1",
        ),
    ];
    for name in SERVERS {
        for (file_name, text, needle) in cases {
            let path = dir.file(file_name, text);
            let path = path.to_str().unwrap();
            let (code, output) =
                run_to_exit(&binary(name), &[("SHIELDWALL_CONFIG", path)]).unwrap();
            assert_eq!(code, Some(2), "{name} {file_name}: {output}");
            let lines: Vec<&str> = output.lines().collect();
            assert_eq!(lines.len(), 1, "{name} {file_name}: {output}");
            assert!(
                lines[0].starts_with(&format!("SHIELDWALL_CONFIG ({path})")),
                "{name}: {output}"
            );
            assert!(lines[0].contains(needle), "{name} {file_name}: {output}");
            assert!(!output.contains("hunter2"), "{name}: {output}");
        }
        let missing = dir.path("missing.toml");
        let (code, output) = run_to_exit(
            &binary(name),
            &[("SHIELDWALL_CONFIG", missing.to_str().unwrap())],
        )
        .unwrap();
        assert_eq!(code, Some(2), "{name}: {output}");
        assert!(output.contains("cannot read the file"), "{name}: {output}");
    }
}
