//! `POST /api/v1/transfers`: the framework-free parts. The API key guard
//! (scope `transfers:write`) and the request signature guard run before the
//! handler; the handler only validates the body and records the transfer.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use shieldwall_validate::{Sanitize, Validate, rules};
use validator::ValidationError;

/// `POST /api/v1/transfers` body: read by `Valid<Json<TransferRequest>>`.
#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// The payee: 1 to 64 characters, nothing invisible in them.
    #[validate(length(min = 1, max = 64), custom(function = "rules::visible"))]
    pub to: String,
    /// A positive whole amount, in the currency's smallest unit.
    #[validate(range(min = 1))]
    pub amount: u64,
    /// Three uppercase letters (`EUR`).
    #[validate(custom(function = "currency_code"))]
    pub currency: String,
}

/// Nothing is cleaned: a transfer's fields are refused, never rewritten
/// (a payee silently changed is a different payee).
impl Sanitize for TransferRequest {}

fn currency_code(code: &str) -> Result<(), ValidationError> {
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(ValidationError::new("currency")
            .with_message(Cow::Borrowed("must be three uppercase letters")))
    }
}

/// A recorded transfer, as `201` answers it.
#[derive(Clone, Debug, Serialize)]
pub struct Transfer {
    /// `tr_` and a number.
    pub id: String,
    /// The payee.
    pub to: String,
    /// The amount.
    pub amount: u64,
    /// The currency.
    pub currency: String,
}

/// Transfers of this process (the demo moves no money).
#[derive(Debug, Default)]
pub struct Transfers {
    next: AtomicU64,
}

impl Transfers {
    /// Records `request`.
    pub fn record(&self, request: TransferRequest) -> Transfer {
        let n = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        Transfer {
            id: format!("tr_{n}"),
            to: request.to,
            amount: request.amount,
            currency: request.currency,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(to: &str, amount: u64, currency: &str) -> TransferRequest {
        TransferRequest {
            to: to.into(),
            amount,
            currency: currency.into(),
        }
    }

    #[test]
    fn the_rules_of_demo_api() {
        assert!(request("bob", 1, "EUR").validate().is_ok());
        assert!(request(&"b".repeat(64), 1, "EUR").validate().is_ok());
        assert!(request("", 1, "EUR").validate().is_err());
        assert!(request(&"b".repeat(65), 1, "EUR").validate().is_err());
        assert!(request("b\u{202e}ob", 1, "EUR").validate().is_err());
        assert!(request("bob", 0, "EUR").validate().is_err());
        for bad in ["eur", "EU", "EURO", "E1R", "ÉUR"] {
            assert!(request("bob", 1, bad).validate().is_err(), "{bad}");
        }
        let transfers = Transfers::default();
        assert_eq!(transfers.record(request("bob", 5, "EUR")).id, "tr_1");
        assert_eq!(transfers.record(request("bob", 5, "EUR")).id, "tr_2");
    }
}
