//! The bodies of the demo's routes, briefly, as schema components.

use shieldwall_openapi::utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat,
    SchemaType, Type,
};
use shieldwall_openapi::utoipa::openapi::{Components, ComponentsBuilder, Ref, RefOr};

use crate::{ALLOWED_SCOPES, DEFAULT_SCOPES};

pub(super) fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

fn integer(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .description(Some(description))
}

fn nullable_string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .description(Some(description))
}

/// An optional field that may also be sent as `null` (serde's `Option`:
/// `null` is the same as leaving it out).
fn or_null(schema_type: Type) -> SchemaType {
    SchemaType::from_iter([schema_type, Type::Null])
}

fn strings(description: &str) -> ArrayBuilder {
    ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::String))
        .description(Some(description))
}

/// An object: `(name, schema, required)` for each property.
fn object(properties: Vec<(&str, RefOr<Schema>, bool)>) -> ObjectBuilder {
    let mut object = ObjectBuilder::new().schema_type(Type::Object);
    for (name, schema, required) in properties {
        object = object.property(name, schema);
        if required {
            object = object.required(name);
        }
    }
    object
}

/// A request body whose type refuses unknown fields
/// (`#[serde(deny_unknown_fields)]`: 400 `VALIDATION_FAILED`,
/// `unknown_field`).
fn closed(properties: Vec<(&str, RefOr<Schema>, bool)>) -> ObjectBuilder {
    object(properties).additional_properties(Some(AdditionalProperties::FreeForm(false)))
}

/// The bodies of the routes, briefly; a request body's bounds are the ones
/// its type enforces (`keys.rs`, `auth.rs`, `directory.rs`, `transfers.rs`).
pub(super) fn schemas() -> Components {
    let scopes = "Of `users:read`, `users:write`, `transfers:write`.";
    let key_fields = |with_secret: bool| {
        let mut fields = vec![("id", string("The key's id.").into(), true)];
        if with_secret {
            fields.push((
                "key",
                string("The whole key: shown only once.").into(),
                true,
            ));
        }
        fields.extend([
            ("prefix", string("The key's public prefix.").into(), true),
            ("name", string("Its name.").into(), true),
            ("scopes", strings(scopes).into(), true),
            ("created_at", string("RFC 3339.").into(), true),
            (
                "expires_at",
                nullable_string("RFC 3339, or null.").into(),
                true,
            ),
        ]);
        fields
    };
    let mut key_view = key_fields(false);
    key_view.extend([
        (
            "last_used_at",
            nullable_string("RFC 3339, or null.").into(),
            true,
        ),
        (
            "revoked",
            ObjectBuilder::new().schema_type(Type::Boolean).into(),
            true,
        ),
    ]);
    let user = vec![
        ("id", string("The user's id.").into(), true),
        ("email", string("An email address.").into(), true),
        (
            "name",
            string("Plain text: escape it where it is rendered.").into(),
            true,
        ),
        ("age", integer("0 to 150.").into(), false),
        ("bio", string("Sanitized HTML.").into(), false),
        ("created_at", string("RFC 3339.").into(), true),
    ];
    ComponentsBuilder::new()
        .schema(
            "Health",
            object(vec![(
                "status",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["ok"]))
                    .into(),
                true,
            )]),
        )
        .schema(
            "LoginRequest",
            closed(vec![
                (
                    "email",
                    string("A demo user's email: 1 to 255 bytes (UTF-8).")
                        .min_length(Some(1))
                        .max_length(Some(255))
                        .into(),
                    true,
                ),
                (
                    "password",
                    string("Its password: 1 to 1024 bytes (UTF-8).")
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
                        .min_length(Some(1))
                        .max_length(Some(1024))
                        .into(),
                    true,
                ),
            ]),
        )
        .schema(
            "TokenResponse",
            object(vec![
                ("access_token", string("A JWT (HS256).").into(), true),
                (
                    "token_type",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some(["Bearer"]))
                        .into(),
                    true,
                ),
                ("expires_in", integer("Seconds.").into(), true),
            ]),
        )
        .schema(
            "Me",
            object(vec![
                ("id", string("The user's id.").into(), true),
                ("email", string("An email address.").into(), true),
                ("name", string("A display name.").into(), true),
            ]),
        )
        .schema(
            "CreateKeyRequest",
            closed(vec![
                (
                    "name",
                    ObjectBuilder::new()
                        .schema_type(or_null(Type::String))
                        .description(Some(
                            "1 to 100 characters, not only spaces, none of them invisible \
                             (control, bidi-override, zero-width); default `default`.",
                        ))
                        .min_length(Some(1))
                        .max_length(Some(100))
                        .default(Some("default".into()))
                        .into(),
                    false,
                ),
                (
                    "scopes",
                    ArrayBuilder::new()
                        .schema_type(or_null(Type::Array))
                        .items(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .enum_values(Some(ALLOWED_SCOPES)),
                        )
                        .min_items(Some(1))
                        .default(Some(DEFAULT_SCOPES.to_vec().into()))
                        .description(Some(
                            "At least one; a scope given twice is stored once; default \
                             `users:read`, `users:write`.",
                        ))
                        .into(),
                    false,
                ),
                (
                    "expires_in_days",
                    ObjectBuilder::new()
                        .schema_type(or_null(Type::Integer))
                        .description(Some("Days until it expires, 1 to 365; default: never."))
                        .minimum(Some(1))
                        .maximum(Some(365))
                        .into(),
                    false,
                ),
            ]),
        )
        .schema("CreatedKeyResponse", object(key_fields(true)))
        .schema("KeyView", object(key_view))
        .schema(
            "CreateUserRequest",
            closed(vec![
                (
                    "email",
                    string("A valid email address, at most 255 characters, none invisible.")
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
                        .max_length(Some(255))
                        .into(),
                    true,
                ),
                (
                    "name",
                    string(
                        "1 to 100 characters, and not empty once markup and invisible \
                         characters are removed and spaces trimmed: stored as that plain text.",
                    )
                    .min_length(Some(1))
                    .max_length(Some(100))
                    .into(),
                    true,
                ),
                (
                    "age",
                    ObjectBuilder::new()
                        .schema_type(or_null(Type::Integer))
                        .description(Some("0 to 150."))
                        .minimum(Some(0))
                        .maximum(Some(150))
                        .into(),
                    false,
                ),
                (
                    "bio",
                    ObjectBuilder::new()
                        .schema_type(or_null(Type::String))
                        .description(Some("At most 10 000 characters of HTML, sanitized."))
                        .max_length(Some(10_000))
                        .into(),
                    false,
                ),
            ]),
        )
        .schema("User", object(user))
        .schema(
            "UserPage",
            object(vec![
                (
                    "data",
                    ArrayBuilder::new()
                        .items(Ref::from_schema_name("User"))
                        .into(),
                    true,
                ),
                ("page", integer("This page, from 1.").into(), true),
                ("limit", integer("Page size.").into(), true),
                ("total", integer("Users in all pages.").into(), true),
            ]),
        )
        .schema(
            "TransferRequest",
            closed(vec![
                (
                    "to",
                    string("The payee: 1 to 64 characters, none invisible.")
                        .min_length(Some(1))
                        .max_length(Some(64))
                        .into(),
                    true,
                ),
                (
                    "amount",
                    integer("A positive amount in the currency's smallest unit.")
                        .minimum(Some(1))
                        .maximum(Some(u64::MAX))
                        .into(),
                    true,
                ),
                (
                    "currency",
                    string("Three uppercase letters.")
                        .pattern(Some("^[A-Z]{3}$"))
                        .into(),
                    true,
                ),
            ]),
        )
        .schema(
            "Transfer",
            object(vec![
                ("id", string("`tr_` and a number.").into(), true),
                ("to", string("The payee.").into(), true),
                ("amount", integer("The amount.").into(), true),
                ("currency", string("The currency.").into(), true),
            ]),
        )
        .build()
}
