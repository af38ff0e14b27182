//! Logging to standard error, and how much of shieldwall's tracing is on.
//!
//! `SHIELDWALL_LOG` (`off`, `error`, `warn`, `info`, `debug`, `trace`;
//! default `info`) is the level of shieldwall's own events and spans: at
//! `info` every log line carries its request's span (request id, method,
//! client address; the status and route are recorded on the span when the
//! answer leaves, for subscribers that export spans); at `debug` each guard
//! decision has a span too. Other crates log at `info` at most, whatever the
//! setting. Colours only when standard error is a terminal.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The variable.
const VAR: &str = "SHIELDWALL_LOG";

/// The level `SHIELDWALL_LOG` names.
fn level(value: Option<&str>) -> Result<LevelFilter, String> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(LevelFilter::INFO);
    };
    value
        .parse()
        .map_err(|_| format!("{VAR}: must be one of off, error, warn, info, debug, trace"))
}

/// Starts logging.
pub(crate) fn init() -> Result<(), String> {
    let value = std::env::var(VAR).ok();
    let ours = level(value.as_deref())?;
    let filter = Targets::new()
        .with_default(ours.min(LevelFilter::INFO))
        .with_target("shieldwall", ours)
        .with_target("example_demo", ours);
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_max_level(LevelFilter::TRACE)
        .with_target(false)
        .finish()
        .with(filter)
        .try_init()
        .map_err(|e| format!("{VAR}: cannot start logging: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_is_a_word_or_the_default() {
        assert_eq!(level(None), Ok(LevelFilter::INFO));
        assert_eq!(level(Some("")), Ok(LevelFilter::INFO));
        assert_eq!(level(Some("debug")), Ok(LevelFilter::DEBUG));
        assert_eq!(level(Some("off")), Ok(LevelFilter::OFF));
        assert!(
            level(Some("loud"))
                .unwrap_err()
                .starts_with("SHIELDWALL_LOG:")
        );
    }
}
