//! The catalog search: sources (id, owner), event types, field paths and doc comments (source
//! descriptions, the comments of event types, of definitions and of fields) of every type's
//! latest version.
//!
//! Matching is case-insensitive and token-aware: texts and queries are cut into words at
//! punctuation and at lower-to-upper case changes (`MySource:newPerson` is `mysource`, `my`,
//! `source`, `newperson`, `new`, `person`), and every word of the query must start a word of
//! the entry. Hits are ranked: an exact type or source name first, then a name prefix, then a
//! word of a name, then field names, then doc text.
//!
//! The index is built with the catalog's index: a sorted word list maps each word to the
//! entries holding it, so a query reads the prefix range of its rarest word, not every entry.

use super::fields::Field;
use super::index::{IndexedEvent, IndexedSource, LatestSummary};
use std::collections::{BTreeMap, BTreeSet};

/// What a hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HitKind {
    Source,
    Type,
    Field,
    Doc,
}

impl HitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HitKind::Source => "source",
            HitKind::Type => "type",
            HitKind::Field => "field",
            HitKind::Doc => "doc",
        }
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub kind: HitKind,
    pub source: String,
    /// The event type, for every kind but a source (and a source's description).
    pub event_type: Option<String>,
    /// The version the hit was found in (the type's latest).
    pub version: Option<u32>,
    /// The field path, for a field or a field's doc comment.
    pub path: Option<String>,
    /// A short text to show: the description, the field's type, the doc comment.
    pub snippet: String,
    /// Higher is better.
    pub score: u32,
}

/// The longest query [`SearchIndex::search`] takes, in bytes.
pub const MAX_QUERY_BYTES: usize = 200;

/// Search entries and the word index over them; built once per catalog index.
#[derive(Debug, Default)]
pub struct SearchIndex {
    entries: Vec<Entry>,
    /// Each word and the entries that hold it, sorted by word for prefix ranges.
    words: BTreeMap<String, Vec<u32>>,
}

#[derive(Debug)]
struct Entry {
    kind: HitKind,
    source: String,
    event_type: Option<String>,
    version: Option<u32>,
    path: Option<String>,
    snippet: String,
    /// The name matched whole against the query, lowercased: a source id, a type, a field name.
    name: String,
    /// The entry's words, lowercased.
    words: Vec<String>,
}

impl SearchIndex {
    /// Indexes sources and the latest version of each event type.
    /// `summary` gives what the search reads of a latest version's documents.
    pub(crate) fn build<'i>(
        sources: impl Iterator<Item = &'i IndexedSource>,
        events: impl Iterator<Item = &'i IndexedEvent>,
        summary: impl Fn(&IndexedEvent) -> Option<&'i LatestSummary>,
    ) -> SearchIndex {
        let mut index = SearchIndex::default();
        for source in sources {
            let owner = source.owner.clone().unwrap_or_default();
            index.push(Entry {
                kind: HitKind::Source,
                source: source.id.clone(),
                event_type: None,
                version: None,
                path: None,
                snippet: match &source.description {
                    Some(description) => format!("{owner} · {description}"),
                    None => owner.clone(),
                },
                name: source.id.to_lowercase(),
                words: words(&format!("{} {owner}", source.id)),
            });
            if let Some(description) = &source.description {
                index.push(doc_entry(&source.id, None, None, None, description));
            }
        }
        for event in events {
            let Some(latest) = event.latest() else {
                continue;
            };
            let number = Some(latest.version.number);
            let Some(summary) = summary(event) else {
                continue;
            };
            let definition_doc = summary.root_doc.clone();
            index.push(Entry {
                kind: HitKind::Type,
                source: event.source.clone(),
                event_type: Some(event.event_type.clone()),
                version: number,
                path: None,
                snippet: event
                    .doc
                    .clone()
                    .or_else(|| definition_doc.clone())
                    .unwrap_or_else(|| latest.version.definition.clone()),
                name: event.event_type.to_lowercase(),
                words: words(&event.event_type),
            });
            for doc in event.doc.iter().chain(&definition_doc) {
                index.push(doc_entry(
                    &event.source,
                    Some(&event.event_type),
                    number,
                    None,
                    doc,
                ));
            }
            for field in &summary.fields {
                index.push(field_entry(event, number, field));
                if let Some(doc) = &field.doc {
                    index.push(doc_entry(
                        &event.source,
                        Some(&event.event_type),
                        number,
                        Some(&field.path),
                        doc,
                    ));
                }
            }
        }
        index
    }

    fn push(&mut self, entry: Entry) {
        let id = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
        for word in entry.words.iter().collect::<BTreeSet<_>>() {
            self.words.entry(word.clone()).or_default().push(id);
        }
        self.entries.push(entry);
    }

    /// The words that start with `prefix`, with their entries.
    fn prefixed<'s>(&'s self, prefix: &'s str) -> impl Iterator<Item = (&'s String, &'s Vec<u32>)> {
        self.words
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(move |(word, _)| word.starts_with(prefix))
    }

    /// How many entries the index holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The best `limit` hits for `query`, best first. A query with no words finds nothing.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let query_words = words(query);
        if query_words.is_empty() || limit == 0 {
            return Vec::new();
        }
        let whole = query.trim().to_lowercase();
        // The entries holding a word that starts with the rarest query word, then those of
        // them where every other query word starts a word too.
        let rarest = query_words
            .iter()
            .min_by_key(|word| self.prefixed(word).map(|(_, ids)| ids.len()).sum::<usize>())
            .expect("the query has words");
        let mut ids: Vec<u32> = self
            .prefixed(rarest)
            .flat_map(|(_, ids)| ids.iter().copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let candidates = ids
            .into_iter()
            .filter_map(|id| self.entries.get(id as usize))
            .filter(|entry| {
                query_words.iter().all(|word| {
                    entry
                        .words
                        .iter()
                        .any(|candidate| candidate.starts_with(word.as_str()))
                })
            });
        // Rank references, and make hits of the best `limit` only.
        let mut ranked: Vec<(u32, &Entry)> = candidates
            .map(|entry| (score(entry, &whole, &query_words), entry))
            .collect();
        let order = |(a_score, a): &(u32, &Entry), (b_score, b): &(u32, &Entry)| {
            b_score
                .cmp(a_score)
                .then_with(|| a.kind.cmp(&b.kind))
                .then_with(|| a.source.cmp(&b.source))
                .then_with(|| a.event_type.cmp(&b.event_type))
                .then_with(|| a.path.cmp(&b.path))
        };
        if ranked.len() > limit {
            ranked.select_nth_unstable_by(limit - 1, order);
            ranked.truncate(limit);
        }
        ranked.sort_by(order);
        ranked
            .into_iter()
            .map(|(score, entry)| entry.hit(score))
            .collect()
    }
}

impl Entry {
    fn hit(&self, score: u32) -> Hit {
        Hit {
            kind: self.kind,
            source: self.source.clone(),
            event_type: self.event_type.clone(),
            version: self.version,
            path: self.path.clone(),
            snippet: self.snippet.clone(),
            score,
        }
    }
}

/// Exact names first, then name prefixes, then words; then by kind; then by how many query
/// words are whole words of the entry.
fn score(entry: &Entry, whole: &str, query_words: &[String]) -> u32 {
    let by_kind = match entry.kind {
        HitKind::Source | HitKind::Type => {
            if entry.name == whole {
                1000
            } else if entry.name.starts_with(whole) {
                800
            } else {
                600
            }
        }
        HitKind::Field => {
            if entry.name == whole {
                500
            } else {
                400
            }
        }
        HitKind::Doc => 200,
    };
    let whole_words = query_words
        .iter()
        .filter(|word| entry.words.contains(word))
        .count();
    by_kind + u32::try_from(whole_words.min(50)).unwrap_or(50)
}

fn field_entry(event: &IndexedEvent, version: Option<u32>, field: &Field) -> Entry {
    let required = if field.required { "" } else { " (optional)" };
    Entry {
        kind: HitKind::Field,
        source: event.source.clone(),
        event_type: Some(event.event_type.clone()),
        version,
        path: Some(field.path.clone()),
        snippet: format!("{}: {}{required}", field.path, field.kind),
        name: field.name.to_lowercase(),
        words: words(&field.path),
    }
}

fn doc_entry(
    source: &str,
    event_type: Option<&str>,
    version: Option<u32>,
    path: Option<&str>,
    doc: &str,
) -> Entry {
    Entry {
        kind: HitKind::Doc,
        source: source.to_string(),
        event_type: event_type.map(str::to_string),
        version,
        path: path.map(str::to_string),
        snippet: doc.to_string(),
        name: String::new(),
        words: words(doc),
    }
}

/// The lowercased words of a text: runs of letters and digits, each also cut where a lower
/// case letter or digit is followed by an upper case one (`newPerson` gives `newperson`, `new`,
/// `person`).
pub(crate) fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for run in text.split(|c: char| !c.is_alphanumeric()) {
        if run.is_empty() {
            continue;
        }
        out.push(run.to_lowercase());
        let mut part = String::new();
        let mut parts = 0;
        let mut previous_lower = false;
        for c in run.chars() {
            if c.is_uppercase() && previous_lower && !part.is_empty() {
                out.push(std::mem::take(&mut part).to_lowercase());
                parts += 1;
            }
            previous_lower = c.is_lowercase() || c.is_ascii_digit();
            part.push(c);
        }
        if parts > 0 && !part.is_empty() {
            out.push(part.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn words_split_at_punctuation_and_case() {
        assert_eq!(
            words("MySource:newPerson"),
            ["mysource", "my", "source", "newperson", "new", "person"]
        );
        assert_eq!(words("total.amount ÉTÉ"), ["total", "amount", "été"]);
        assert!(words(" :: ").is_empty());
    }
}

/// How many hits `/v1/search` answers when `limit` is not given, and at most.
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;

#[derive(serde::Deserialize)]
pub(super) struct SearchParameters {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    limit: Option<String>,
}

/// `GET /v1/search?q=TEXT[&limit=N]`: `{"query", "hits": [{"kind", "source", "type", "version",
/// "path", "snippet"}]}`, best first.
pub(super) async fn route(
    axum::extract::State(state): axum::extract::State<super::AppState>,
    query: Result<axum::extract::Query<SearchParameters>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<serde_json::Value>, super::ApiError> {
    use axum::http::StatusCode;
    let bad = |message: String| super::ApiError::new(StatusCode::BAD_REQUEST, "bad_query", message);
    let axum::extract::Query(parameters) = query.map_err(|rejection| bad(rejection.body_text()))?;
    let text = parameters.q.unwrap_or_default();
    if text.trim().is_empty() {
        return Err(bad(
            "`q` is missing or empty: give the text to search for".into()
        ));
    }
    if text.len() > MAX_QUERY_BYTES {
        return Err(bad(format!(
            "`q` is {} bytes long; at most {MAX_QUERY_BYTES} are allowed",
            text.len()
        )));
    }
    let limit = match parameters.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(limit) => match limit.parse::<usize>() {
            Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => limit,
            _ => {
                return Err(bad(format!(
                    "`limit` is {limit:?}: expected a number from 1 to {MAX_LIMIT}"
                )))
            }
        },
    };
    let index = state.index();
    let hits: Vec<serde_json::Value> = index
        .search()
        .search(&text, limit)
        .into_iter()
        .map(|hit| {
            serde_json::json!({
                "kind": hit.kind.as_str(),
                "source": hit.source,
                "type": hit.event_type,
                "version": hit.version,
                "path": hit.path,
                "snippet": hit.snippet,
            })
        })
        .collect();
    Ok(axum::Json(serde_json::json!({"query": text, "hits": hits})))
}
