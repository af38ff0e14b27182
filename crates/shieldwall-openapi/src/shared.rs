//! The answers every route can give, whatever protects it.

use shieldwall_errors::ErrorCode;
use utoipa::openapi::OpenApi;
use utoipa::openapi::path::{Operation, PathItem};

use crate::components::install_missing;
use crate::headers;
use crate::responses::{Cause, Refusal, add_to_every_response};

/// The paragraph [`SharedResponses::cors_preflight`] adds to the
/// document's `info.description`.
pub const CORS_PREFLIGHT_DESCRIPTION: &str = "CORS preflights are not listed as operations. On \
every path, a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered \
before any authentication, rate limit or route: 204 with `Access-Control-Allow-Origin`, \
`Access-Control-Allow-Methods` and `Access-Control-Allow-Headers` (and \
`Access-Control-Allow-Credentials`, `Access-Control-Max-Age` when configured) when the origin, \
the method and every requested header are allowed; 403 `CORS_FORBIDDEN` otherwise, a problem \
without CORS headers. An `OPTIONS` that is not a preflight is 405 `METHOD_NOT_ALLOWED`. Any \
other request from an origin that is not allowed is answered as usual, only without \
`Access-Control-Allow-Origin`, so that a browser keeps the answer from the page: CORS protects \
a browser's user, it does not refuse requests.";

/// What every route of a shieldwall server can answer whatever protects it,
/// stated once for the whole document: the refusals of the outermost layer
/// (`ShieldwallLayer` / `Shieldwall` and its `Perimeter`), of the router,
/// and of a CORS policy in front of the routes.
///
/// | setter | the layer | adds |
/// |---|---|---|
/// | [`new`](Self::new) | the router; the outermost layer | 405 `METHOD_NOT_ALLOWED` with `Allow`; 500 `INTERNAL_ERROR` (a panic included) |
/// | [`https_required`](Self::https_required) | a `Perimeter` whose headers policy requires HTTPS | 403 `HTTPS_REQUIRED` |
/// | [`cors_preflight`](Self::cors_preflight) | `CorsPolicy` in front of the routes | [`CORS_PREFLIGHT_DESCRIPTION`] in `info.description` (preflights are not operations) |
///
/// Every response gets `X-Request-Id`. A status an operation already
/// documents is merged as [`Protection::apply`](crate::Protection::apply)
/// merges it: a problem response gains the codes it does not name yet.
///
/// Apply it before each operation's [`Protection`](crate::Protection), so
/// that a rate-limited protection adds `RateLimit` and `RateLimit-Policy`
/// to these responses too (a wrong method on a counted path is counted).
///
/// ```
/// use shieldwall_openapi::{Protection, SharedResponses};
/// use shieldwall_openapi::utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
/// use shieldwall_openapi::utoipa::openapi::{Info, OpenApi, PathsBuilder, ResponseBuilder};
///
/// let me = OperationBuilder::new()
///     .response("200", ResponseBuilder::new().description("Who you are."))
///     .build();
/// let mut openapi = OpenApi::new(
///     Info::new("My API", "1.0.0"),
///     PathsBuilder::new().path("/me", PathItem::new(HttpMethod::Get, me)),
/// );
/// // Shared answers first, then what protects each operation.
/// SharedResponses::new()
///     .https_required(true)
///     .cors_preflight()
///     .apply_to_all(&mut openapi);
/// Protection::new()
///     .api_key(["me:read"])?
///     .apply_to(&mut openapi, HttpMethod::Get, "/me")?;
///
/// let json: serde_json::Value = serde_json::from_str(&openapi.to_json()?)?;
/// let responses = &json["paths"]["/me"]["get"]["responses"];
/// let statuses: Vec<&String> = responses.as_object().unwrap().keys().collect();
/// assert_eq!(statuses, ["200", "400", "401", "403", "405", "500", "503"]);
/// let forbidden = responses["403"]["description"].as_str().unwrap();
/// assert!(forbidden.contains("`HTTPS_REQUIRED`") && forbidden.contains("`INSUFFICIENT_SCOPE`"));
/// assert!(responses["405"]["headers"]["Allow"].is_object());
/// assert!(json["info"]["description"].as_str().unwrap().contains("`CORS_FORBIDDEN`"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SharedResponses {
    https_required: bool,
    cors_preflight: bool,
}

impl SharedResponses {
    /// What every shieldwall server answers: 405 with `Allow` for a method
    /// a path lacks, 500 for an unexpected failure.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the perimeter refuses plain HTTP (403 `HTTPS_REQUIRED` on
    /// every route): the same value as the server's setting.
    #[must_use]
    pub fn https_required(mut self, required: bool) -> Self {
        self.https_required = required;
        self
    }

    /// A CORS policy answers preflights in front of the routes: said in
    /// the document's description ([`CORS_PREFLIGHT_DESCRIPTION`]), since a
    /// preflight is no operation of the API.
    #[must_use]
    pub fn cors_preflight(mut self) -> Self {
        self.cors_preflight = true;
        self
    }

    /// Whether plain HTTP is refused.
    #[must_use]
    pub fn is_https_required(&self) -> bool {
        self.https_required
    }

    /// The statuses added to every operation, ascending.
    #[must_use]
    pub fn statuses(&self) -> Vec<u16> {
        self.refusals().iter().map(|r| r.status).collect()
    }

    /// Documents these answers on `operation`, and `X-Request-Id` on every
    /// response it has. Applying twice changes nothing.
    pub fn apply(&self, operation: &mut Operation) {
        for refusal in self.refusals() {
            refusal.add_to(operation);
        }
        add_to_every_response(operation, headers::REQUEST_ID, headers::request_id);
    }

    /// [`SharedResponses::apply`] to every operation of `openapi`, the
    /// preflight paragraph to its `info.description` (once) when asked
    /// for, and the components they refer to when the document lacks them.
    pub fn apply_to_all(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                self.apply(operation);
            }
        }
        if self.cors_preflight {
            let description = openapi.info.description.get_or_insert_with(String::new);
            if !description.contains(CORS_PREFLIGHT_DESCRIPTION) {
                if !description.is_empty() {
                    description.push_str("\n\n");
                }
                description.push_str(CORS_PREFLIGHT_DESCRIPTION);
            }
        }
        install_missing(openapi);
    }

    fn refusals(&self) -> Vec<Refusal> {
        let cause = |code, why: &str| -> Vec<Cause> { vec![(code, why.to_owned())] };
        let mut refusals = Vec::new();
        if self.https_required {
            refusals.push(Refusal {
                status: 403,
                causes: cause(
                    ErrorCode::HttpsRequired,
                    "the request came over plain HTTP (by its connection, or by the \
                     `X-Forwarded-Proto` of a trusted proxy), on any path; refused rather than \
                     redirected, since what it carried crossed the network in the clear: \
                     replace any credential it sent",
                ),
                headers: Vec::new(),
            });
        }
        let wrong_method = if self.cors_preflight {
            "the path has no operation for this method (an `OPTIONS` that is not a CORS \
             preflight included); `Allow` lists the methods it has"
        } else {
            "the path has no operation for this method; `Allow` lists the methods it has"
        };
        refusals.push(Refusal {
            status: 405,
            causes: cause(ErrorCode::MethodNotAllowed, wrong_method),
            headers: vec![(headers::ALLOW, headers::allow())],
        });
        refusals.push(Refusal {
            status: 500,
            causes: cause(
                ErrorCode::InternalError,
                "an unexpected failure in the server (a panic included); the body says nothing \
                 more",
            ),
            headers: Vec::new(),
        });
        refusals
    }
}

/// The operations of a path item.
fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}
