#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

mod crc32;
mod digest;
mod error;
mod format;
mod guard;
mod manager;
mod record;
mod recorder;
mod reveal;
mod store;

pub use digest::{KeyDigest, KeyHasher};
pub use error::{KeyConfigError, KeyErrorKind, KeyRejection};
pub use format::{CHECKSUM_LEN, ID_LEN, KeyFormat, Malformed, ParsedKey, SECRET_LEN};
pub use guard::ApiKeyGuard;
pub use manager::{ApiKeys, ApiKeysBuilder, CreateError, CreatedKey, NewKey};
pub use record::KeyRecord;
pub use reveal::RevealOnce;
pub use store::{AnyKeyStore, KeyStore, MemoryKeyStore};
#[cfg(feature = "redis")]
pub use store::{RedisKeyStore, RedisKeyStoreConfig};
