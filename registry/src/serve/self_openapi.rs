//! The service's own OpenAPI description, `GET /v1/openapi.json`: hand-written JSON kept next to
//! the routes (`openapi.json`), served as it is. A test checks that it describes exactly the
//! routes of [`super::ROUTES`], and `scripts/schemathesis` checks the running service against it.

use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use serde_json::Value;

const DESCRIPTION: &str = include_str!("openapi.json");

/// The description as a JSON value.
pub fn description() -> Value {
    serde_json::from_str(DESCRIPTION).expect("openapi.json is JSON (a test parses it)")
}

pub(super) async fn describe() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], DESCRIPTION)
}
