//! The HTML pieces every page shares: escaping, links, the layout with its inline style sheet.

use crate::source::examples_folder_name;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::fmt::{self, Display, Write};

/// Text made safe for HTML element content and double-quoted attribute values.
pub(crate) struct Escaped<'t>(pub(crate) &'t str);

/// Escapes `text` when displayed.
pub(crate) fn esc(text: &str) -> Escaped<'_> {
    Escaped(text)
}

impl Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..at])?;
            f.write_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}

/// A path segment or query value percent-encoded (`MySource%3AnewPerson`, `a%20b`).
pub(crate) fn segment(text: &str) -> String {
    examples_folder_name(text)
}

pub(crate) fn source_url(source: &str) -> String {
    format!("/sources/{}", segment(source))
}

pub(crate) fn consumer_url(id: &str) -> String {
    format!("/consumers/{}", segment(id))
}

pub(crate) fn type_url(source: &str, event_type: &str) -> String {
    format!("/sources/{}/types/{}", segment(source), segment(event_type))
}

pub(crate) fn version_url(source: &str, event_type: &str, number: u32) -> String {
    format!("{}/versions/{number}", type_url(source, event_type))
}

pub(crate) fn api_version_url(source: &str, event_type: &str, number: u32) -> String {
    format!("/v1{}", version_url(source, event_type, number))
}

/// A page under construction: its title, breadcrumbs and body.
pub(crate) struct Page {
    title: String,
    crumbs: Vec<(String, String)>,
    query: String,
    pub(crate) body: String,
}

impl Page {
    pub(crate) fn new(title: impl Into<String>) -> Page {
        Page {
            title: title.into(),
            crumbs: Vec::new(),
            query: String::new(),
            body: String::new(),
        }
    }

    /// Adds a breadcrumb link before the title.
    pub(crate) fn crumb(mut self, label: &str, url: String) -> Page {
        self.crumbs.push((label.to_string(), url));
        self
    }

    /// Fills the header's search box.
    pub(crate) fn with_query(mut self, query: &str) -> Page {
        self.query = query.to_string();
        self
    }

    /// Appends formatted HTML to the body (the arguments must be escaped by the caller).
    pub(crate) fn write(&mut self, html: fmt::Arguments<'_>) {
        // Writing to a String cannot fail.
        let _ = self.body.write_fmt(html);
    }

    pub(crate) fn render(&self) -> String {
        let mut html = String::with_capacity(self.body.len() + STYLE.len() + 1024);
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{} · cuemesh registry</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
             <header><div class=\"bar\"><a class=\"brand\" href=\"/\">cuemesh <span>registry</span></a>\
             <form class=\"search\" action=\"/search\" method=\"get\" role=\"search\">\
             <input type=\"search\" name=\"q\" value=\"{}\" placeholder=\"Search sources, types, fields, docs\" aria-label=\"Search\" maxlength=\"{}\">\
             <button type=\"submit\">Search</button></form></div></header>\n<main>\n",
            esc(&self.title),
            esc(&self.query),
            super::super::search::MAX_QUERY_BYTES,
        );
        if !self.crumbs.is_empty() {
            html.push_str("<nav class=\"crumbs\">");
            for (label, url) in &self.crumbs {
                let _ = write!(html, "<a href=\"{}\">{}</a> / ", esc(url), esc(label));
            }
            html.push_str("</nav>\n");
        }
        let _ = writeln!(html, "<h1>{}</h1>", esc(&self.title));
        html.push_str(&self.body);
        html.push_str("</main>\n<footer>Served by <code>cuemesh serve</code> · <a href=\"/v1/sources\">JSON API</a></footer>\n</body>\n</html>\n");
        html
    }

    /// The page as a response with `status`.
    pub(crate) fn respond(&self, status: StatusCode) -> Response {
        let mut response = (status, self.render()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        // Pages show the catalog around a version (other versions, examples at the tip):
        // they change with the branch, so caches revalidate.
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }
}

/// A page that says what was not found (404) or what was wrong with the request (400).
pub(crate) fn problem(status: StatusCode, title: &str, message: &str) -> Response {
    let mut page = Page::new(title);
    page.write(format_args!(
        "<p class=\"problem\">{}</p>\n<p><a href=\"/\">Back to the catalog</a></p>\n",
        esc(message)
    ));
    page.respond(status)
}

const STYLE: &str = r#"
:root{--ink:#1d2330;--muted:#5b6475;--line:#e2e6ee;--bg:#f7f8fb;--card:#fff;--accent:#2b59c3;--add:#e6f6ea;--add-ink:#176a2c;--del:#fdecec;--del-ink:#a3262a;--code:#f1f3f8}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
header{background:#1d2330;color:#fff}
.bar{max-width:1100px;margin:0 auto;padding:.7rem 1.2rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
.brand{color:#fff;font-weight:700;font-size:1.1rem}.brand span{color:#9fb6ff;font-weight:400}
.search{display:flex;gap:.4rem;flex:1;min-width:260px;justify-content:flex-end}
.search input{flex:1;max-width:420px;padding:.45rem .7rem;border-radius:6px;border:1px solid #3a4357;background:#2a3142;color:#fff;font:inherit}
.search button,.compare button{padding:.45rem .9rem;border-radius:6px;border:0;background:var(--accent);color:#fff;font:inherit;cursor:pointer}
main{max-width:1100px;margin:0 auto;padding:1.2rem}
h1{font-size:1.6rem;margin:.3rem 0 1rem;word-break:break-word}h2{font-size:1.15rem;margin:1.8rem 0 .6rem}
.crumbs{color:var(--muted);font-size:.9rem}
.lead{color:var(--muted);margin-top:-.5rem}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1rem 1.1rem}
.card h2{margin:0 0 .2rem;font-size:1.1rem}
.owner{color:var(--muted);font-size:.9rem}
.types{list-style:none;padding:0;margin:.6rem 0 0}.types li{padding:.2rem 0;border-top:1px solid var(--line)}
.badge{display:inline-block;font-size:.75rem;padding:.05rem .45rem;border-radius:999px;background:var(--code);color:var(--muted);margin-left:.3rem;vertical-align:middle}
.badge.ok{background:var(--add);color:var(--add-ink)}.badge.bad{background:var(--del);color:var(--del-ink)}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);border-radius:8px;overflow:hidden}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#eef1f7;font-weight:600;font-size:.9rem}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88rem}
td code{background:var(--code);padding:.05rem .3rem;border-radius:4px}
pre{tab-size:4;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem;overflow:auto}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;word-break:break-all}
.links a{margin-right:1rem}
.compare{display:flex;gap:.6rem;align-items:center;flex-wrap:wrap;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.7rem 1rem}
.compare select{padding:.35rem;font:inherit}
.diff{padding:0}.diff div{padding:0 1rem;white-space:pre}.diff span.n{display:inline-block;width:2.5rem;color:var(--muted);user-select:none}
.diff .add{background:var(--add);color:var(--add-ink)}.diff .del{background:var(--del);color:var(--del-ink)}
tr.add td{background:var(--add)}tr.del td{background:var(--del)}tr:target td{background:#fff6d5}
.hits{list-style:none;padding:0}.hits li{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.6rem .9rem;margin-bottom:.5rem}
.snippet{color:var(--muted);font-size:.92rem}
.problem{background:var(--del);color:var(--del-ink);padding:.8rem 1rem;border-radius:8px}
.muted{color:var(--muted)}
footer{max-width:1100px;margin:2rem auto;padding:0 1.2rem;color:var(--muted);font-size:.85rem}
"#;

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\"").to_string(),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(esc("plain é").to_string(), "plain é");
    }
}
