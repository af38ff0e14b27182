//! Writing a protection into an operation of a document.

use utoipa::openapi::path::{HttpMethod, Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{OpenApi, Required};

use crate::components::install_missing;
use crate::responses::add_to_every_response;
use crate::{OpenApiConfigError, Protection, headers};

/// The request headers of a signed request.
const SIGNATURE_HEADERS: [(&str, &str); 3] = [
    (
        "Signature",
        "RFC 9421 signature (`hmac-sha256` or `ed25519`).",
    ),
    (
        "Signature-Input",
        "RFC 9421 signature parameters: covered components at least `\"@method\" \
         \"@target-uri\" \"content-digest\" \"content-type\"`; `created`, `keyid` and `nonce` \
         required.",
    ),
    (
        "Content-Digest",
        "RFC 9530 digest of the raw body: `sha-256=:...:`.",
    ),
];

impl Protection {
    /// Documents these layers on `operation`: sets its security (replacing
    /// what it had; `[]` for a public operation), adds each refusal these
    /// layers can answer, the signature request headers when signed, and
    /// to every response `X-Request-Id` (and `RateLimit`,
    /// `RateLimit-Policy` when rate limited).
    ///
    /// A status the operation already documents is merged: a problem
    /// response gains the codes (`` `CODE`: why. ``) its description does
    /// not name yet and the headers it lacks; any other response keeps its
    /// description and gains the headers. Applying twice changes nothing.
    ///
    /// Call it after describing the operation's own responses (and after
    /// [`SharedResponses`](crate::SharedResponses)), so that they get the
    /// headers too; the document needs the components too
    /// ([`install`](crate::install), or use [`Protection::apply_to`]).
    pub fn apply(&self, operation: &mut Operation) {
        operation.security = Some(self.security());
        for refusal in self.refusals() {
            refusal.add_to(operation);
        }
        add_to_every_response(operation, headers::REQUEST_ID, headers::request_id);
        if self.is_rate_limited() {
            add_to_every_response(operation, headers::RATE_LIMIT, headers::rate_limit);
            add_to_every_response(
                operation,
                headers::RATE_LIMIT_POLICY,
                headers::rate_limit_policy,
            );
        }
        if self.is_signed() {
            let parameters = operation.parameters.get_or_insert_with(Vec::new);
            for (name, description) in SIGNATURE_HEADERS {
                let known = parameters.iter().any(|p| {
                    p.parameter_in == ParameterIn::Header && p.name.eq_ignore_ascii_case(name)
                });
                if !known {
                    parameters.push(
                        ParameterBuilder::new()
                            .name(name)
                            .parameter_in(ParameterIn::Header)
                            .required(Required::True)
                            .description(Some(description))
                            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                            .build(),
                    );
                }
            }
        }
    }

    /// [`Protection::apply`] to the operation `method` `path` of `openapi`,
    /// adding the components it refers to when the document lacks them.
    /// An operation the document does not hold is
    /// [`OpenApiConfigError::NoSuchOperation`].
    pub fn apply_to(
        &self,
        openapi: &mut OpenApi,
        method: HttpMethod,
        path: &str,
    ) -> Result<(), OpenApiConfigError> {
        let operation = operation_mut(openapi, &method, path)?;
        self.apply(operation);
        install_missing(openapi);
        Ok(())
    }
}

/// The operation `method` `path` of `openapi`, or
/// [`OpenApiConfigError::NoSuchOperation`].
fn operation_mut<'a>(
    openapi: &'a mut OpenApi,
    method: &HttpMethod,
    path: &str,
) -> Result<&'a mut Operation, OpenApiConfigError> {
    let missing = || OpenApiConfigError::NoSuchOperation {
        method: method_name(method),
        path: path.to_owned(),
    };
    let item = openapi.paths.paths.get_mut(path).ok_or_else(missing)?;
    match method {
        HttpMethod::Get => item.get.as_mut(),
        HttpMethod::Put => item.put.as_mut(),
        HttpMethod::Post => item.post.as_mut(),
        HttpMethod::Delete => item.delete.as_mut(),
        HttpMethod::Options => item.options.as_mut(),
        HttpMethod::Head => item.head.as_mut(),
        HttpMethod::Patch => item.patch.as_mut(),
        HttpMethod::Trace => item.trace.as_mut(),
    }
    .ok_or_else(missing)
}

fn method_name(method: &HttpMethod) -> &'static str {
    match method {
        HttpMethod::Get => "GET",
        HttpMethod::Put => "PUT",
        HttpMethod::Post => "POST",
        HttpMethod::Delete => "DELETE",
        HttpMethod::Options => "OPTIONS",
        HttpMethod::Head => "HEAD",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Trace => "TRACE",
    }
}
