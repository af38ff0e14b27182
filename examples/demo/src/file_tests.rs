//! `SHIELDWALL_CONFIG`: the file alone, the environment over it, and what
//! stops start-up.

use shieldwall_ratelimit::FailureMode;
use shieldwall_testkit::TempDir;

use crate::config::{AuditTarget, DemoConfig, Origin};
use crate::env::EnvError;
use crate::file::{ConfigFile, KEYS};
use crate::layers::Layers;

const B64_SECRET: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

fn with_file(env: &[(&str, &str)], text: &str) -> Result<DemoConfig, EnvError> {
    let file = ConfigFile::parse("demo.toml", text)?;
    DemoConfig::from_layers(&Layers::with_file(env, Some(file)))
}

/// Asserts one line naming the file and `key`, without `secret`.
fn refused(text: &str, key: &str, secret: &str) -> String {
    let err = with_file(&[], text).unwrap_err();
    let line = err.to_string();
    assert_eq!(err.var, "SHIELDWALL_CONFIG", "{line}");
    assert!(
        line.starts_with(&format!("SHIELDWALL_CONFIG (demo.toml): {key}: ")),
        "{text}: {line}"
    );
    assert!(!line.contains('\n'), "{line}");
    assert!(secret.is_empty() || !line.contains(secret), "{line}");
    line
}

#[test]
fn a_file_alone_sets_every_value() {
    let c = with_file(
        &[],
        &format!(
            r#"
            addr = "127.0.0.1:0"
            metrics_addr = "127.0.0.1:9100"
            jwt_secret = "0123456789abcdef0123456789abcdef"
            jwt_issuer = "issuer-from-file"
            jwt_audience = "audience-from-file"
            jwt_ttl_secs = 60
            jwt_leeway_secs = 0
            demo_users = ["carol@example.com:pass,with:comma"]
            signing_keys = ["carol-1:carol@example.com:{B64_SECRET}"]
            limit_public = "2/1m"
            limit_auth = "3/1h"
            limit_user = "4/30s"
            trusted_proxies = ["10.0.0.0/8", "::1"]
            cors_origins = ["http://localhost:3000"]
            require_https = true
            audit = "off"
            rate_limit_on_store_error = "open"
            "#
        ),
    )
    .unwrap();
    assert_eq!(c.addr, "127.0.0.1:0".parse().unwrap());
    assert_eq!(c.metrics_addr, Some("127.0.0.1:9100".parse().unwrap()));
    assert!(c.jwt_secret.ct_eq(b"0123456789abcdef0123456789abcdef"));
    assert_eq!(c.jwt_secret_origin, Origin::File);
    assert_eq!(c.jwt_issuer, "issuer-from-file");
    assert_eq!(c.jwt_audience, "audience-from-file");
    assert_eq!((c.jwt_ttl.as_secs(), c.jwt_leeway.as_secs()), (60, 0));
    // An array entry is one entry: a comma inside a password is kept.
    assert_eq!(c.users.len(), 1);
    assert!(c.users[0].password.ct_eq(b"pass,with:comma"));
    assert_eq!(c.users_origin, Origin::File);
    assert_eq!(c.signing_keys[0].key_id, "carol-1");
    assert_eq!(c.signing_keys_origin, Origin::File);
    assert_eq!(c.limit_public.to_string(), "2/1m");
    assert_eq!(c.limit_auth.to_string(), "3/1h");
    assert_eq!(c.limit_user.to_string(), "4/30s");
    assert!(c.trusted_proxies.contains("10.9.9.9".parse().unwrap()));
    assert!(c.trusted_proxies.contains("::1".parse().unwrap()));
    assert_eq!(c.cors_origins, ["http://localhost:3000"]);
    assert!(c.require_https);
    assert_eq!(c.audit, AuditTarget::Off);
    assert_eq!(c.on_store_error, FailureMode::Open);
    assert!(c.redis.is_none() && c.tls.is_none());
}

#[test]
fn the_environment_overrides_the_file_key_by_key() {
    let file = r#"
        limit_public = "2/1m"
        limit_auth = "3/1m"
        jwt_issuer = "from-file"
        trusted_proxies = "10.0.0.0/8, 192.0.2.1"
        require_https = true
    "#;
    let c = with_file(
        &[
            ("SHIELDWALL_LIMIT_PUBLIC", "7/1m"),
            ("SHIELDWALL_REQUIRE_HTTPS", "false"),
            // Empty counts as unset: the file's value stays.
            ("SHIELDWALL_LIMIT_AUTH", ""),
            ("SHIELDWALL_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ],
        file,
    )
    .unwrap();
    assert_eq!(c.limit_public.to_string(), "7/1m");
    assert_eq!(c.limit_auth.to_string(), "3/1m");
    assert_eq!(c.jwt_issuer, "from-file");
    assert!(!c.require_https);
    assert_eq!(c.jwt_secret_origin, Origin::Environment);
    // A comma-separated string in the file reads as the variable does.
    assert_eq!(c.trusted_proxies.networks().len(), 2);
    // A bad variable is the variable's error, even over a good file.
    let err = with_file(&[("SHIELDWALL_LIMIT_PUBLIC", "0/1m")], file).unwrap_err();
    assert_eq!(err.var, "SHIELDWALL_LIMIT_PUBLIC");
    assert!(err.file.is_none(), "{err}");
    // A good variable hides a bad file value of its own key.
    let c = with_file(&[("SHIELDWALL_LIMIT_USER", "1/1s")], "limit_user = 5").unwrap();
    assert_eq!(c.limit_user.to_string(), "1/1s");
}

#[test]
fn bad_values_and_wrong_types_name_the_key_and_never_a_secret() {
    let secret = "hunter2";
    for (text, key) in [
        ("addr = \"localhost\"", "addr"),
        ("addr = 8080", "addr"),
        ("metrics_addr = \"nowhere\"", "metrics_addr"),
        ("redis_url = \"http://:hunter2@x\"", "redis_url"),
        ("redis_url = 6379", "redis_url"),
        ("jwt_secret = \"short-hunter2\"", "jwt_secret"),
        ("jwt_secret = 123456789", "jwt_secret"),
        ("jwt_ttl_secs = 0", "jwt_ttl_secs"),
        ("jwt_ttl_secs = \"900\"", "jwt_ttl_secs"),
        ("jwt_leeway_secs = -1", "jwt_leeway_secs"),
        ("jwt_issuer = \"a\\nb\"", "jwt_issuer"),
        ("jwt_audience = [\"a\"]", "jwt_audience"),
        ("demo_users = [\"alice@example.com:hunter2\"]", "demo_users"),
        ("demo_users = \"alice@example.com\"", "demo_users"),
        ("demo_users = [\"a@b.c:hunter2hunter2\", 7]", "demo_users"),
        ("demo_users = { alice = \"hunter2hunter2\" }", "demo_users"),
        (
            "signing_keys = [\"k1:alice@example.com:hunter2hunter2\"]",
            "signing_keys",
        ),
        ("limit_public = \"100\"", "limit_public"),
        ("limit_auth = 5", "limit_auth"),
        ("limit_user = \"5/1d\"", "limit_user"),
        (
            "trusted_proxies = [\"10.0.0.0/8\", \"0.0.0.0/0\"]",
            "trusted_proxies",
        ),
        ("trusted_proxies = [\"nope\"]", "trusted_proxies"),
        ("trusted_proxies = 10", "trusted_proxies"),
        ("cors_origins = [\"*\"]", "cors_origins"),
        ("cors_origins = [\"HTTPS://MyApp.com\"]", "cors_origins"),
        ("require_https = \"yes\"", "require_https"),
        ("tls_cert = \"/nonexistent/cert.pem\"", "tls_key"),
        ("tls_key = \"/nonexistent/key.pem\"", "tls_cert"),
        ("audit = \"redis\"", "audit"),
        ("audit = false", "audit"),
        (
            "rate_limit_on_store_error = \"sometimes\"",
            "rate_limit_on_store_error",
        ),
        ("oidc_issuer = \"http://id.example.com\"", "oidc_issuer"),
        ("oidc_issuer = 7", "oidc_issuer"),
        // Each of the two names the other, which is missing.
        (
            "introspection_url = \"https://id.example.com/i\"",
            "introspection_client",
        ),
        (
            "introspection_client = \"api:hunter2\"",
            "introspection_url",
        ),
        (
            "introspection_url = \"https://id.example.com/i\"\nintrospection_client = \"hunter2\"",
            "introspection_client",
        ),
        (
            "redis_cluster_nodes = [\"redis://:hunter2@127.0.0.1:7000/2\"]",
            "redis_cluster_nodes",
        ),
    ] {
        let line = refused(text, key, secret);
        assert!(!line.contains("123456789"), "{line}");
    }
    // The trusted-proxy check says why.
    let line = refused("trusted_proxies = [\"0.0.0.0/0\"]", "trusted_proxies", "");
    assert!(line.contains("`0.0.0.0/0` is wider than /8"), "{line}");
}

#[test]
fn a_date_or_a_number_is_never_taken_for_a_secret_quota_or_mode() {
    refused(
        "jwt_secret = 1979-05-27T07:32:00.999999999-07:00",
        "jwt_secret",
        "1979",
    );
    refused("limit_public = 1979-05-27", "limit_public", "");
    refused(
        "rate_limit_on_store_error = 1",
        "rate_limit_on_store_error",
        "",
    );
}

#[test]
fn tls_files_from_the_file_are_named_by_their_key() {
    let missing = "/nonexistent/shieldwall/cert.pem";
    let line = refused(
        &format!("tls_cert = \"{missing}\"\ntls_key = \"/nonexistent/shieldwall/key.pem\""),
        "tls_cert",
        "",
    );
    assert!(line.contains(missing), "{line}");
}

#[test]
fn every_variable_but_the_file_itself_has_a_key() {
    let table = include_str!("../../../docs/DEMO_API.md");
    let mut documented: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("| `"))
        .take_while(|l| !l.contains("`GET /health`"))
        .flat_map(|l| l.split('|').nth(1))
        .flat_map(|cell| cell.split('/'))
        .map(|v| v.trim().trim_matches('`'))
        .collect();
    // `SHIELDWALL_JWT_ISSUER` / `_AUDIENCE`: the second is a suffix.
    let mut full = Vec::new();
    let mut last = "";
    for v in documented.drain(..) {
        if let Some(suffix) = v.strip_prefix('_') {
            let stem = last.rsplit_once('_').map_or(last, |(stem, _)| stem);
            full.push(format!("{stem}_{suffix}"));
        } else {
            full.push(v.to_owned());
            last = v;
        }
    }
    full.retain(|v| v != "SHIELDWALL_CONFIG");
    let mut keys: Vec<String> = KEYS.iter().map(|(_, var)| (*var).to_owned()).collect();
    full.sort();
    keys.sort();
    assert_eq!(full, keys);
}

#[test]
fn a_missing_unreadable_or_broken_file_stops_start_up() {
    let dir = TempDir::new("demo-config");
    let missing = dir.path("missing.toml");
    let missing = missing.to_str().unwrap();
    let err = DemoConfig::from_source(&[("SHIELDWALL_CONFIG", missing)][..]).unwrap_err();
    assert_eq!(err.var, "SHIELDWALL_CONFIG");
    let line = err.to_string();
    assert!(
        line.starts_with(&format!(
            "SHIELDWALL_CONFIG ({missing}): cannot read the file"
        )),
        "{line}"
    );
    // A directory cannot be read as a file, even by root.
    let folder = dir.dir().to_str().unwrap();
    let err = DemoConfig::from_source(&[("SHIELDWALL_CONFIG", folder)][..]).unwrap_err();
    assert!(err.to_string().contains("cannot read the file"), "{err}");
    let binary = dir.path("binary.toml");
    std::fs::write(&binary, b"addr = \"\xff\"\n").unwrap();
    let err = DemoConfig::from_source(&[("SHIELDWALL_CONFIG", binary.to_str().unwrap())][..])
        .unwrap_err();
    assert!(err.to_string().contains("cannot read the file"), "{err}");
    // From the disk, with the environment over it.
    let good = dir.file(
        "good.toml",
        "limit_public = \"2/1m\"\njwt_issuer = \"disk\"\n",
    );
    let c = DemoConfig::from_source(
        &[
            ("SHIELDWALL_CONFIG", good.to_str().unwrap()),
            ("SHIELDWALL_JWT_ISSUER", "env"),
        ][..],
    )
    .unwrap();
    assert_eq!(
        (c.limit_public.to_string().as_str(), c.jwt_issuer.as_str()),
        ("2/1m", "env")
    );
    let unknown = dir.file("unknown.toml", "limit_public = \"2/1m\"\nlimits = 3\n");
    let err = DemoConfig::from_source(&[("SHIELDWALL_CONFIG", unknown.to_str().unwrap())][..])
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown key `limits`"), "{err}");
}

#[test]
fn the_example_file_holds_every_key_with_the_defaults() {
    let example = include_str!("../../shieldwall.toml");
    // As shipped, everything is commented out: the defaults.
    assert!(with_file(&[], example).is_ok());
    let lines: Vec<&str> = example
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .filter(|l| l.split_once(" = ").is_some_and(|(k, _)| !k.contains(' ')))
        .collect();
    let mut keys: Vec<&str> = lines.iter().filter_map(|l| l.split(" = ").next()).collect();
    let mut expected: Vec<&str> = KEYS.iter().map(|(key, _)| *key).collect();
    keys.sort_unstable();
    expected.sort_unstable();
    assert_eq!(keys, expected);
    // Uncommented (but for what needs a server or files),
    // every line is valid and gives the defaults.
    let skip = [
        "redis_url",
        "jwt_secret",
        "signing_keys",
        "tls_cert",
        "tls_key",
        "metrics_addr",
        "oidc_issuer",
        "introspection_url",
        "introspection_client",
        "redis_cluster_nodes",
    ];
    let uncommented: String = lines
        .iter()
        .filter(|l| !skip.iter().any(|s| l.starts_with(&format!("{s} "))))
        .map(|l| format!("{l}\n"))
        .collect();
    let from_file = with_file(&[], &uncommented).unwrap();
    let defaults = DemoConfig::from_source(&[][..]).unwrap();
    assert_eq!(
        format!("{:?}", from_file.users),
        format!("{:?}", defaults.users)
    );
    assert_eq!(
        (from_file.addr, from_file.jwt_ttl, from_file.jwt_leeway),
        (defaults.addr, defaults.jwt_ttl, defaults.jwt_leeway)
    );
    assert_eq!(
        (&from_file.jwt_issuer, &from_file.jwt_audience),
        (&defaults.jwt_issuer, &defaults.jwt_audience)
    );
    assert_eq!(
        [
            from_file.limit_public,
            from_file.limit_auth,
            from_file.limit_user
        ],
        [
            defaults.limit_public,
            defaults.limit_auth,
            defaults.limit_user
        ]
    );
    assert_eq!(from_file.trusted_proxies, defaults.trusted_proxies);
    assert_eq!(from_file.cors_origins, defaults.cors_origins);
    assert_eq!(from_file.require_https, defaults.require_https);
    assert_eq!(from_file.audit, defaults.audit);
    assert_eq!(from_file.on_store_error, defaults.on_store_error);
    assert_eq!(from_file.users_origin, Origin::File);
}
