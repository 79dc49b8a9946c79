//! The browsable catalog: server-side rendered HTML pages over the same [`Index`] as the JSON
//! routes. No script is needed: the search box and the compare form are plain GET forms.
//!
//! Pages: `/` (sources, owners, descriptions, event types), `/search?q=`, `/sources/{source}`,
//! `/sources/{s}/types/{t}` (versions), `/sources/{s}/types/{t}/versions/{n|latest}` (fields,
//! CUE text, examples, links to the JSON documents) and `/sources/{s}/types/{t}/compare?from=&to=`
//! (field changes and a line diff of the CUE text), `/consumers/{id}` (what a consumer reads, at
//! which version), `/graph` (every producer, event type and consumer as an SVG drawn on the
//! server: sources → types → consumers). Type pages list the type's consumers and say how to consume it (its NATS
//! subject and a `cuemesh tail` line). Unknown things get a 404 page. Every text
//! from the repository goes through [`page::esc`].

mod diff;
mod page;

use super::fields::Field;
use super::index::{Index, IndexedEvent, IndexedVersion};
use super::search::MAX_QUERY_BYTES;
use super::{ApiError, AppState};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use diff::{line_diff, Change};
use page::{
    api_version_url, consumer_url, esc, problem, segment, source_url, type_url, version_url, Page,
};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// The catalog's pages, merged into the service's router.
pub(crate) fn routes() -> Router<AppState> {
    let event = "/sources/{source}/types/{type}";
    Router::new()
        .route("/", get(home))
        .route("/search", get(search))
        .route("/sources/{source}", get(source))
        .route("/consumers/{consumer}", get(consumer_page))
        .route("/graph", get(graph_page))
        .route(event, get(event_page))
        .route(&format!("{event}/versions/{{version}}"), get(version_page))
        .route(&format!("{event}/compare"), get(compare))
}

/// What a page could not show, answered as an HTML page with its status.
struct PageError {
    status: StatusCode,
    title: &'static str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        problem(self.status, self.title, &self.message)
    }
}

type PageResult = Result<Response, PageError>;

fn bad_path(rejection: PathRejection) -> PageError {
    PageError {
        status: StatusCode::BAD_REQUEST,
        title: "Bad path",
        message: rejection.body_text(),
    }
}

fn bad_query(rejection: QueryRejection) -> PageError {
    PageError {
        status: StatusCode::BAD_REQUEST,
        title: "Bad query",
        message: rejection.body_text(),
    }
}

fn not_found(message: String) -> PageError {
    PageError {
        status: StatusCode::NOT_FOUND,
        title: "Not found",
        message,
    }
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> PageError {
        let title = if error.status == StatusCode::NOT_FOUND {
            "Not found"
        } else {
            "Bad request"
        };
        PageError {
            status: error.status,
            title,
            message: error.message,
        }
    }
}

fn find_event<'i>(
    index: &'i Index,
    source: &str,
    event_type: &str,
) -> Result<&'i IndexedEvent, PageError> {
    Ok(super::routes::find_event(index, source, event_type)?)
}

/// A version named by a number from 1 or `latest`.
fn find_version<'e>(event: &'e IndexedEvent, text: &str) -> Result<&'e IndexedVersion, PageError> {
    let found = if text == "latest" {
        event.latest()
    } else {
        text.parse::<u32>()
            .ok()
            .and_then(|number| event.version(number))
    };
    found.ok_or_else(|| {
        not_found(format!(
            "{:?} has no version {text:?} (it has versions 1 to {}).",
            event.event_type,
            event.versions.len()
        ))
    })
}

async fn home(State(state): State<AppState>) -> Response {
    let index = state.index();
    let mut page = Page::new("Event catalog");
    let head = index
        .head
        .as_ref()
        .map(|head| format!(" at commit {}", head.short_id()))
        .unwrap_or_default();
    page.write(format_args!(
        "<p class=\"lead\">{}, {}, {} on <code>{}</code>{}.</p>\n<div class=\"cards\">\n",
        count(index.sources.len(), "source"),
        count(index.events.len(), "event type"),
        count(index.version_count(), "version"),
        esc(&index.branch),
        esc(&head),
    ));
    for source in index.sources.values() {
        page.write(format_args!(
            "<section class=\"card\"><h2><a href=\"{}\">{}</a></h2>",
            esc(&source_url(&source.id)),
            esc(&source.id)
        ));
        owner_and_description(
            &mut page,
            source.owner.as_deref(),
            source.description.as_deref(),
        );
        type_list(&mut page, &index, &source.id, &source.types);
        page.write(format_args!("</section>\n"));
    }
    if index.sources.is_empty() {
        page.write(format_args!(
            "<p class=\"muted\">No source has a version yet.</p>\n"
        ));
    }
    page.write(format_args!("</div>\n"));
    if !index.consumers.is_empty() {
        page.write(format_args!(
            "<h2 id=\"consumers\">Consumers</h2>\n<p><a href=\"/graph\">Who produces and who reads what: the graph</a></p>\n<table><thead><tr><th>Consumer</th><th>Owner</th><th>Reads</th></tr></thead><tbody>\n"
        ));
        for consumer in &index.consumers {
            let id = consumer.id.as_deref().unwrap_or_default();
            page.write(format_args!(
                "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td></tr>\n",
                esc(&consumer_url(id)),
                esc(id),
                esc(consumer.owner.as_deref().unwrap_or_default()),
                count(consumer.reads.len(), "event type"),
            ));
        }
        page.write(format_args!("</tbody></table>\n"));
    }
    page.respond(StatusCode::OK)
}

/// The whole catalog as a graph: a column of sources (producers), a column of the event types
/// the branch still declares, a column of consumers; an edge from each source to its types and
/// from each type to the consumers that read it, labelled with the version they read.
async fn graph_page(State(state): State<AppState>) -> Response {
    let index = state.index();
    let mut page = Page::new("Producers, event types and consumers").crumb("Catalog", "/".into());
    page.write(format_args!("{}", graph_svg(&index)));
    page.respond(StatusCode::OK)
}

/// The SVG of [`graph_page`]: nodes are `<a class="node source|type|consumer">` linking to their
/// pages, edges are `<path class="edge">` with `data-from` and `data-to`.
fn graph_svg(index: &Index) -> String {
    const WIDTH: usize = 280;
    const GAP: usize = 120;
    const ROW: usize = 40;
    const HEIGHT: usize = 28;
    let types: Vec<&IndexedEvent> = index
        .events
        .values()
        .filter(|event| event.removed_in.is_none())
        .collect();
    let sources: Vec<&str> = index.sources.keys().map(String::as_str).collect();
    let consumers: Vec<&str> = index
        .consumers
        .iter()
        .filter_map(|consumer| consumer.id.as_deref())
        .collect();
    let rows = sources.len().max(types.len()).max(consumers.len()).max(1);
    let x = |column: usize| 10 + column * (WIDTH + GAP);
    let y = |row: usize| 40 + row * ROW;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg class=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"producers, event types and consumers\">",
        x(3) - GAP + 10,
        y(rows) + 10
    );
    for (column, title) in ["Producers (sources)", "Event types", "Consumers"]
        .iter()
        .enumerate()
    {
        let _ = writeln!(
            svg,
            "<text class=\"heading\" x=\"{}\" y=\"20\" font-weight=\"bold\">{title}</text>",
            x(column)
        );
    }
    let row_of_source = |id: &str| sources.iter().position(|s| *s == id);
    let row_of_consumer = |id: &str| consumers.iter().position(|c| *c == id);
    let middle = HEIGHT / 2;
    let mut edges = String::new();
    for (row, event) in types.iter().enumerate() {
        if let Some(from) = row_of_source(&event.source) {
            let _ = writeln!(
                edges,
                "<path class=\"edge produces\" data-from=\"{}\" data-to=\"{}\" d=\"{}\" fill=\"none\" stroke=\"#888\"/>",
                esc(&event.source),
                esc(&event.event_type),
                curve((x(0) + WIDTH, y(from) + middle), (x(1), y(row) + middle)),
            );
        }
        for (consumer, version) in index.consumers_of(&event.source, &event.event_type) {
            let Some(to) = consumer.id.as_deref().and_then(row_of_consumer) else {
                continue;
            };
            let id = consumer.id.as_deref().unwrap_or_default();
            let _ = writeln!(
                edges,
                "<path class=\"edge reads\" data-from=\"{}\" data-to=\"{}\" data-version=\"{version}\" d=\"{}\" fill=\"none\" stroke=\"#36c\"><title>{} reads version {version}</title></path>",
                esc(&event.event_type),
                esc(id),
                curve((x(1) + WIDTH, y(row) + middle), (x(2), y(to) + middle)),
                esc(id),
            );
        }
    }
    svg.push_str(&edges);
    let mut node = |column: usize, row: usize, class: &str, url: String, label: &str| {
        let _ = writeln!(
            svg,
            "<a class=\"node {class}\" href=\"{}\"><rect x=\"{}\" y=\"{}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" rx=\"4\" fill=\"#f4f6fa\" stroke=\"#345\"/><text x=\"{}\" y=\"{}\" font-family=\"monospace\" font-size=\"12\">{}</text></a>",
            esc(&url),
            x(column),
            y(row),
            x(column) + 8,
            y(row) + 18,
            esc(label)
        );
    };
    for (row, source) in sources.iter().enumerate() {
        node(0, row, "source", source_url(source), source);
    }
    for (row, event) in types.iter().enumerate() {
        node(
            1,
            row,
            "type",
            type_url(&event.source, &event.event_type),
            &event.event_type,
        );
    }
    for (row, consumer) in consumers.iter().enumerate() {
        node(2, row, "consumer", consumer_url(consumer), consumer);
    }
    svg.push_str("</svg>\n");
    svg
}

/// An SVG path from `from` to `to`, leaving and arriving horizontally.
fn curve(from: (usize, usize), to: (usize, usize)) -> String {
    let bend = (to.0 - from.0) / 2;
    format!(
        "M{} {} C{} {} {} {} {} {}",
        from.0,
        from.1,
        from.0 + bend,
        from.1,
        to.0 - bend,
        to.1,
        to.0,
        to.1
    )
}

/// A consumer's page: who owns it and what it reads, at which version (the latest version of
/// each type beside it).
async fn consumer_page(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> PageResult {
    let Path(id) = path.map_err(bad_path)?;
    let index = state.index();
    let consumer = index
        .consumer(&id)
        .ok_or_else(|| not_found(format!("no consumer {id:?}")))?;
    let mut page = Page::new(&id).crumb("Catalog", "/".into());
    owner_and_description(
        &mut page,
        consumer.owner.as_deref(),
        consumer.description.as_deref(),
    );
    page.write(format_args!(
        "<p class=\"muted\">Declared in <code>{}</code>.</p>\n<h2>Reads</h2>\n<table><thead><tr><th>Source</th><th>Event type</th><th>Decodes with</th><th>Latest</th></tr></thead><tbody>\n",
        esc(&consumer.path)
    ));
    for read in &consumer.reads {
        let event = index.event(&read.source, &read.event_type);
        let latest = event
            .and_then(|event| event.latest())
            .map(|latest| latest.version.number);
        let pinned = match (read.version, event) {
            (crate::Pin::Version(number), Some(_)) => format!(
                "<a href=\"{}\">v{number}</a>",
                esc(&version_url(&read.source, &read.event_type, number))
            ),
            (pin, _) => esc(&pin.to_string()).to_string(),
        };
        let type_cell = match event {
            Some(_) => format!(
                "<a href=\"{}\"><code>{}</code></a>",
                esc(&type_url(&read.source, &read.event_type)),
                esc(&read.event_type)
            ),
            None => format!("<code>{}</code>", esc(&read.event_type)),
        };
        page.write(format_args!(
            "<tr><td><a href=\"{}\">{}</a></td><td>{type_cell}</td><td>{pinned}</td><td>{}</td></tr>\n",
            esc(&source_url(&read.source)),
            esc(&read.source),
            latest.map_or("—".to_string(), |n| format!("v{n}")),
        ));
    }
    page.write(format_args!("</tbody></table>\n"));
    Ok(page.respond(StatusCode::OK))
}

/// A shell word: the text as it is when it is safe, else in single quotes.
fn shell_word(text: &str) -> String {
    let safe = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/@%+=,".contains(c));
    if safe {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// The type page's consumers (declared and observed) and how to consume the type.
fn consumers_and_how_to_consume(
    page: &mut Page,
    index: &Index,
    observed: &super::ObservedConsumers,
    event: &IndexedEvent,
) {
    let consumers = super::type_consumers(index, observed, &event.source, &event.event_type);
    page.write(format_args!("<h2 id=\"consumers\">Consumers</h2>\n"));
    if consumers.is_empty() {
        page.write(format_args!(
            "<p class=\"muted\">No consumer declares that it reads this type (<code>consumers/*.cue</code>), and none was observed reading it.</p>\n"
        ));
    } else {
        page.write(format_args!(
            "<table class=\"consumers\"><thead><tr><th>Consumer</th><th>Owner</th><th>Decodes with</th><th>Observed decoding</th></tr></thead><tbody>\n"
        ));
        for consumer in consumers {
            let name = if consumer.declared {
                format!(
                    "<a href=\"{}\">{}</a>",
                    esc(&consumer_url(&consumer.id)),
                    esc(&consumer.id)
                )
            } else {
                format!(
                    "{} <span class=\"muted\">(not declared)</span>",
                    esc(&consumer.id)
                )
            };
            let declared_version = if consumer.declared {
                consumer.version.to_string()
            } else {
                "-".to_string()
            };
            page.write(format_args!(
                "<tr><td>{name}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                esc(consumer.owner.as_deref().unwrap_or("-")),
                esc(&declared_version),
                esc(&consumer.observed_text().unwrap_or_else(|| "-".to_string())),
            ));
        }
        page.write(format_args!("</tbody></table>\n"));
    }
    let subject = cuemesh_contract::subject::subject_for(
        super::catalog::SUBJECT_PREFIX,
        &event.source,
        &event.event_type,
    );
    let tail = format!(
        "cuemesh tail --nats \"$NATS_URL\" --source {} --type {}",
        shell_word(&event.source),
        shell_word(&event.event_type)
    );
    page.write(format_args!(
        "<h2 id=\"consume\">How to consume</h2>\n<p>Events of this type are CloudEvents on the NATS subject <code class=\"subject\">{}</code> (JetStream, structured mode). Watch them arrive, each validated against the version its <code>dataschema</code> names:</p>\n<pre class=\"tail\"><code>{}</code></pre>\n<p>Declare the consumer in <code>consumers/&lt;name&gt;.cue</code> with the version it decodes with, so that changes that would break it are refused.</p>\n",
        esc(&subject),
        esc(&tail)
    ));
}

/// `1 source`, `2 sources`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn owner_and_description(page: &mut Page, owner: Option<&str>, description: Option<&str>) {
    if let Some(owner) = owner {
        page.write(format_args!(
            "<div class=\"owner\">owned by {}</div>",
            esc(owner)
        ));
    }
    if let Some(description) = description {
        page.write(format_args!("<p>{}</p>", esc(description)));
    }
}

fn type_list(page: &mut Page, index: &Index, source: &str, types: &[String]) {
    page.write(format_args!("<ul class=\"types\">"));
    for event in types
        .iter()
        .filter_map(|event_type| index.event(source, event_type))
    {
        let latest = event
            .latest()
            .map(|latest| latest.version.number)
            .unwrap_or(0);
        let removed = if event.removed_in.is_some() {
            "<span class=\"badge bad\">removed</span>"
        } else {
            ""
        };
        page.write(format_args!(
            "<li><a href=\"{}\"><code>{}</code></a><span class=\"badge\">v{latest}</span>{removed}</li>",
            esc(&type_url(source, &event.event_type)),
            esc(&event.event_type),
        ));
    }
    page.write(format_args!("</ul>"));
}

#[derive(serde::Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn search(
    State(state): State<AppState>,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Response {
    let query = match query {
        Ok(Query(query)) => query.q,
        Err(rejection) => return bad_query(rejection).into_response(),
    };
    let trimmed = query.trim();
    let mut page = Page::new(if trimmed.is_empty() {
        "Search".to_string()
    } else {
        format!("Search: {trimmed}")
    })
    .crumb("Catalog", "/".into())
    .with_query(trimmed);
    if query.len() > MAX_QUERY_BYTES {
        page.write(format_args!(
            "<p class=\"problem\">The search text is longer than {MAX_QUERY_BYTES} bytes.</p>\n"
        ));
        return page.respond(StatusCode::BAD_REQUEST);
    }
    if trimmed.is_empty() {
        page.write(format_args!(
            "<p class=\"muted\">Type a source, an event type, a field name or words of a doc comment.</p>\n"
        ));
        return page.respond(StatusCode::OK);
    }
    let index = state.index();
    let hits = index.search().search(trimmed, 50);
    page.write(format_args!(
        "<p class=\"lead\">{}.</p>\n<ul class=\"hits\">\n",
        count(hits.len(), "result")
    ));
    for hit in &hits {
        let url = match (&hit.event_type, hit.version, &hit.path) {
            (Some(event_type), Some(number), Some(path)) => format!(
                "{}#{}",
                version_url(&hit.source, event_type, number),
                field_anchor(path)
            ),
            (Some(event_type), _, _) => type_url(&hit.source, event_type),
            (None, _, _) => source_url(&hit.source),
        };
        let mut title = hit.source.clone();
        if let Some(event_type) = &hit.event_type {
            title = event_type.clone();
        }
        if let Some(path) = &hit.path {
            title = format!("{title} · {path}");
        }
        page.write(format_args!(
            "<li><span class=\"badge\">{}</span> <a href=\"{}\"><code>{}</code></a>{}<div class=\"snippet\">{}</div></li>\n",
            hit.kind.as_str(),
            esc(&url),
            esc(&title),
            hit.version.map(|number| format!(" <span class=\"badge\">v{number}</span>")).unwrap_or_default(),
            esc(&hit.snippet),
        ));
    }
    page.write(format_args!("</ul>\n"));
    if hits.is_empty() {
        page.write(format_args!("<p class=\"muted\">Nothing matches. Every word must start a word of a name or a doc comment.</p>\n"));
    }
    page.respond(StatusCode::OK)
}

async fn source(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> PageResult {
    let Path(id) = path.map_err(bad_path)?;
    let index = state.index();
    let source = index
        .sources
        .get(&id)
        .ok_or_else(|| not_found(format!("no source {id:?}")))?;
    let mut page = Page::new(&source.id).crumb("Catalog", "/".into());
    owner_and_description(
        &mut page,
        source.owner.as_deref(),
        source.description.as_deref(),
    );
    page.write(format_args!(
        "<h2>Event types</h2>\n<table><thead><tr><th>Type</th><th>Latest</th><th>Updated</th><th>By</th></tr></thead><tbody>\n"
    ));
    for event in source
        .types
        .iter()
        .filter_map(|event_type| index.event(&source.id, event_type))
    {
        let Some(latest) = event.latest() else {
            continue;
        };
        let removed = if event.removed_in.is_some() {
            " <span class=\"badge bad\">removed</span>"
        } else {
            ""
        };
        page.write(format_args!(
            "<tr><td><a href=\"{}\"><code>{}</code></a>{removed}</td><td><a href=\"{}\">v{}</a></td><td>{}</td><td>{}</td></tr>\n",
            esc(&type_url(&source.id, &event.event_type)),
            esc(&event.event_type),
            esc(&version_url(&source.id, &event.event_type, latest.version.number)),
            latest.version.number,
            esc(&latest.version.commit.date()),
            esc(&latest.version.commit.author),
        ));
    }
    page.write(format_args!("</tbody></table>\n"));
    Ok(page.respond(StatusCode::OK))
}

async fn event_page(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> PageResult {
    let Path((source, event_type)) = path.map_err(bad_path)?;
    let index = state.index();
    let event = find_event(&index, &source, &event_type)?;
    let mut page = Page::new(&event.event_type)
        .crumb("Catalog", "/".into())
        .crumb(&event.source, source_url(&event.source));
    let latest = event.latest().map(IndexedVersion::documents);
    let definition_doc = latest
        .as_ref()
        .and_then(|latest| latest.json_schema.as_ref().ok())
        .and_then(|document| super::fields::root_doc(document));
    for doc in event.doc.iter().chain(&definition_doc) {
        page.write(format_args!("<p class=\"lead\">{}</p>\n", esc(doc)));
    }
    if let Some(removed) = &event.removed_in {
        page.write(format_args!(
            "<p class=\"problem\">Removed from the branch by {} on {} (commit <code>{}</code>).</p>\n",
            esc(&removed.author),
            esc(&removed.date()),
            esc(removed.short_id())
        ));
    }
    page.write(format_args!(
        "<h2>Versions</h2>\n<table><thead><tr><th>Version</th><th>Author</th><th>Date</th><th>Commit</th><th>Digest</th></tr></thead><tbody>\n"
    ));
    for version in event.versions.iter().rev() {
        let version = &version.version;
        page.write(format_args!(
            "<tr><td><a href=\"{}\">v{}</a></td><td>{}</td><td>{}</td><td><code>{}</code></td><td><code title=\"{}\">{}…</code></td></tr>\n",
            esc(&version_url(&event.source, &event.event_type, version.number)),
            version.number,
            esc(&version.commit.author),
            esc(&version.commit.date()),
            esc(version.commit.short_id()),
            esc(version.digest.as_str()),
            esc(&version.digest.as_str().chars().take(19).collect::<String>()),
        ));
    }
    page.write(format_args!("</tbody></table>\n"));
    let count = u32::try_from(event.versions.len()).unwrap_or(u32::MAX);
    if count > 1 {
        compare_form(&mut page, event, count - 1, count);
    }
    consumers_and_how_to_consume(&mut page, &index, state.observed(), event);
    Ok(page.respond(StatusCode::OK))
}

/// The GET form choosing two versions to compare.
fn compare_form(page: &mut Page, event: &IndexedEvent, from: u32, to: u32) {
    page.write(format_args!(
        "<h2>Compare versions</h2>\n<form class=\"compare\" action=\"{}/compare\" method=\"get\"><label>from <select name=\"from\">",
        esc(&type_url(&event.source, &event.event_type))
    ));
    let options = |page: &mut Page, selected: u32| {
        for version in &event.versions {
            let number = version.version.number;
            let mark = if number == selected { " selected" } else { "" };
            page.write(format_args!(
                "<option value=\"{number}\"{mark}>v{number} · {}</option>",
                esc(&version.version.commit.date())
            ));
        }
    };
    options(page, from);
    page.write(format_args!(
        "</select></label> <label>to <select name=\"to\">"
    ));
    options(page, to);
    page.write(format_args!(
        "</select></label> <button type=\"submit\">Compare</button></form>\n"
    ));
}

async fn version_page(
    State(state): State<AppState>,
    path: Result<Path<(String, String, String)>, PathRejection>,
) -> PageResult {
    let Path((source, event_type, number)) = path.map_err(bad_path)?;
    let index = state.index();
    let event = find_event(&index, &source, &event_type)?;
    let indexed = find_version(event, &number)?;
    let version = &indexed.version;
    let mut page = Page::new(format!("{} v{}", event.event_type, version.number))
        .crumb("Catalog", "/".into())
        .crumb(&event.source, source_url(&event.source))
        .crumb(
            &event.event_type,
            type_url(&event.source, &event.event_type),
        );
    let api = api_version_url(&event.source, &event.event_type, version.number);
    page.write(format_args!(
        "<dl class=\"meta\"><dt>Definition</dt><dd><code>{}</code> in <code>{}</code></dd>\
         <dt>Author</dt><dd>{} &lt;{}&gt;</dd><dt>Date</dt><dd>{}</dd><dt>Commit</dt><dd><code>{}</code></dd>\
         <dt>Digest</dt><dd><code>{}</code></dd></dl>\n",
        esc(&version.definition),
        esc(&version.directory),
        esc(&version.commit.author),
        esc(&version.commit.email),
        esc(&version.commit.rfc3339()),
        esc(&version.commit.id),
        esc(version.digest.as_str()),
    ));
    page.write(format_args!(
        "<p class=\"links\"><a href=\"{0}\">metadata (JSON)</a><a href=\"{0}/openapi\">OpenAPI 3.0</a><a href=\"{0}/jsonschema\">JSON Schema</a>",
        esc(&api)
    ));
    if version.number > 1 {
        page.write(format_args!(
            "<a href=\"{}/compare?from={}&amp;to={}\">changes since v{}</a>",
            esc(&type_url(&event.source, &event.event_type)),
            version.number - 1,
            version.number,
            version.number - 1
        ));
    }
    page.write(format_args!(
        "</p>\n<p class=\"muted\">Validate a payload: <code>curl -X POST --data @event.json {}/validate</code></p>\n",
        esc(&api)
    ));
    page.write(format_args!("<h2>Fields</h2>\n"));
    field_table(&mut page, &indexed.documents().fields);
    page.write(format_args!(
        "<h2>CUE</h2>\n<pre><code>{}</code></pre>\n",
        esc(version.cue_text.as_deref().unwrap_or("(no text)"))
    ));
    page.write(format_args!("<h2>Examples</h2>\n"));
    if indexed.examples().is_empty() {
        page.write(format_args!(
            "<p class=\"muted\">No examples under <code>{}/examples/{}/</code>.</p>\n",
            esc(&version.directory),
            esc(&segment(&event.event_type))
        ));
    }
    for example in indexed.examples() {
        let verdict = if example.problems.is_empty() {
            "<span class=\"badge ok\">valid</span>".to_string()
        } else {
            format!(
                "<span class=\"badge bad\">invalid</span><ul>{}</ul>",
                example
                    .problems
                    .iter()
                    .map(|problem| format!("<li><code>{}</code></li>", esc(problem)))
                    .collect::<String>()
            )
        };
        page.write(format_args!(
            "<h3><code>{}</code> {verdict}</h3>\n<pre><code>{}</code></pre>\n",
            esc(&example.name),
            esc(&example.text)
        ));
    }
    Ok(page.respond(StatusCode::OK))
}

fn field_table(page: &mut Page, fields: &[Field]) {
    if fields.is_empty() {
        page.write(format_args!("<p class=\"muted\">No fields.</p>\n"));
        return;
    }
    page.write(format_args!(
        "<table class=\"fields\"><thead><tr><th>Path</th><th>Type</th><th>Required</th><th>Constraints</th><th>Doc</th></tr></thead><tbody>\n"
    ));
    for field in fields {
        page.write(format_args!(
            "<tr id=\"{}\"><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&field_anchor(&field.path)),
            esc(&field.path),
            esc(&field.kind),
            if field.required { "yes" } else { "no" },
            constraint_list(field),
            esc(field.doc.as_deref().unwrap_or("")),
        ));
    }
    page.write(format_args!("</tbody></table>\n"));
}

/// The id of a field's row in the field table, and the fragment that links to it.
fn field_anchor(path: &str) -> String {
    format!("field-{}", segment(path))
}

fn constraint_list(field: &Field) -> String {
    field
        .constraints
        .iter()
        .map(|constraint| format!("<code>{}</code>", esc(constraint)))
        .collect::<Vec<_>>()
        .join(" ")
}

async fn compare(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> PageResult {
    let Path((source, event_type)) = path.map_err(bad_path)?;
    let Query(query) = query.map_err(bad_query)?;
    let index = state.index();
    let event = find_event(&index, &source, &event_type)?;
    let count = event.versions.len();
    let pick = |name: &str, default: usize| -> Result<&IndexedVersion, PageError> {
        match query.get(name) {
            Some(text) => find_version(event, text),
            None => event
                .versions
                .get(default.min(count.saturating_sub(1)))
                .map(|version| &**version)
                .ok_or_else(|| not_found(format!("{event_type:?} has no versions."))),
        }
    };
    let from = pick("from", count.saturating_sub(2))?;
    let to = pick("to", count.saturating_sub(1))?;
    let (from_number, to_number) = (from.version.number, to.version.number);
    let mut page = Page::new(format!(
        "{} v{from_number} → v{to_number}",
        event.event_type
    ))
    .crumb("Catalog", "/".into())
    .crumb(&event.source, source_url(&event.source))
    .crumb(
        &event.event_type,
        type_url(&event.source, &event.event_type),
    );
    compare_form(&mut page, event, from_number, to_number);

    page.write(format_args!("<h2>Field changes</h2>\n"));
    let (from_documents, to_documents) = (from.documents(), to.documents());
    let before: BTreeMap<&str, &Field> = from_documents
        .fields
        .iter()
        .map(|field| (field.path.as_str(), field))
        .collect();
    let after: BTreeMap<&str, &Field> = to_documents
        .fields
        .iter()
        .map(|field| (field.path.as_str(), field))
        .collect();
    let mut rows = String::new();
    for field in &to_documents.fields {
        match before.get(field.path.as_str()) {
            None => rows.push_str(&field_row("add", "added", field, None)),
            Some(old) if *old != field => {
                rows.push_str(&field_row("", "changed", field, Some(old)))
            }
            Some(_) => {}
        }
    }
    for field in &from_documents.fields {
        if !after.contains_key(field.path.as_str()) {
            rows.push_str(&field_row("del", "removed", field, None));
        }
    }
    if rows.is_empty() {
        page.write(format_args!("<p class=\"muted\">No field changed.</p>\n"));
    } else {
        page.write(format_args!(
            "<table class=\"field-diff\"><thead><tr><th>Change</th><th>Path</th><th>Type</th><th>Required</th><th>Constraints</th></tr></thead><tbody>\n{rows}</tbody></table>\n"
        ));
    }

    page.write(format_args!("<h2>CUE text</h2>\n"));
    let old_text = from.version.cue_text.as_deref().unwrap_or("");
    let new_text = to.version.cue_text.as_deref().unwrap_or("");
    page.write(format_args!("<pre class=\"diff\">"));
    for line in line_diff(old_text, new_text) {
        let (class, mark) = match line.change {
            Change::Same => ("", ' '),
            Change::Removed => ("del", '-'),
            Change::Added => ("add", '+'),
        };
        page.write(format_args!(
            "<div class=\"{class}\"><span class=\"n\">{}</span><span class=\"n\">{}</span>{mark} {}</div>",
            line.old.map(|n| n.to_string()).unwrap_or_default(),
            line.new.map(|n| n.to_string()).unwrap_or_default(),
            esc(line.text)
        ));
    }
    page.write(format_args!("</pre>\n"));
    Ok(page.respond(StatusCode::OK))
}

/// A row of the field changes: for a changed field, each property shown as `old → new` where
/// it differs.
fn field_row(class: &str, change: &str, field: &Field, old: Option<&Field>) -> String {
    let required = |field: &Field| if field.required { "yes" } else { "no" }.to_string();
    let cell = |new: String, old: Option<String>| match old {
        Some(old) if old != new => format!("<s>{}</s> → {}", esc(&old), esc(&new)),
        _ => esc(&new).to_string(),
    };
    let constraints = |field: &Field| field.constraints.join(" ");
    format!(
        "<tr class=\"{class}\"><td>{change}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
        esc(&field.path),
        cell(field.kind.clone(), old.map(|old| old.kind.clone())),
        cell(required(field), old.map(required)),
        cell(constraints(field), old.map(constraints)),
    )
}
