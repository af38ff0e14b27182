//! The problem+json body (RFC 9457) every shieldwall refusal carries, as a schema.

use shieldwall_errors::{CustomCode, ErrorCode};
use utoipa::openapi::Ref;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaFormat, Type};

/// The name of the problem schema under `components/schemas`.
pub const PROBLEM_SCHEMA: &str = "Problem";
/// The name of the field error schema under `components/schemas`.
pub const FIELD_ERROR_SCHEMA: &str = "FieldError";

/// The `application/problem+json` body of every refusal, as the adapters
/// render it: `type`, `title`, `status`, `code`, `detail` (optional),
/// `errors` (validation only) and `request_id`.
///
/// `code` is an enumeration of every one of shieldwall's codes
/// ([`ErrorCode::ALL`]), followed by `custom` (an application's own
/// [`CustomCode`]s, in the order given).
#[must_use]
pub fn problem_schema<I>(custom: I) -> Schema
where
    I: IntoIterator<Item = CustomCode>,
{
    let codes: Vec<&'static str> = ErrorCode::ALL
        .iter()
        .map(|code| code.as_str())
        .chain(custom.into_iter().map(|code| code.as_str()))
        .collect();
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "An RFC 9457 problem: every error answer, as `application/problem+json`. A 5xx \
             carries neither `detail` nor `errors`; no body ever holds a submitted secret, the \
             submitted value of a field, or a library's error text.",
        ))
        .property(
            "type",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::Custom("uri-reference".to_owned())))
                .description(Some(
                    "The problem type: `about:blank` unless the service names its own types.",
                )),
        )
        .required("type")
        .property(
            "title",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("A fixed summary of the code.")),
        )
        .required("title")
        .property(
            "status",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(400))
                .maximum(Some(599))
                .description(Some("The HTTP status, repeated.")),
        )
        .required("status")
        .property(
            "code",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(codes))
                .description(Some(
                    "The stable machine code: what a client branches on (the `title` may change).",
                )),
        )
        .required("code")
        .property(
            "detail",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("A safe explanation of this occurrence.")),
        )
        .property(
            "errors",
            ArrayBuilder::new()
                .items(Ref::from_schema_name(FIELD_ERROR_SCHEMA))
                .description(Some(
                    "`VALIDATION_FAILED` only: one entry for each field that broke a rule.",
                )),
        )
        .property(
            "request_id",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(128))
                .description(Some(
                    "The request's id, as in the `X-Request-Id` response header.",
                )),
        )
        .required("request_id")
        .build()
        .into()
}

/// One field that broke a rule, as listed in the `errors` of a
/// `VALIDATION_FAILED` problem: `field`, `code`, `message`.
#[must_use]
pub fn field_error_schema() -> Schema {
    let text = |description: &'static str| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(description))
    };
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            "field",
            text("The field's path in the request: `address.zip`, `items[2].qty`."),
        )
        .required("field")
        .property(
            "code",
            text("A stable rule code such as `length` or `invalid_type`."),
        )
        .required("code")
        .property(
            "message",
            text("A fixed explanation; never the submitted value."),
        )
        .required("message")
        .build()
        .into()
}
