//! validator's errors as one 400 `VALIDATION_FAILED`: fields by the names the
//! client sent (serde's), nested as `address.zip` and `items[2].qty`, with a
//! stable code and a fixed message that never holds the submitted value.

use std::borrow::Cow;

use serde_json::Value;
use shieldwall_core::field_name;
use shieldwall_errors::{ApiError, FieldError};
use validator::{ValidationError, ValidationErrors, ValidationErrorsKind};

use crate::names::client_name;

/// The error for `errors` found on a value of a type whose serde field names
/// are `fields`; `sent` is what the client sent (a JSON body, the query as an
/// object), which names the fields of nested values.
#[must_use]
pub fn validation_failed(
    errors: &ValidationErrors,
    fields: &[&str],
    sent: Option<&Value>,
) -> ApiError {
    let mut out = Vec::new();
    collect(errors, "", fields, sent, &mut out);
    out.sort_by(|a, b| (&a.field, &a.code).cmp(&(&b.field, &b.code)));
    ApiError::invalid_fields().with_field_errors(out)
}

fn collect(
    errors: &ValidationErrors,
    prefix: &str,
    fields: &[&str],
    sent: Option<&Value>,
    out: &mut Vec<FieldError>,
) {
    // The names this level is known by: the type's own when known (the top
    // level), and the keys the client sent at this level.
    let sent_keys: Vec<&str> = match sent {
        Some(Value::Object(map)) => map.keys().map(String::as_str).collect(),
        _ => Vec::new(),
    };
    for (rust, kind) in errors.errors() {
        let name = client_name(rust, fields, &sent_keys);
        // Shown only when a plain identifier, as every name in a path is.
        let shown = field_name(name);
        let path = if prefix.is_empty() {
            shown.to_owned()
        } else {
            format!("{prefix}.{shown}")
        };
        let below = sent.and_then(|v| v.get(name));
        match kind {
            ValidationErrorsKind::Field(list) => {
                out.extend(
                    list.iter()
                        .map(|e| FieldError::new(path.clone(), e.code.clone(), message(e))),
                );
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, &[], below, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    let item = below.and_then(|v| v.get(index));
                    collect(inner, &format!("{path}[{index}]"), &[], item, out);
                }
            }
        }
    }
}

/// A parameter the rule was declared with (`min`, `max`, ...): from the
/// type, never from the request.
fn param(error: &ValidationError, name: &str) -> Option<String> {
    error.params.get(name).map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

fn bounds(error: &ValidationError, what: &str) -> String {
    if let Some(equal) = param(error, "equal") {
        return format!("must {what} exactly {equal}");
    }
    match (param(error, "min"), param(error, "max")) {
        (Some(min), Some(max)) => format!("must {what} between {min} and {max}"),
        (Some(min), None) => format!("must {what} at least {min}"),
        (None, Some(max)) => format!("must {what} at most {max}"),
        (None, None) => format!("must {what} within its bounds"),
    }
}

/// The fixed message of a rule. A developer's own message on a custom rule
/// is used unless it quotes the submitted value.
fn message(error: &ValidationError) -> Cow<'static, str> {
    match error.code.as_ref() {
        "length" => bounds(error, "have a length").into(),
        "range" => match (param(error, "exclusive_min"), param(error, "exclusive_max")) {
            (Some(min), Some(max)) => {
                format!("must be greater than {min} and less than {max}").into()
            }
            (Some(min), None) => format!("must be greater than {min}").into(),
            (None, Some(max)) => format!("must be less than {max}").into(),
            (None, None) => bounds(error, "be").into(),
        },
        "email" => "must be an email address".into(),
        "url" => "must be a URL".into(),
        "required" => "is required".into(),
        "regex" => "has an invalid format".into(),
        "must_match" => match param(error, "other") {
            Some(other) => format!("must match {other}").into(),
            None => "must match its confirmation".into(),
        },
        "contains" => "must contain the required text".into(),
        "does_not_contain" => "contains text that is not allowed".into(),
        "non_control_character" => "must not contain control characters".into(),
        "credit_card" => "must be a card number".into(),
        "ip" | "ipv4" | "ipv6" => "must be an IP address".into(),
        _ => match (&error.message, error.params.get("value")) {
            (Some(text), Some(value)) if !quotes(text, value) => text.clone(),
            (Some(text), None) => text.clone(),
            _ => "is invalid".into(),
        },
    }
}

/// Whether `text` holds the submitted value (as text or as JSON).
fn quotes(text: &str, value: &Value) -> bool {
    let plain = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    !plain.is_empty() && (text.contains(&plain) || text.contains(&value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use validator::Validate;

    #[derive(Debug, serde::Deserialize, Validate)]
    #[serde(rename_all = "camelCase")]
    struct Order {
        #[validate(length(min = 1, max = 5))]
        customer_name: String,
        #[validate(nested)]
        shipping_address: Address,
        #[validate(nested)]
        line_items: Vec<Item>,
        #[validate(custom(function = "no_hunter"))]
        coupon: String,
    }

    #[derive(Debug, serde::Deserialize, Validate)]
    #[serde(rename_all = "camelCase")]
    struct Address {
        #[validate(length(equal = 5))]
        zip_code: String,
    }

    #[derive(Debug, serde::Deserialize, Validate)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    struct Item {
        #[validate(range(min = 1, max = 10))]
        quantity: u32,
    }

    fn no_hunter(value: &str) -> Result<(), ValidationError> {
        if value.contains("hunter") {
            // A careless message that quotes the value.
            return Err(ValidationError::new("bad_coupon")
                .with_message(format!("{value} is not a coupon").into()));
        }
        Ok(())
    }

    #[test]
    fn a_name_that_is_not_a_plain_identifier_is_not_shown() {
        #[derive(Debug, serde::Deserialize, Validate)]
        struct Odd {
            #[serde(rename = "<x>")]
            #[validate(length(min = 2))]
            x: String,
        }
        let sent = serde_json::json!({"<x>": "a"});
        let odd: Odd = serde_json::from_value(sent.clone()).unwrap();
        let fields = crate::names::serde_fields::<Odd>();
        let err = validation_failed(&odd.validate().unwrap_err(), fields, Some(&sent));
        assert_eq!(
            err.problem().errors[0].field,
            shieldwall_core::UNNAMED_FIELD
        );
    }

    #[test]
    fn fields_follow_serde_names_at_every_depth_and_no_value_is_echoed() {
        let sent = serde_json::json!({
            "customerName": "hunter2-long-name",
            "shippingAddress": {"zipCode": "123"},
            "lineItems": [{"QUANTITY": 1}, {"QUANTITY": 99}],
            "coupon": "hunter2"
        });
        let order: Order = serde_json::from_value(sent.clone()).unwrap();
        let errors = order.validate().unwrap_err();
        let fields = crate::names::serde_fields::<Order>();
        let err = validation_failed(&errors, fields, Some(&sent));
        let listed: Vec<(String, String, String)> = err
            .problem()
            .errors
            .iter()
            .map(|e| {
                (
                    e.field.to_string(),
                    e.code.to_string(),
                    e.message.to_string(),
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                ("coupon".into(), "bad_coupon".into(), "is invalid".into()),
                (
                    "customerName".into(),
                    "length".into(),
                    "must have a length between 1 and 5".into()
                ),
                (
                    "lineItems[1].QUANTITY".into(),
                    "range".into(),
                    "must be between 1 and 10".into()
                ),
                (
                    "shippingAddress.zipCode".into(),
                    "length".into(),
                    "must have a length exactly 5".into()
                ),
            ]
        );
        let rendered = String::from_utf8_lossy(err.to_response(None).body()).into_owned();
        assert!(
            !rendered.contains("hunter") && !rendered.contains("99") && !rendered.contains("123"),
            "{rendered}"
        );
    }
}
