//! Writing a protection into an operation of a document.

use utoipa::openapi::path::{HttpMethod, Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{OpenApi, RefOr, Required};

use crate::components::install_missing;
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
    /// layers can answer (a status the operation already documents keeps its
    /// description and gains the headers), the signature request headers
    /// when signed, and to every response `X-Request-Id` (and `RateLimit`,
    /// `RateLimit-Policy` when rate limited).
    ///
    /// Call it after describing the operation's own responses, so that they
    /// get the headers too; the document needs the components too
    /// ([`install`](crate::install), or use [`Protection::apply_to`]).
    pub fn apply(&self, operation: &mut Operation) {
        operation.security = Some(self.security());
        for (status, refusal) in self.responses() {
            match operation.responses.responses.entry(status.to_string()) {
                std::collections::btree_map::Entry::Vacant(vacant) => {
                    vacant.insert(RefOr::T(refusal));
                }
                std::collections::btree_map::Entry::Occupied(mut occupied) => {
                    if let RefOr::T(own) = occupied.get_mut() {
                        for (name, header) in refusal.headers {
                            own.headers.entry(name).or_insert(header);
                        }
                    }
                }
            }
        }
        for response in operation.responses.responses.values_mut() {
            // A reference is described where it is defined.
            let RefOr::T(response) = response else {
                continue;
            };
            let headers = &mut response.headers;
            headers
                .entry(headers::REQUEST_ID.to_owned())
                .or_insert_with(headers::request_id);
            if self.is_rate_limited() {
                headers
                    .entry(headers::RATE_LIMIT.to_owned())
                    .or_insert_with(headers::rate_limit);
                headers
                    .entry(headers::RATE_LIMIT_POLICY.to_owned())
                    .or_insert_with(headers::rate_limit_policy);
            }
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
        let missing = || OpenApiConfigError::NoSuchOperation {
            method: method_name(&method),
            path: path.to_owned(),
        };
        let item = openapi.paths.paths.get_mut(path).ok_or_else(missing)?;
        let operation = match method {
            HttpMethod::Get => item.get.as_mut(),
            HttpMethod::Put => item.put.as_mut(),
            HttpMethod::Post => item.post.as_mut(),
            HttpMethod::Delete => item.delete.as_mut(),
            HttpMethod::Options => item.options.as_mut(),
            HttpMethod::Head => item.head.as_mut(),
            HttpMethod::Patch => item.patch.as_mut(),
            HttpMethod::Trace => item.trace.as_mut(),
        }
        .ok_or_else(missing)?;
        self.apply(operation);
        install_missing(openapi);
        Ok(())
    }
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
