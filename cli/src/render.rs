//! Turning [`Diagnostic`]s into text: CUE's plain form (for `vet`), a rich form with source
//! snippets, JSON lines, and GitHub workflow commands. Only the CLI renders diagnostics.
//!
//! The JSON wire format is one object per line (like ripgrep's `--json`):
//!
//! ```text
//! {"code":"CONFLICT","severity":"error","path":"total.amount",
//!  "message":"invalid value -1 (out of bound >=0)",
//!  "locations":[{"file":"./schema.cue","line":4,"column":11,"end_line":4,"end_column":14}],
//!  "labels":[{"message":"...","location":{...}}],"help":null}
//! ```
//!
//! Lines and columns are 1-based; columns count bytes, as CUE's do. `end_line`/`end_column` point
//! just past the span. `locations` lists every primary position, the first one first.
//!
//! A compatibility finding (of `compat` or `check`) adds what proves it ([`Proof`]):
//! `"counterexample": {"value": <JSON>, "accepted_by": "previous", "rejected_by": "current",
//! "error": "n: invalid value 75 (out of bound <=50)"}`, or `null` with `"counterexample_note"`
//! saying why there is none.

use clap::ValueEnum;
use cue::compat::Counterexample;
use cue::source::LineCol;
use cue::{Diagnostic, Severity, SourceMap, Span};
use std::fmt::Write as _;

/// How diagnostics are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// For people: CUE's own error format for `vet`, source snippets for other commands.
    #[default]
    Text,
    /// For programs: one JSON object per diagnostic, one per line.
    Json,
    /// For GitHub Actions: `::error file=..,line=..,col=..::message` workflow commands.
    Github,
}

/// CUE's plain form: `path: message:` then one indented `file:line:col` per position. Like
/// `cue`, the trailing colon is only printed when positions follow (`sum: incomplete value 1 | 2`).
pub fn render_plain(diagnostic: &Diagnostic, sources: &SourceMap) -> String {
    diagnostic.render_plain(sources)
}

/// A rich form for people: severity and code, then each position with its source line and a
/// caret line under the span, then labels and help.
///
/// ```text
/// error[CONFLICT]: total.amount: invalid value -1 (out of bound >=0)
///   --> ./schema.cue:4:11
///    |
///  4 |         amount: >=0
///    |                 ^^^
/// ```
pub fn render_rich(diagnostic: &Diagnostic, sources: &SourceMap) -> String {
    render_rich_with_notes(diagnostic, sources, &[])
}

/// [`render_rich`], then one ` = note` line per note, aligned with the help line (a
/// compatibility finding's counterexample).
pub fn render_rich_with_notes(
    diagnostic: &Diagnostic,
    sources: &SourceMap,
    notes: &[String],
) -> String {
    let mut out = format!(
        "{}[{}]: {}",
        severity_word(diagnostic.severity),
        diagnostic.code,
        diagnostic.headline()
    );
    let snippets: Vec<(Span, Option<&str>)> = diagnostic
        .spans
        .iter()
        .map(|span| (*span, None))
        .chain(
            diagnostic
                .labels
                .iter()
                .map(|label| (label.span, Some(label.message.as_str()))),
        )
        .collect();
    // All snippets share one gutter width so that the `|` bars line up.
    let gutter = snippets
        .iter()
        .filter_map(|(span, _)| location(sources, *span))
        .map(|loc| loc.start.line.to_string().len())
        .max()
        .unwrap_or(1);
    for (span, note) in snippets {
        out.push('\n');
        write_snippet(&mut out, sources, span, note, gutter);
    }
    if let Some(help) = &diagnostic.help {
        let _ = write!(out, "\n{:gutter$} = help: {help}", "");
    }
    for note in notes {
        let _ = write!(out, "\n{:gutter$} = {note}", "");
    }
    out
}

/// What proves a compatibility finding: a counterexample, or why there is none.
#[derive(Debug, Clone, Copy, Default)]
pub struct Proof<'a> {
    pub counterexample: Option<&'a Counterexample>,
    pub note: Option<&'a str>,
}

impl Proof<'_> {
    /// The lines printed under the finding: `counterexample: {...}: accepted by the previous
    /// version, rejected by the current one: <error>`, or `no counterexample: <why>`.
    pub fn lines(&self) -> Vec<String> {
        match (self.counterexample, self.note) {
            (Some(counterexample), _) => vec![format!(
                "counterexample: {}",
                counterexample_text(counterexample)
            )],
            (None, Some(note)) => vec![note.to_string()],
            (None, None) => Vec::new(),
        }
    }

    /// Adds `counterexample` (`{value, accepted_by, rejected_by, error}` or `null`) and
    /// `counterexample_note` to a finding's JSON object.
    pub fn add_json(&self, object: &mut serde_json::Map<String, serde_json::Value>) {
        let counterexample = match self.counterexample {
            Some(c) => serde_json::json!({
                "value": c.value,
                "accepted_by": c.accepted_by.name(),
                "rejected_by": c.rejected_by.name(),
                "error": c.error,
            }),
            None => serde_json::Value::Null,
        };
        object.insert("counterexample".into(), counterexample);
        object.insert("counterexample_note".into(), self.note.into());
    }
}

/// `{"n":75}: accepted by the previous version, rejected by the current one: n: invalid value
/// 75 (out of bound <=50)`.
pub fn counterexample_text(counterexample: &Counterexample) -> String {
    format!(
        "{}: accepted by the {} version, rejected by the {} one: {}",
        counterexample.value,
        counterexample.accepted_by.name(),
        counterexample.rejected_by.name(),
        counterexample.error
    )
}

/// One JSON object (without a newline); see the module documentation for the format.
pub fn render_json(diagnostic: &Diagnostic, sources: &SourceMap) -> String {
    serde_json::Value::Object(json_object(diagnostic, sources)).to_string()
}

/// The members of [`render_json`]'s object, for printers that add their own.
pub fn json_object(
    diagnostic: &Diagnostic,
    sources: &SourceMap,
) -> serde_json::Map<String, serde_json::Value> {
    let locations: Vec<serde_json::Value> = diagnostic
        .spans
        .iter()
        .map(|span| json_location(sources, *span))
        .collect();
    let labels: Vec<serde_json::Value> = diagnostic
        .labels
        .iter()
        .map(|label| {
            serde_json::json!({
                "message": label.message,
                "location": json_location(sources, label.span),
            })
        })
        .collect();
    let mut object = serde_json::Map::new();
    object.insert("code".into(), diagnostic.code.into());
    object.insert("severity".into(), severity_word(diagnostic.severity).into());
    object.insert("path".into(), diagnostic.path.clone().into());
    object.insert("message".into(), diagnostic.message.clone().into());
    object.insert("locations".into(), locations.into());
    object.insert("labels".into(), labels.into());
    object.insert("help".into(), diagnostic.help.clone().into());
    object
}

/// One GitHub workflow command, annotating the first position (the one CUE lists first). The
/// other positions are appended to the message so that none is lost.
pub fn render_github(diagnostic: &Diagnostic, sources: &SourceMap) -> String {
    render_github_with_notes(diagnostic, sources, &[])
}

/// [`render_github`], with notes (a counterexample) as more lines of the message.
pub fn render_github_with_notes(
    diagnostic: &Diagnostic,
    sources: &SourceMap,
    notes: &[String],
) -> String {
    let command = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let mut properties = Vec::new();
    if let Some(first) = diagnostic
        .spans
        .first()
        .and_then(|span| location(sources, *span))
    {
        // GitHub wants paths relative to the repository root, without CUE's `./`.
        let file = first.file.strip_prefix("./").unwrap_or(first.file);
        properties.push(format!("file={}", escape_github_property(file)));
        properties.push(format!("line={}", first.start.line));
        properties.push(format!("col={}", first.start.column));
        properties.push(format!("endLine={}", first.end.line));
        properties.push(format!("endColumn={}", first.end.column));
    }
    properties.push(format!("title={}", escape_github_property(diagnostic.code)));
    let mut message = diagnostic.headline();
    for span in diagnostic.spans.iter().skip(1) {
        let _ = write!(message, "\n    {}", sources.describe(*span));
    }
    if let Some(help) = &diagnostic.help {
        let _ = write!(message, "\nhelp: {help}");
    }
    for note in notes {
        let _ = write!(message, "\n{note}");
    }
    format!(
        "::{command} {}::{}",
        properties.join(","),
        escape_github_data(&message)
    )
}

/// Renders one diagnostic in `format`, using the plain CUE form for [`Format::Text`] (what `vet`
/// prints) when `plain_text` is set and the rich form otherwise.
pub fn render(
    format: Format,
    plain_text: bool,
    diagnostic: &Diagnostic,
    sources: &SourceMap,
) -> String {
    match format {
        Format::Text if plain_text => render_plain(diagnostic, sources),
        Format::Text => render_rich(diagnostic, sources),
        Format::Json => render_json(diagnostic, sources),
        Format::Github => render_github(diagnostic, sources),
    }
}

/// Escapes the message part of a workflow command (GitHub's `escapeData`).
pub fn escape_github_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command (GitHub's `escapeProperty`): as data, plus
/// `:` and `,`, which separate properties.
pub fn escape_github_property(text: &str) -> String {
    escape_github_data(text)
        .replace(':', "%3A")
        .replace(',', "%2C")
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// A span resolved to its file name and start/end positions.
struct Location<'a> {
    file: &'a str,
    start: LineCol,
    end: LineCol,
}

fn location(sources: &SourceMap, span: Span) -> Option<Location<'_>> {
    let file = sources.get(span.file)?;
    Some(Location {
        file: &file.name,
        start: file.position(span.start),
        end: file.position(span.end.max(span.start)),
    })
}

fn json_location(sources: &SourceMap, span: Span) -> serde_json::Value {
    match location(sources, span) {
        Some(loc) => serde_json::json!({
            "file": loc.file,
            "line": loc.start.line,
            "column": loc.start.column,
            "end_line": loc.end.line,
            "end_column": loc.end.column,
        }),
        None => serde_json::Value::Null,
    }
}

fn write_snippet(
    out: &mut String,
    sources: &SourceMap,
    span: Span,
    note: Option<&str>,
    gutter: usize,
) {
    let Some(file) = sources.get(span.file) else {
        let _ = write!(out, "{:gutter$}--> <unknown>", "");
        return;
    };
    let start = file.position(span.start);
    let line = file.line_text(start.line);
    let _ = write!(
        out,
        "{:gutter$}--> {}:{}:{}\n{:gutter$} |\n{:>gutter$} | {line}\n{:gutter$} | ",
        "", file.name, start.line, start.column, "", start.line, ""
    );
    // The caret line copies the tabs of the source line so that it lines up in any tab width.
    let column_index = (start.column as usize).saturating_sub(1).min(line.len());
    let prefix = line.get(..column_index).unwrap_or("");
    for character in prefix.chars() {
        out.push(if character == '\t' { '\t' } else { ' ' });
    }
    // Underline the part of the span on its first line, at least one caret.
    let span_length = (span.end.saturating_sub(span.start)) as usize;
    let rest_of_line = line.get(column_index..).unwrap_or("");
    let mut carets = 0;
    let mut consumed = 0;
    for character in rest_of_line.chars() {
        if consumed >= span_length {
            break;
        }
        consumed += character.len_utf8();
        carets += 1;
    }
    out.push_str(&"^".repeat(carets.max(1)));
    if let Some(note) = note {
        out.push(' ');
        out.push_str(note);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cue::Label;

    fn fixture() -> (SourceMap, Diagnostic) {
        let mut sources = SourceMap::new();
        let schema = sources.add(
            "./schema.cue",
            "#Order: {\n\ttotal: {\n\t\tamount: >=0\n\t}\n}\n",
        );
        let data = sources.add("./bad.json", "{\"total\": {\n  \"amount\": -1\n}}\n");
        let diagnostic = Diagnostic::error("OUT_OF_BOUND", "invalid value -1 (out of bound >=0)")
            .with_path("total.amount")
            .with_span(Span::new(schema, 30, 33))
            .with_span(Span::new(data, 24, 26));
        (sources, diagnostic)
    }

    #[test]
    fn plain_form_matches_cue() {
        let (sources, diagnostic) = fixture();
        assert_eq!(
            render_plain(&diagnostic, &sources),
            "total.amount: invalid value -1 (out of bound >=0):\n    ./schema.cue:3:11\n    ./bad.json:2:13"
        );
    }

    #[test]
    fn plain_form_without_positions_has_no_trailing_colon() {
        let sources = SourceMap::new();
        let diagnostic = Diagnostic::error("INCOMPLETE", "incomplete value 1 | 2").with_path("sum");
        assert_eq!(
            render_plain(&diagnostic, &sources),
            "sum: incomplete value 1 | 2"
        );
    }

    #[test]
    fn rich_form_shows_source_lines_and_carets() {
        let (sources, mut diagnostic) = fixture();
        diagnostic.labels.push(Label {
            span: Span::new(cue::FileId(1), 14, 22),
            message: "the data".to_string(),
        });
        diagnostic.help = Some("amounts are never negative".to_string());
        let expected = [
            "error[OUT_OF_BOUND]: total.amount: invalid value -1 (out of bound >=0)",
            " --> ./schema.cue:3:11",
            "  |",
            "3 | \t\tamount: >=0",
            "  | \t\t        ^^^",
            " --> ./bad.json:2:13",
            "  |",
            "2 |   \"amount\": -1",
            "  |             ^^",
            " --> ./bad.json:2:3",
            "  |",
            "2 |   \"amount\": -1",
            "  |   ^^^^^^^^ the data",
            "  = help: amounts are never negative",
        ]
        .join("\n");
        assert_eq!(render_rich(&diagnostic, &sources), expected);
    }

    #[test]
    fn rich_form_marks_empty_spans_with_one_caret() {
        let mut sources = SourceMap::new();
        let file = sources.add("./a.cue", "a: {\n");
        let diagnostic = Diagnostic::error("SYNTAX", "expected '}', found 'EOF'")
            .with_span(Span::new(file, 5, 5));
        assert_eq!(
            render_rich(&diagnostic, &sources),
            "error[SYNTAX]: expected '}', found 'EOF'\n --> ./a.cue:2:1\n  |\n2 | \n  | ^"
        );
    }

    #[test]
    fn json_form_is_one_line_with_every_location() {
        let (sources, diagnostic) = fixture();
        let line = render_json(&diagnostic, &sources);
        assert!(!line.contains('\n'));
        let value: serde_json::Value = serde_json::from_str(&line).expect("valid JSON");
        assert_eq!(value["code"], "OUT_OF_BOUND");
        assert_eq!(value["severity"], "error");
        assert_eq!(value["path"], "total.amount");
        assert_eq!(value["message"], "invalid value -1 (out of bound >=0)");
        assert_eq!(value["locations"][0]["file"], "./schema.cue");
        assert_eq!(value["locations"][0]["line"], 3);
        assert_eq!(value["locations"][0]["column"], 11);
        assert_eq!(value["locations"][0]["end_column"], 14);
        assert_eq!(value["locations"][1]["file"], "./bad.json");
        assert_eq!(value["locations"][1]["line"], 2);
        assert_eq!(value["help"], serde_json::Value::Null);
    }

    #[test]
    fn github_form_annotates_the_first_position() {
        let (sources, diagnostic) = fixture();
        assert_eq!(
            render_github(&diagnostic, &sources),
            "::error file=schema.cue,line=3,col=11,endLine=3,endColumn=14,title=OUT_OF_BOUND::\
             total.amount: invalid value -1 (out of bound >=0)%0A    ./bad.json:2:13"
        );
    }

    #[test]
    fn github_form_without_position_has_only_a_title() {
        let sources = SourceMap::new();
        let diagnostic = Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error("REGEX_UNDECIDED", "100% sure?")
        };
        assert_eq!(
            render_github(&diagnostic, &sources),
            "::warning title=REGEX_UNDECIDED::100%25 sure?"
        );
    }

    #[test]
    fn github_escaping_follows_the_workflow_command_rules() {
        assert_eq!(escape_github_data("a%b\r\nc:d,e"), "a%25b%0D%0Ac:d,e");
        assert_eq!(
            escape_github_property("a%b\r\nc:d,e"),
            "a%25b%0D%0Ac%3Ad%2Ce"
        );
    }

    #[test]
    fn text_format_is_plain_for_vet_and_rich_elsewhere() {
        let (sources, diagnostic) = fixture();
        assert_eq!(
            render(Format::Text, true, &diagnostic, &sources),
            render_plain(&diagnostic, &sources)
        );
        assert_eq!(
            render(Format::Text, false, &diagnostic, &sources),
            render_rich(&diagnostic, &sources)
        );
    }
}
