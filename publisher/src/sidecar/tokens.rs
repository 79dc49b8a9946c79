//! Per-source bearer tokens: which services may publish which sources.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// A map from bearer token to the sources it may publish. Empty means open: anyone may
/// publish any source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tokens {
    sources_of: HashMap<String, BTreeSet<String>>,
}

/// Why a tokens file was refused.
#[derive(Debug, thiserror::Error)]
pub enum TokensError {
    #[error("reading the tokens file {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the tokens file {path} is not valid: {reason}")]
    Invalid { path: String, reason: String },
}

/// What a request's `Authorization` header is worth for one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Allowed,
    /// No bearer token, or one nobody configured: 401.
    Unauthenticated,
    /// A known token of other sources: 403.
    Forbidden,
}

impl Tokens {
    /// No tokens: every request is allowed.
    pub fn open() -> Tokens {
        Tokens::default()
    }

    pub fn is_open(&self) -> bool {
        self.sources_of.is_empty()
    }

    /// Allows `token` to publish `source` (a token may serve several sources).
    pub fn allow(mut self, source: impl Into<String>, token: impl Into<String>) -> Tokens {
        self.sources_of
            .entry(token.into())
            .or_default()
            .insert(source.into());
        self
    }

    /// Reads a JSON file mapping each source to its tokens:
    /// `{"com.acme.orders": ["token-1", "token-2"], "com.acme.payments": ["token-3"]}`.
    pub fn from_file(path: &Path) -> Result<Tokens, TokensError> {
        let text = std::fs::read_to_string(path).map_err(|source| TokensError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Tokens::from_json(&text).map_err(|reason| TokensError::Invalid {
            path: path.display().to_string(),
            reason,
        })
    }

    /// The same map as [`Tokens::from_file`], from its text.
    pub fn from_json(text: &str) -> Result<Tokens, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|error| {
            format!("line {}, column {}: {error}", error.line(), error.column())
        })?;
        let sources = value
            .as_object()
            .ok_or("expected an object mapping each source to a list of tokens")?;
        let mut tokens = Tokens::default();
        for (source, list) in sources {
            let list = list
                .as_array()
                .ok_or_else(|| format!("the tokens of {source:?} are not a list"))?;
            for (position, token) in list.iter().enumerate() {
                let token = token
                    .as_str()
                    .filter(|token| is_token68(token))
                    .ok_or_else(|| {
                        format!(
                            "token {position} of {source:?} is not a non-empty string of \
                             letters, digits and -._~+/="
                        )
                    })?;
                tokens = tokens.allow(source.clone(), token);
            }
        }
        Ok(tokens)
    }

    /// How far the `Authorization` header value (if any) lets a request publish `source`.
    pub fn check(&self, authorization: Option<&[u8]>, source: &str) -> Access {
        if self.is_open() {
            return Access::Allowed;
        }
        let token = authorization
            .and_then(|value| std::str::from_utf8(value).ok())
            .and_then(|value| {
                let (scheme, token) = value.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| token.trim_start())
            });
        match token.and_then(|token| self.sources_of.get(token)) {
            None => Access::Unauthenticated,
            Some(sources) if sources.contains(source) => Access::Allowed,
            Some(_) => Access::Forbidden,
        }
    }
}

/// RFC 6750's `b64token`: what a bearer token may hold.
fn is_token68(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_allow_their_own_sources_only() {
        let tokens = Tokens::from_json(r#"{"orders": ["o-1", "shared"], "payments": ["shared"]}"#)
            .expect("valid");
        assert_eq!(tokens.check(Some(b"Bearer o-1"), "orders"), Access::Allowed);
        assert_eq!(
            tokens.check(Some(b"bearer shared"), "payments"),
            Access::Allowed
        );
        assert_eq!(
            tokens.check(Some(b"Bearer o-1"), "payments"),
            Access::Forbidden
        );
        assert_eq!(
            tokens.check(Some(b"Bearer nope"), "orders"),
            Access::Unauthenticated
        );
        assert_eq!(
            tokens.check(Some(b"Basic o-1"), "orders"),
            Access::Unauthenticated
        );
        assert_eq!(tokens.check(None, "orders"), Access::Unauthenticated);
        assert_eq!(Tokens::open().check(None, "orders"), Access::Allowed);
    }

    #[test]
    fn a_malformed_tokens_file_says_where() {
        for (text, expected) in [
            ("{\"orders\": [\"a\",]}", "line 1, column"),
            ("[\"a\"]", "expected an object"),
            ("{\"orders\": \"a\"}", "not a list"),
            ("{\"orders\": [\"with space\"]}", "token 0 of \"orders\""),
            ("{\"orders\": [7]}", "token 0 of \"orders\""),
        ] {
            let error = Tokens::from_json(text).expect_err(text);
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
