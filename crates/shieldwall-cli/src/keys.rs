//! `shieldwall keys create | list | revoke`: the key manager of the
//! shieldwall-keys crate over the same Redis store, prefix and key format as
//! the demo servers, so a key made here is accepted by them at once and a
//! revocation reaches their caches through the store's pub/sub.

use std::time::Duration;

use shieldwall_core::rfc3339;
use shieldwall_keys::{
    ApiKeys, CreateError, KeyFormat, KeyRecord, KeyStore as _, NewKey, RedisKeyStore,
    RedisKeyStoreConfig,
};
use shieldwall_redis::{Redis, RedisConfig};
use zeroize::Zeroizing;

use crate::cli::{CreateArgs, ListArgs, RedisArgs, RevokeArgs};
use crate::failure::Failure;
use crate::{demo, output};

/// Connects to the server or cluster `args` names and builds the manager as
/// the demo servers do: default Redis prefix, key format `sk`, SHA-256
/// digests. No cache (each command reads Redis) and no background last-use
/// flush.
async fn connect(args: &RedisArgs) -> Result<ApiKeys<RedisKeyStore>, Failure> {
    let (flag, config) = match (&args.redis, &args.redis_cluster) {
        (Some(url), _) => ("--redis", RedisConfig::new(url)),
        (None, Some(nodes)) => (
            "--redis-cluster",
            RedisConfig::cluster(nodes.split(',').filter(|n| !n.trim().is_empty())),
        ),
        (None, None) => return Err(Failure::new("--redis or --redis-cluster is required")),
    };
    let config = config.map_err(|e| Failure::caused(flag, &e))?;
    let redis = Redis::connect(&config)
        .await
        .map_err(|e| Failure::caused(&format!("{flag}: cannot reach Redis"), &e))?;
    let store = RedisKeyStore::new(redis, RedisKeyStoreConfig::uncached());
    let format = KeyFormat::new(demo::KEY_PREFIX).map_err(|e| Failure::caused("key format", &e))?;
    Ok(ApiKeys::builder(store, format)
        .flush_last_used_every(None)
        .build())
}

fn store_failure(error: &shieldwall_core::StoreError) -> Failure {
    Failure::caused("the key store failed", error)
}

/// A record as JSON: everything but the digest (and the key is never stored).
fn view(keys: &ApiKeys<RedisKeyStore>, record: &KeyRecord) -> serde_json::Value {
    serde_json::json!({
        "id": record.id,
        "prefix": keys.format().display_prefix(&record.id),
        "owner": record.owner,
        "name": record.name,
        "scopes": record.scopes,
        "created_at": rfc3339(record.created_at),
        "expires_at": record.expires_at.map(rfc3339),
        "last_used_at": record.last_used_at.map(rfc3339),
        "revoked": record.revoked_at.is_some(),
    })
}

/// An owner id or key name must be visible text: no control, bidi-override
/// or invisible character (they would mislead whoever reads a listing).
fn visible(flag: &str, text: &str, max_chars: usize) -> Result<(), Failure> {
    if text.trim().is_empty() || text.chars().count() > max_chars {
        return Err(Failure::new(format!(
            "{flag}: must have 1 to {max_chars} characters"
        )));
    }
    shieldwall_validate::rules::visible(text).map_err(|_| {
        Failure::new(format!(
            "{flag}: must not contain invisible or control characters"
        ))
    })
}

pub(crate) async fn create(args: CreateArgs) -> Result<(), Failure> {
    visible("--owner", &args.owner, 255)?;
    visible("--name", &args.name, 100)?;
    let scopes: Vec<String> = if args.scopes.is_empty() {
        demo::DEFAULT_SCOPES
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    } else {
        args.scopes
    };
    let keys = connect(&args.redis).await?;
    let mut new = NewKey::new(args.owner, args.name, scopes);
    if let Some(days) = args.expires_in_days {
        new = new.expires_in(Duration::from_secs(u64::from(days) * 86_400));
    }
    let created = keys.create(new).await.map_err(|e| match e {
        CreateError::Store(e) => store_failure(&e),
        other => Failure::caused("--scope", &other),
    })?;
    output::line(&view(&keys, &created.record).to_string())?;
    // The only place the key is ever shown: alone, on the last line.
    let key = Zeroizing::new(created.key.reveal());
    output::line(&key)
}

pub(crate) async fn list(args: ListArgs) -> Result<(), Failure> {
    let keys = connect(&args.redis).await?;
    let records = keys
        .list(&args.owner)
        .await
        .map_err(|e| store_failure(&e))?;
    for record in &records {
        output::line(&view(&keys, record).to_string())?;
    }
    Ok(())
}

pub(crate) async fn revoke(args: RevokeArgs) -> Result<(), Failure> {
    let id = args.id.as_str();
    let well_formed =
        id.len() == shieldwall_keys::ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric());
    if !well_formed {
        return Err(Failure::new(format!(
            "ID: not a key id ({} letters and digits, as `keys list` shows)",
            shieldwall_keys::ID_LEN
        )));
    }
    let keys = connect(&args.redis).await?;
    let not_found = || Failure::new(format!("no key with id {id}"));
    let record = keys
        .store()
        .find(id)
        .await
        .map_err(|e| store_failure(&e))?
        .ok_or_else(not_found)?;
    if !keys
        .revoke(&record.owner, id)
        .await
        .map_err(|e| store_failure(&e))?
    {
        return Err(not_found());
    }
    let revoked = keys
        .store()
        .find(id)
        .await
        .map_err(|e| store_failure(&e))?
        .ok_or_else(not_found)?;
    output::line(&view(&keys, &revoked).to_string())
}
