//! The registry's URL layout, shared by the registry's routes and every client of them: the
//! URL of a pinned version (a CloudEvent's `dataschema`), read back into its [`Pin`], and the
//! sidecar's publish URL. Each name is percent-encoded as one path segment.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::Pin;

/// The route of one version in the registry's API, in axum's path syntax.
pub const VERSION_ROUTE: &str = "/v1/sources/{source}/types/{type}/versions/{version}";

/// The route of the sidecar that publishes one pinned version, in axum's path syntax.
pub const PUBLISH_ROUTE: &str = "/v1/events/{source}/{type}/versions/{version}";

/// A URL that is not a version URL, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{url:?} is not the registry URL of a version: {reason}")]
pub struct UrlError {
    pub url: String,
    pub reason: String,
}

/// Bytes kept as they are in a URL path segment: RFC 3986 unreserved characters.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The registry URL of a version: `<base>/v1/sources/{source}/types/{type}/versions/{n}`,
/// each name percent-encoded as one path segment. A trailing `/` on `base` is ignored.
pub fn version_url(base: &str, source: &str, event_type: &str, version: u32) -> String {
    format!(
        "{}/v1/sources/{}/types/{}/versions/{version}",
        base.trim_end_matches('/'),
        utf8_percent_encode(source, PATH_SEGMENT),
        utf8_percent_encode(event_type, PATH_SEGMENT)
    )
}

/// The sidecar URL that publishes a pinned version:
/// `<base>/v1/events/{source}/{type}/versions/{n}`, named like [`version_url`].
pub fn publish_url(base: &str, source: &str, event_type: &str, version: u32) -> String {
    format!(
        "{}/v1/events/{}/{}/versions/{version}",
        base.trim_end_matches('/'),
        utf8_percent_encode(source, PATH_SEGMENT),
        utf8_percent_encode(event_type, PATH_SEGMENT)
    )
}

/// Reads a version URL (a CloudEvent's `dataschema`, as [`version_url`] writes it) back into
/// the registry's base URL and the [`Pin`]:
/// `https://r.example/v1/sources/orders/types/OrderCreated/versions/3` is
/// (`https://r.example`, orders OrderCreated v3).
pub fn parse_version_url(url: &str) -> Result<(String, Pin), UrlError> {
    let bad = |reason: &str| UrlError {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| bad("it does not start with http:// or https://"))?;
    if rest.starts_with('/') || rest.is_empty() {
        return Err(bad("it has no host"));
    }
    if url.contains(['?', '#']) {
        return Err(bad("a version URL has no query or fragment"));
    }
    let marker = "/v1/sources/";
    let at = url
        .rfind(marker)
        .filter(|at| *at >= url.len() - rest.len())
        .ok_or_else(|| bad("its path has no /v1/sources/"))?;
    let base = &url[..at];
    let segments: Vec<&str> = url[at + marker.len()..].split('/').collect();
    let [source, "types", event_type, "versions", number] = segments.as_slice() else {
        return Err(bad(
            "expected /v1/sources/{source}/types/{type}/versions/{n} at the end",
        ));
    };
    let decode = |segment: &str, what: &str| {
        let text = percent_decode_str(segment)
            .decode_utf8()
            .map_err(|_| bad(&format!("the {what} is not UTF-8 once decoded")))?;
        if text.is_empty() {
            return Err(bad(&format!("the {what} is empty")));
        }
        Ok(text.into_owned())
    };
    let source = decode(source, "source")?;
    let event_type = decode(event_type, "type")?;
    let canonical = !number.is_empty()
        && number.bytes().all(|byte| byte.is_ascii_digit())
        && !number.starts_with('0');
    let version = number
        .parse::<u32>()
        .ok()
        .filter(|_| canonical)
        .ok_or_else(|| bad(&format!("{number:?} is not a version number from 1")))?;
    Ok((base.to_string(), Pin::new(source, event_type, version)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_urls_encode_each_name_as_one_segment() {
        assert_eq!(
            version_url("https://registry.example/", "com.example/orders", "OrderCreated", 3),
            "https://registry.example/v1/sources/com.example%2Forders/types/OrderCreated/versions/3"
        );
        assert_eq!(
            publish_url(
                "http://127.0.0.1:8090",
                "com.example/orders",
                "Order Created",
                3
            ),
            "http://127.0.0.1:8090/v1/events/com.example%2Forders/Order%20Created/versions/3"
        );
    }

    #[test]
    fn a_version_url_reads_back_into_its_base_and_pin() {
        for (base, source, event_type, version) in [
            (
                "https://registry.example",
                "com.example/orders",
                "OrderCreated",
                3,
            ),
            (
                "http://127.0.0.1:8080/prefix/v1/sources/x",
                "a b",
                "t%:é",
                12,
            ),
        ] {
            let url = version_url(base, source, event_type, version);
            let (parsed_base, pin) = parse_version_url(&url).expect(&url);
            assert_eq!(parsed_base, base);
            assert_eq!(pin, Pin::new(source, event_type, version));
        }
    }

    #[test]
    fn malformed_version_urls_say_what_is_wrong() {
        for (url, expected) in [
            ("ftp://r/v1/sources/s/types/t/versions/1", "http://"),
            ("https:///v1/sources/s/types/t/versions/1", "no host"),
            ("https://r/v2/sources/s/types/t/versions/1", "/v1/sources/"),
            ("https://r/v1/sources/s/types/t/versions/0", "not a version"),
            (
                "https://r/v1/sources/s/types/t/versions/01",
                "not a version",
            ),
            (
                "https://r/v1/sources/s/types/t/versions/latest",
                "not a version",
            ),
            (
                "https://r/v1/sources/s/types/t/versions/1/jsonschema",
                "at the end",
            ),
            (
                "https://r/v1/sources//types/t/versions/1",
                "source is empty",
            ),
            ("https://r/v1/sources/%FF/types/t/versions/1", "not UTF-8"),
            ("https://r/v1/sources/s/types/t/versions/1?x", "query"),
        ] {
            let error = parse_version_url(url).expect_err(url).to_string();
            assert!(error.contains(expected), "{url}: {error}");
        }
    }
}
