//! Consumers in the gate: a change of an event type must stay readable by every consumer that
//! pins an earlier version of it (`consumers/<name>.cue` in the working tree).
//!
//! A consumer decodes with its pinned version's schema, so that schema must accept every value
//! the new version accepts: the compatibility engine's FORWARD direction, with the pinned
//! version as the previous one. A break is `CONSUMER_BROKEN`, naming the consumer, its owner,
//! its pinned version and the engine's counterexample (a value the new version accepts and the
//! pinned one rejects). A consumer on `"latest"` follows every version and is never broken by
//! a change; removing a type names every consumer that reads it, whatever its pin.

use std::sync::Arc;

use cue::compat::{self, Mode};
use cue::{Diagnostic, Label, Package, Severity, Span};

use super::{CheckFinding, PreviousPackages};
use crate::consumer::{Consumer, ConsumerRead, Pin};
use crate::files::RepoFiles;

/// A change an event type's pinned consumer cannot read.
pub const CONSUMER_BROKEN: &str = "CONSUMER_BROKEN";

/// A consumer receivers were observed running as (the `cuemesh-consumers` bucket), decoding a
/// type the change touches, that no consumer file declares reading it: the gate cannot tell
/// whether the change breaks it.
pub const CONSUMER_UNDECLARED: &str = "CONSUMER_UNDECLARED";

/// A consumer a finding affects, as the outputs list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffectedConsumer {
    /// `consumer.id`.
    pub id: String,
    /// `consumer.owner`: who should review the change.
    pub owner: String,
    /// The version it reads with.
    pub version: Pin,
    /// Its file (`consumers/billing.cue`).
    pub path: String,
}

impl AffectedConsumer {
    fn new(consumer: &Consumer, read: &ConsumerRead) -> AffectedConsumer {
        AffectedConsumer {
            id: consumer.id.clone().unwrap_or_default(),
            owner: consumer.owner.clone().unwrap_or_default(),
            version: read.version,
            path: consumer.path.clone(),
        }
    }

    /// `consumer "billing" (@acme/billing, version 1)`.
    pub fn describe(&self) -> String {
        format!(
            "consumer {:?} ({}, version {})",
            self.id, self.owner, self.version
        )
    }

    /// The consumer as JSON: `{"id", "owner", "version", "file"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "owner": self.owner,
            "version": self.version.to_json(),
            "file": self.path,
        })
    }
}

/// The consumers of the working tree (`consumers/*.cue`) that load without errors; broken
/// files are lint's to report.
pub(super) fn working_consumers(files: &RepoFiles) -> Vec<Consumer> {
    files
        .files
        .iter()
        .filter(|(path, _)| crate::consumer::is_consumer_path(path))
        .filter_map(|(path, bytes)| {
            let text = std::str::from_utf8(bytes).ok()?;
            let consumer = crate::consumer::load_consumer(path, text);
            let usable =
                !consumer.has_errors() && consumer.id.is_some() && consumer.owner.is_some();
            usable.then_some(consumer)
        })
        .collect()
}

/// Every consumer that reads `(source, event_type)`, with its read, in file order.
pub(super) fn readers<'c>(
    consumers: &'c [Consumer],
    source: &str,
    event_type: &str,
) -> Vec<(&'c Consumer, &'c ConsumerRead)> {
    consumers
        .iter()
        .filter_map(|consumer| Some((consumer, consumer.pin(source, event_type)?)))
        .collect()
}

/// What one changed event type is, for [`check_pins`].
pub(super) struct ChangedType<'a> {
    pub(super) source: &'a str,
    pub(super) event_type: &'a str,
    /// The definition in the working tree's package.
    pub(super) definition: &'a str,
    /// The version merging would create.
    pub(super) next: u32,
    /// Every version at the base, oldest first.
    pub(super) versions: &'a [crate::Version],
    /// Example payloads, where counterexamples start from.
    pub(super) examples: Vec<serde_json::Value>,
}

/// A `CONSUMER_BROKEN` finding for every consumer whose pinned version cannot read what the
/// changed type's new version accepts.
pub(super) fn check_pins(
    readers: &[(&Consumer, &ConsumerRead)],
    changed: ChangedType<'_>,
    current: &Package,
    previous_packages: &mut PreviousPackages<'_>,
) -> Result<Vec<CheckFinding>, crate::Error> {
    let mut findings = Vec::new();
    let options = compat::Options {
        examples: changed.examples,
    };
    for (consumer, read) in readers {
        let Pin::Version(number) = read.version else {
            continue;
        };
        // A version the base does not have is lint's `CONSUMER_READS_UNKNOWN`.
        let Some(pinned) = changed.versions.iter().find(|v| v.number == number) else {
            continue;
        };
        let package = previous_packages.load(&pinned.commit.id, &pinned.directory)?;
        let previous = [compat::Version {
            package: &package,
            definition: &pinned.definition,
        }];
        let current_version = compat::Version {
            package: current,
            definition: changed.definition,
        };
        // The consumer's reader plays the previous version: FORWARD asks whether it accepts
        // every value the new version accepts.
        let Ok(report) = compat::check_with(&previous, current_version, Mode::Forward, &options)
        else {
            // A version that does not load is reported by the type's own comparison.
            continue;
        };
        let breaks: Vec<&compat::Finding> = report
            .findings
            .iter()
            .filter(|finding| finding.severity == Severity::Error)
            .collect();
        let Some(first) = breaks.first() else {
            continue;
        };
        let affected = AffectedConsumer::new(consumer, read);
        let more = match breaks.len() {
            1 => String::new(),
            n => format!(
                " (and {} more change{})",
                n - 1,
                if n == 2 { "" } else { "s" }
            ),
        };
        let mut files = report.sources.clone();
        let mut diagnostic = Diagnostic::error(
            CONSUMER_BROKEN,
            format!(
                "consumer {:?} ({}) reads {:?} with version {number}, which cannot read everything version {} accepts: {}{more}",
                affected.id,
                affected.owner,
                changed.event_type,
                changed.next,
                first.to_diagnostic().headline(),
            ),
        )
        .with_help(format!(
            "keep the change readable by version {number}, or have {} move {} to version {} (or \"latest\") once it reads it",
            affected.owner, affected.path, changed.next
        ));
        if let Some(span) = first.span {
            diagnostic = diagnostic.with_span(span);
        }
        // The pin, in the consumer's file, as a second place to look.
        if let Some(file) = consumer.files.get(read.span.file) {
            let id = files.add(file.name.clone(), file.text.clone());
            diagnostic.labels.push(Label {
                span: Span::new(id, read.span.start, read.span.end),
                message: format!("{} pins version {number} here", affected.id),
            });
        }
        findings.push(CheckFinding {
            source: Some(changed.source.to_string()),
            event_type: Some(changed.event_type.to_string()),
            diagnostic,
            files: Arc::new(files),
            allowed: None,
            counterexample: first.counterexample.clone(),
            counterexample_note: first.counterexample_note.clone(),
            consumers: vec![affected],
        });
    }
    Ok(findings)
}

/// The consumers of a removed type, and the words naming them in `EVENT_REMOVED`.
pub(super) fn of_removed(
    consumers: &[Consumer],
    source: &str,
    event_type: &str,
) -> (Vec<AffectedConsumer>, String) {
    let affected: Vec<AffectedConsumer> = readers(consumers, source, event_type)
        .into_iter()
        .map(|(consumer, read)| AffectedConsumer::new(consumer, read))
        .collect();
    let words = if affected.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = affected.iter().map(AffectedConsumer::describe).collect();
        format!("; read by {}", names.join(", "))
    };
    (affected, words)
}

/// A `CONSUMER_UNDECLARED` warning for every consumer observed decoding one of `touched` (the
/// event types the change touches, as `(source, type)`) that no consumer of `declared` reads;
/// one per consumer and type, naming the versions it was seen with.
pub(super) fn undeclared(
    declared: &[Consumer],
    touched: &[(&str, &str)],
    observations: &[cuemesh_contract::observed::Observation],
) -> Vec<CheckFinding> {
    let mut findings: Vec<CheckFinding> = Vec::new();
    let mut seen: Vec<(&str, &str, &str)> = Vec::new();
    for observation in observations {
        let (source, event_type, id) = (
            observation.source.as_str(),
            observation.event_type.as_str(),
            observation.consumer.as_str(),
        );
        let is_touched = touched.contains(&(source, event_type));
        let is_declared = readers(declared, source, event_type)
            .iter()
            .any(|(consumer, _)| consumer.id.as_deref() == Some(id));
        if !is_touched || is_declared || seen.contains(&(source, event_type, id)) {
            continue;
        }
        seen.push((source, event_type, id));
        let versions: Vec<String> = observations
            .iter()
            .filter(|o| o.source == source && o.event_type == event_type && o.consumer == id)
            .map(|o| format!("version {}, last seen {}", o.version, o.last_seen))
            .collect();
        let message = format!(
            "consumer {id:?} was observed decoding {event_type:?} ({}), but no file under consumers/ declares that it reads it, so this change is not checked against it",
            versions.join("; ")
        );
        findings.push(CheckFinding {
            source: Some(source.to_string()),
            event_type: Some(event_type.to_string()),
            diagnostic: Diagnostic {
                severity: Severity::Warning,
                ..Diagnostic::error(CONSUMER_UNDECLARED, message)
            }
            .with_help(format!(
                "declare it in consumers/<name>.cue: `consumer: {{id: {id:?}, owner: ...}}` and `reads: {source:?}: {event_type:?}: version: ...`"
            )),
            files: Arc::new(cue::SourceMap::new()),
            allowed: None,
            counterexample: None,
            counterexample_note: None,
            consumers: Vec::new(),
        });
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use cuemesh_contract::observed::Observation;

    fn seen(consumer: &str, event_type: &str, version: u32) -> Observation {
        Observation {
            consumer: consumer.to_string(),
            source: "A".to_string(),
            event_type: event_type.to_string(),
            version,
            last_seen: format!("2026-12-06T01:0{version}:00Z"),
        }
    }

    #[test]
    fn only_observed_readers_of_touched_types_that_no_file_declares_are_warned_about() {
        let billing = crate::consumer::load_consumer(
            "consumers/billing.cue",
            "package billing\n\nconsumer: {id: \"billing\", owner: \"@acme/billing\"}\n\nreads: \"A\": \"A:x\": version: 1\n",
        );
        assert!(!billing.has_errors(), "{:?}", billing.diagnostics);
        let observations = [
            seen("billing", "A:x", 1),
            seen("audit", "A:x", 1),
            seen("audit", "A:x", 2),
            seen("billing", "A:y", 1),
            seen("audit", "A:z", 1),
        ];
        let findings = undeclared(&[billing], &[("A", "A:x"), ("A", "A:y")], &observations);
        let named: Vec<(&str, &str)> = findings
            .iter()
            .map(|f| {
                assert_eq!(f.diagnostic.code, CONSUMER_UNDECLARED);
                assert_eq!(f.diagnostic.severity, Severity::Warning);
                (
                    f.event_type.as_deref().unwrap_or_default(),
                    f.diagnostic.message.as_str(),
                )
            })
            .collect();
        // audit reads A:x undeclared (both versions named once); billing declares A:x but not
        // A:y; A:z is not touched.
        assert_eq!(named.len(), 2, "{named:?}");
        assert_eq!(named[0].0, "A:x");
        assert!(named[0].1.starts_with("consumer \"audit\" was observed decoding \"A:x\" (version 1, last seen 2026-12-06T01:01:00Z; version 2, last seen 2026-12-06T01:02:00Z)"), "{}", named[0].1);
        assert_eq!(named[1].0, "A:y");
        assert!(
            named[1].1.starts_with("consumer \"billing\""),
            "{}",
            named[1].1
        );
    }
}
