//! `POST /v1/hooks/github`: GitHub's push webhook. The body's HMAC-SHA256 under the shared
//! secret must match `X-Hub-Signature-256` (compared in constant time) before anything in it
//! is read. A push to the served branch asks for a reload and answers 202 at once (the reload
//! runs in the background, one at a time; its outcome shows in `/readyz` and `/metrics`).

use super::routes::ApiError;
use super::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// The header GitHub signs the body in: `sha256=<64 hex digits>`.
pub(super) const SIGNATURE_HEADER: &str = "x-hub-signature-256";
/// The header naming the event: `push`, `ping`...
pub(super) const EVENT_HEADER: &str = "x-github-event";

pub(super) async fn github(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let secret = state.webhook_secret().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "webhook_not_configured",
            "this server has no webhook secret (--webhook-secret-file or CUEMESH_WEBHOOK_SECRET), so it takes no webhooks",
        )
    })?;
    let body = body?;
    verify(secret, &headers, &body)?;
    let is_form = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "set the webhook's content type to application/json",
        ));
    }
    let event = headers
        .get(EVENT_HEADER)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "event_missing",
                "no X-GitHub-Event header: which event is this?",
            )
        })?;
    match event {
        "ping" => Ok(Json(json!({"event": "ping", "outcome": "pong"})).into_response()),
        "push" => {
            let payload: Value = serde_json::from_slice(&body).map_err(|error| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_payload",
                    format!("the push payload is not JSON: {error}"),
                )
            })?;
            let pushed = payload["ref"].as_str().ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_payload",
                    "the push payload has no \"ref\" string",
                )
            })?;
            let served = format!("refs/heads/{}", state.index().branch);
            if pushed == served {
                state.request_reload();
                let body = json!({"event": "push", "outcome": "reload_requested", "ref": pushed});
                Ok((StatusCode::ACCEPTED, Json(body)).into_response())
            } else {
                let reason = format!("this server serves {served}");
                let body =
                    json!({"event": "push", "outcome": "ignored", "ref": pushed, "reason": reason});
                Ok(Json(body).into_response())
            }
        }
        other => {
            let body =
                json!({"event": other, "outcome": "ignored", "reason": "only push events reload"});
            Ok(Json(body).into_response())
        }
    }
}

/// Checks `X-Hub-Signature-256` against the HMAC-SHA256 of `body` under `secret`.
fn verify(secret: &[u8], headers: &HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    let unauthorized = |code: &'static str, message: &str| {
        ApiError::new(StatusCode::UNAUTHORIZED, code, message.to_string())
    };
    let signature = headers.get(SIGNATURE_HEADER).ok_or_else(|| {
        unauthorized(
            "signature_missing",
            "no X-Hub-Signature-256 header: the webhook must be signed with the shared secret",
        )
    })?;
    let malformed = || {
        unauthorized(
            "signature_invalid",
            "X-Hub-Signature-256 is not \"sha256=\" and 64 hexadecimal digits",
        )
    };
    let hex = signature
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("sha256="))
        .ok_or_else(malformed)?;
    let expected = decode_hex(hex).ok_or_else(malformed)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&expected).map_err(|_| {
        unauthorized(
            "signature_invalid",
            "X-Hub-Signature-256 does not match the body under this server's secret",
        )
    })
}

/// The 32 bytes of 64 hexadecimal digits (either case).
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    let digit = |byte: u8| char::from(byte).to_digit(16);
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
        .collect()
}

/// The `X-Hub-Signature-256` value GitHub sends for `body` under `secret`.
pub fn github_signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256={hex}")
}

#[cfg(test)]
mod tests {
    use super::{decode_hex, github_signature};

    #[test]
    fn signs_as_github_documents() {
        // The example of GitHub's "Validating webhook deliveries" page.
        assert_eq!(
            github_signature(b"It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn hex_digits_decode_and_anything_else_does_not() {
        let upper = "757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17";
        assert_eq!(decode_hex(upper).map(|bytes| bytes.len()), Some(32));
        assert_eq!(decode_hex(&upper[2..]), None);
        assert_eq!(decode_hex(&format!("{}zz", &upper[2..])), None);
    }
}
