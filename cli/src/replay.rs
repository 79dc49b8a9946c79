//! `check --replay`: the stored events of every event type the change touches, read back from
//! JetStream and validated against the version the change would create. What real data does
//! decides what the structural comparison cannot: a tightened bound no event came near is
//! harmless, one that real events cross is not.
//!
//! Each type is read by its own pull consumer (see `cuemesh_publisher::StoredEvents`),
//! one event at a time: only the counts and the first [`SAMPLES`] rejected events are kept,
//! so memory does not grow with the stream. Every rejected event makes the type's
//! `REPLAY_REJECTED` finding an error (which `check.allow` may allow, like any break).

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use cue::{Diagnostic, SourceMap};
use cuemesh_publisher::{
    read_observations, NatsConfig, Observation, Pin, ReplayConfig as StreamReplay, ReplayError,
    ReplayStart, StoredData, StoredEvents, Validator, Violation,
};
use cuemesh_registry::check::{CheckFinding, ReplayTarget, REPLAY_REJECTED};
use serde_json::json;

/// How many events of a type are read when neither `--last` nor `--since` says: enough to
/// cover a type's recent traffic, few enough for a pull request's check to stay well under a
/// minute (the benchmark in `bench/replay` reads and validates far more per second).
pub const DEFAULT_LAST: u64 = 10_000;

/// How many rejected events of a type are shown (all are counted).
pub const SAMPLES: usize = 5;

/// Which stored events are read, per type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayWindow {
    /// The last N events of each type.
    Last(u64),
    /// The events stored within this long before now.
    Since(Duration),
}

/// What `check --replay` reads.
#[derive(Debug, Clone)]
pub struct ReplayConfig {
    pub nats: NatsConfig,
    pub stream: String,
    pub window: ReplayWindow,
}

/// What replaying one event type found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeReplay {
    pub source: String,
    pub event_type: String,
    /// The version the events were validated against.
    pub version: u32,
    pub read: u64,
    pub valid: u64,
    pub rejected: u64,
    /// The first rejected events, in stream order.
    pub samples: Vec<Sample>,
}

/// One rejected stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Its stream sequence.
    pub sequence: u64,
    /// Its CloudEvents `id` (empty when the message is not a CloudEvent).
    pub id: String,
    pub violations: Vec<Violation>,
}

/// What [`replay`] found: one entry per type, and whether the stream exists.
#[derive(Debug, Clone, Default)]
pub struct Replay {
    pub types: Vec<TypeReplay>,
    /// The stream named was not found: nothing was read (a warning, not a failure).
    pub missing_stream: Option<String>,
    /// What receivers recorded in the `cuemesh-consumers` bucket (empty without one).
    pub observations: Vec<Observation>,
    /// Why (some of) the bucket could not be read: warnings, the replay stands.
    pub observation_problems: Vec<String>,
}

/// Reads and validates the stored events of every target.
pub fn replay(config: &ReplayConfig, targets: &[ReplayTarget]) -> anyhow::Result<Replay> {
    if targets.is_empty() {
        return Ok(Replay::default());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(replay_all(config, targets))
}

async fn replay_all(config: &ReplayConfig, targets: &[ReplayTarget]) -> anyhow::Result<Replay> {
    let client = config
        .nats
        .connect()
        .await
        .context("cannot replay the stored events")?;
    let jetstream = async_nats::jetstream::new(client);
    let start = match config.window {
        ReplayWindow::Last(count) => ReplayStart::Last(count),
        ReplayWindow::Since(duration) => {
            let since = chrono::Duration::from_std(duration)
                .ok()
                .and_then(|duration| chrono::Utc::now().checked_sub_signed(duration))
                .with_context(|| format!("--since {duration:?} reaches before any date"))?;
            ReplayStart::Since(since)
        }
    };
    let mut replay = Replay::default();
    for target in targets {
        let stream_config = StreamReplay {
            stream: config.stream.clone(),
            subject_prefix: None,
            source: target.source.clone(),
            event_type: target.event_type.clone(),
            start,
        };
        let events = match StoredEvents::open(&jetstream, &stream_config).await {
            Ok(events) => events,
            Err(ReplayError::NoStream { stream }) => {
                replay.missing_stream = Some(stream);
                replay.types.clear();
                return Ok(replay);
            }
            Err(error) => {
                return Err(anyhow::Error::new(error)).with_context(|| {
                    format!("cannot replay the stored events of {:?}", target.event_type)
                })
            }
        };
        let outcome = replay_type(events, target, Progress::on_terminal(&target.event_type))
            .await
            .with_context(|| {
                format!("cannot replay the stored events of {:?}", target.event_type)
            })?;
        replay.types.push(outcome);
    }
    // Who was observed decoding the touched types, for `CONSUMER_UNDECLARED`.
    match read_observations(&jetstream).await {
        Ok(None) => {}
        Ok(Some((observations, problems))) => {
            replay.observations = observations;
            replay.observation_problems = problems.iter().map(|p| p.to_string()).collect();
        }
        Err(error) => replay
            .observation_problems
            .push(format!("{:#}", anyhow::Error::new(error))),
    }
    Ok(replay)
}

/// Validates every event `events` yields against `target`'s schema.
pub async fn replay_type(
    mut events: StoredEvents,
    target: &ReplayTarget,
    mut progress: Option<Progress>,
) -> Result<TypeReplay, ReplayError> {
    let validator = Validator {
        pin: Pin::new(&target.source, &target.event_type, target.version),
        schema: target.schema.clone(),
        digest: None,
    };
    let total = events.remaining();
    let mut outcome = TypeReplay {
        source: target.source.clone(),
        event_type: target.event_type.clone(),
        version: target.version,
        read: 0,
        valid: 0,
        rejected: 0,
        samples: Vec::new(),
    };
    let result = loop {
        let message = match events.next().await {
            None => break Ok(()),
            Some(Ok(message)) => message,
            Some(Err(error)) => break Err(error),
        };
        outcome.read += 1;
        let (id, violations) = match message.event() {
            Ok(event) => {
                let violations = match &event.data {
                    StoredData::Json(text) => validator.violations("data.json", text),
                    StoredData::NotJson { datacontenttype } => vec![Violation {
                        path: String::new(),
                        code: "NOT_JSON",
                        message: format!("the data is {datacontenttype}, not JSON"),
                    }],
                };
                (event.id, violations)
            }
            Err(error) => (
                "".into(),
                vec![Violation {
                    path: String::new(),
                    code: "NOT_A_CLOUDEVENT",
                    message: error.to_string(),
                }],
            ),
        };
        if violations.is_empty() {
            outcome.valid += 1;
        } else {
            outcome.rejected += 1;
            if outcome.samples.len() < SAMPLES {
                outcome.samples.push(Sample {
                    sequence: message.sequence,
                    id: id.into_owned(),
                    violations,
                });
            }
        }
        if let Some(progress) = &mut progress {
            progress.tick(outcome.read, total);
        }
    };
    if let Some(progress) = &progress {
        progress.clear();
    }
    events.close().await;
    result.map(|()| outcome)
}

/// How often the progress line is redrawn at most.
const REDRAW: Duration = Duration::from_millis(100);

/// A live `replaying TYPE: N of M events` line on stderr, redrawn at most ten times a second.
pub struct Progress {
    label: String,
    last: Instant,
}

impl Progress {
    /// A progress line when stderr is a terminal and not `--quiet`.
    pub fn on_terminal(event_type: &str) -> Option<Progress> {
        let normal = crate::output::config().verbosity >= crate::output::Verbosity::Normal;
        // The first line is drawn as soon as the first thousand events are read.
        let now = Instant::now();
        (normal && std::io::stderr().is_terminal()).then(|| Progress {
            label: event_type.to_string(),
            last: now.checked_sub(REDRAW).unwrap_or(now),
        })
    }

    fn tick(&mut self, read: u64, total: u64) {
        // The clock is read once per thousand events: a replay reads hundreds of thousands.
        if !read.is_multiple_of(1024) || self.last.elapsed() < REDRAW {
            return;
        }
        self.last = Instant::now();
        let line = crate::output::config().progress_line(format_args!(
            "replaying {:?}: {read} of {total} events",
            self.label
        ));
        let _ = write!(std::io::stderr().lock(), "\r{line}\x1b[K");
    }

    fn clear(&self) {
        let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
    }
}

/// One `REPLAY_REJECTED` error per type with rejected events, naming the first of them.
pub fn findings(replay: &Replay) -> Vec<CheckFinding> {
    replay
        .types
        .iter()
        .filter(|outcome| outcome.rejected > 0)
        .map(|outcome| {
            let mut message = format!(
                "{} of the {} stored events of {:?} read back are rejected by the version {} this change would create",
                outcome.rejected, outcome.read, outcome.event_type, outcome.version
            );
            for sample in &outcome.samples {
                message.push_str(&format!("\n  {}", sample_line(sample)));
            }
            if outcome.rejected > outcome.samples.len() as u64 {
                message.push_str(&format!(
                    "\n  ... and {} more",
                    outcome.rejected - outcome.samples.len() as u64
                ));
            }
            CheckFinding {
                source: Some(outcome.source.clone()),
                event_type: Some(outcome.event_type.clone()),
                diagnostic: Diagnostic::error(REPLAY_REJECTED, message).with_help(
                    "consumers on the new version would reject events producers already sent: loosen the change, or allow it in cuemesh.cue (`check: allow: [{type: ..., rule: \"REPLAY_REJECTED\", reason: ...}]`)",
                ),
                files: Arc::new(SourceMap::new()),
                allowed: None,
                counterexample: None,
                counterexample_note: None,
                consumers: Vec::new(),
            }
        })
        .collect()
}

/// `sequence 12, id order-7: n: invalid value 75 (out of bound <=50); ...`.
pub fn sample_line(sample: &Sample) -> String {
    let id = if sample.id.is_empty() {
        String::new()
    } else {
        format!(", id {}", sample.id)
    };
    let violations: Vec<String> = sample.violations.iter().map(Violation::headline).collect();
    format!(
        "sequence {}{id}: {}",
        sample.sequence,
        violations.join("; ")
    )
}

/// `A:x version 2: 120 read, 117 valid, 3 rejected`.
pub fn summary_line(outcome: &TypeReplay) -> String {
    format!(
        "replay {} version {}: {} read, {} valid, {} rejected",
        outcome.event_type, outcome.version, outcome.read, outcome.valid, outcome.rejected
    )
}

/// The `--format json` line of one type.
pub fn json_line(outcome: &TypeReplay) -> serde_json::Value {
    json!({
        "kind": "replay",
        "source": outcome.source,
        "type": outcome.event_type,
        "version": outcome.version,
        "read": outcome.read,
        "valid": outcome.valid,
        "rejected": outcome.rejected,
        "samples": outcome.samples.iter().map(|sample| json!({
            "sequence": sample.sequence,
            "id": sample.id,
            "violations": sample.violations.iter().map(|v| json!({
                "path": v.path,
                "code": v.code,
                "message": v.message,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(rejected: u64, samples: Vec<Sample>) -> TypeReplay {
        TypeReplay {
            source: "A".to_string(),
            event_type: "A:x".to_string(),
            version: 2,
            read: 10,
            valid: 10 - rejected,
            rejected,
            samples,
        }
    }

    fn sample(sequence: u64) -> Sample {
        Sample {
            sequence,
            id: format!("e-{sequence}"),
            violations: vec![Violation {
                path: "n".to_string(),
                code: "CONFLICT",
                message: "invalid value 75 (out of bound <=50)".to_string(),
            }],
        }
    }

    #[test]
    fn rejected_events_are_one_error_per_type_naming_them() {
        let replay = Replay {
            types: vec![
                outcome(0, Vec::new()),
                outcome(7, (1..=5).map(sample).collect()),
            ],
            ..Replay::default()
        };
        let findings = findings(&replay);
        assert_eq!(findings.len(), 1);
        let diagnostic = &findings[0].diagnostic;
        assert_eq!(diagnostic.code, REPLAY_REJECTED);
        assert_eq!(diagnostic.severity, cue::Severity::Error);
        assert!(diagnostic
            .message
            .starts_with("7 of the 10 stored events of \"A:x\""));
        assert!(diagnostic
            .message
            .contains("sequence 3, id e-3: n: invalid value 75 (out of bound <=50)"));
        assert!(diagnostic.message.ends_with("... and 2 more"));
    }

    #[test]
    fn json_lines_carry_counts_and_samples() {
        let line = json_line(&outcome(1, vec![sample(4)]));
        assert_eq!(
            line,
            json!({"kind": "replay", "source": "A", "type": "A:x", "version": 2, "read": 10,
                "valid": 9, "rejected": 1, "samples": [{"sequence": 4, "id": "e-4",
                "violations": [{"path": "n", "code": "CONFLICT",
                    "message": "invalid value 75 (out of bound <=50)"}]}]})
        );
        assert_eq!(
            summary_line(&outcome(1, Vec::new())),
            "replay A:x version 2: 10 read, 9 valid, 1 rejected"
        );
    }
}
