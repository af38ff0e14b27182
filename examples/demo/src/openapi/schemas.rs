//! The bodies of the demo's routes, briefly, as schema components.

use shieldwall_openapi::utoipa::openapi::schema::{
    ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type,
};
use shieldwall_openapi::utoipa::openapi::{Components, ComponentsBuilder, Ref, RefOr};

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

/// The bodies of the routes, briefly.
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
            object(vec![
                ("email", string("A demo user's email.").into(), true),
                ("password", string("Its password.").into(), true),
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
            object(vec![
                (
                    "name",
                    string("1 to 100 visible characters.")
                        .min_length(Some(1))
                        .max_length(Some(100))
                        .into(),
                    false,
                ),
                (
                    "scopes",
                    strings("Default `users:read`, `users:write`.").into(),
                    false,
                ),
                (
                    "expires_in_days",
                    integer("Days until it expires.").into(),
                    false,
                ),
            ]),
        )
        .schema("CreatedKeyResponse", object(key_fields(true)))
        .schema("KeyView", object(key_view))
        .schema(
            "CreateUserRequest",
            object(vec![
                (
                    "email",
                    string("A valid email address, at most 255 characters.")
                        .max_length(Some(255))
                        .into(),
                    true,
                ),
                (
                    "name",
                    string("1 to 100 characters; markup is removed.")
                        .min_length(Some(1))
                        .max_length(Some(100))
                        .into(),
                    true,
                ),
                (
                    "age",
                    integer("0 to 150.")
                        .minimum(Some(0))
                        .maximum(Some(150))
                        .into(),
                    false,
                ),
                (
                    "bio",
                    string("At most 10 000 characters of HTML, sanitized.")
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
            object(vec![
                (
                    "to",
                    string("The payee: 1 to 64 visible characters.")
                        .min_length(Some(1))
                        .max_length(Some(64))
                        .into(),
                    true,
                ),
                (
                    "amount",
                    integer("A positive amount in the currency's smallest unit.")
                        .minimum(Some(1))
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
