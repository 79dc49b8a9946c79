//! `cuemesh tail`: prints the CloudEvents of a JetStream stream as they arrive, one line each,
//! marking those whose data fails its schema and messages that are not CloudEvents.

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use base64::Engine;
use cuemesh_publisher::{
    ConsumeError, ConsumerRecorder, DecodeError, Delivery, EventData, NatsConfig, Received,
    Receiver, ReceiverConfig, RegistrySchema, StartAt, SubscribeConfig, Validation,
};
use futures::StreamExt;
use serde_json::{json, Value};

/// How `tail` prints events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TailFormat {
    /// One line per event: time, source, type, id, subject, a data preview, and what is wrong.
    Text,
    /// One JSON object per line: `sequence`, `subject`, `mode`, `attributes` (as in the
    /// CloudEvents JSON format), `data` or `data_base64`, and `validation`; or `sequence`,
    /// `subject` and `error` for a message that is not a CloudEvent.
    Json,
}

impl TailFormat {
    pub fn from_format(format: crate::render::Format) -> anyhow::Result<TailFormat> {
        match format {
            crate::render::Format::Text => Ok(TailFormat::Text),
            crate::render::Format::Json => Ok(TailFormat::Json),
            crate::render::Format::Github => {
                anyhow::bail!("tail prints --format text or json, not github")
            }
        }
    }
}

/// Where `tail` starts, as the command line says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TailStart {
    /// Events stored from now on.
    New,
    /// Every event in the stream.
    FromStart,
    /// Events stored within this long before now.
    Since(Duration),
    /// The last N matching events.
    Last(u64),
}

/// What `tail` was asked to do.
#[derive(Debug, Clone)]
pub struct TailConfig {
    /// The NATS servers, credentials and TLS settings.
    pub nats: NatsConfig,
    /// The registry to validate against; `None` validates nothing (every event unchecked).
    /// Events whose `dataschema` names another registry are reported unchecked.
    pub registry_url: Option<String>,
    pub stream: String,
    pub source: Option<String>,
    pub event_type: Option<String>,
    pub start: TailStart,
    pub format: TailFormat,
    /// Stop after printing this many events (malformed messages count too); `None` runs until
    /// stopped.
    pub count: Option<u64>,
    /// Colour the text format (`--color`, judged on stdout).
    pub color: bool,
    /// `--as`: record the versions decoded as this consumer (`cuemesh-consumers`).
    pub as_consumer: Option<String>,
}

/// Consumes the stream and prints each event until Ctrl-C or SIGTERM (`Ok`), until stdout is
/// closed (`Ok`), until `count` events are printed (`Ok`), or until the consumer fails (an
/// error).
pub fn run(config: &TailConfig) -> anyhow::Result<()> {
    let receiver = match &config.registry_url {
        Some(registry_url) => Receiver::new(
            ReceiverConfig {
                registry_url: Some(registry_url.clone()),
                ..ReceiverConfig::default()
            },
            RegistrySchema::new(registry_url.as_str()),
        ),
        None => Receiver::without_schemas(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        tokio::select! {
            outcome = tail(config, receiver) => outcome,
            () = crate::serve::shutdown_signal() => Ok(()),
        }
    })
}

async fn tail(config: &TailConfig, receiver: Receiver) -> anyhow::Result<()> {
    let client = config
        .nats
        .connect()
        .await
        .context("cannot read the stream")?;
    let jetstream = async_nats::jetstream::new(client);
    let receiver = match &config.as_consumer {
        None => receiver,
        Some(consumer) => match ConsumerRecorder::open(&jetstream, consumer).await {
            Ok(recorder) => receiver.with_recorder(recorder),
            Err(error) => {
                crate::output::warning(format_args!(
                    "--as {consumer}: nothing is recorded: {:#}",
                    anyhow::Error::new(error)
                ));
                receiver
            }
        },
    };
    let receiver = &receiver;
    let subscribe = SubscribeConfig {
        stream: config.stream.clone(),
        source: config.source.clone(),
        event_type: config.event_type.clone(),
        start: start_at(config.start, chrono::Utc::now())?,
        ..SubscribeConfig::default()
    };
    let deliveries = receiver
        .subscribe(&jetstream, &subscribe)
        .await
        .map_err(consume_error)?;
    let mut deliveries = std::pin::pin!(deliveries);
    let mut stdout = std::io::stdout().lock();
    let mut printed = 0;
    if config.count == Some(0) {
        return Ok(());
    }
    while let Some(delivery) = deliveries.next().await {
        let delivery = match delivery {
            Ok(delivery) => delivery,
            Err(error) if error.is_transient() => {
                let error = consume_error(error);
                crate::output::warning(format_args!("{error:#}; still waiting for events"));
                continue;
            }
            Err(error) => return Err(consume_error(error)),
        };
        if let Some(error) = receiver.recorder().and_then(|r| r.take_failure()) {
            crate::output::warning(format_args!(
                "--as: {:#}; the event is printed all the same",
                anyhow::Error::new(error)
            ));
        }
        let line = match config.format {
            TailFormat::Text => render_text(&delivery, config.color),
            TailFormat::Json => render_json(&delivery).to_string(),
        };
        let written = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
        match written {
            Ok(()) => {
                printed += 1;
                if config.count == Some(printed) {
                    return Ok(());
                }
            }
            // The reader went away (`cuemesh tail | head`): nothing more to do.
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            Err(error) => return Err(error).context("cannot write to stdout"),
        }
    }
    anyhow::bail!("the consumer on stream {} ended", config.stream)
}

fn consume_error(error: ConsumeError) -> anyhow::Error {
    anyhow::Error::new(error)
}

/// The consumer's start for `start`, `now` being the current time.
pub fn start_at(start: TailStart, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<StartAt> {
    Ok(match start {
        TailStart::New => StartAt::New,
        TailStart::FromStart => StartAt::First,
        TailStart::Last(count) => StartAt::Last(count),
        TailStart::Since(duration) => {
            let duration = chrono::Duration::from_std(duration)
                .ok()
                .and_then(|duration| now.checked_sub_signed(duration))
                .with_context(|| format!("--since {duration:?} reaches before any date"))?;
            StartAt::Time(duration)
        }
    })
}

/// A duration such as `90s`, `15m`, `2h`, `7d` or `1h30m` (units `ms`, `s`, `m`, `h`, `d`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let usage = || format!("{text:?} is not a duration such as 90s, 15m, 2h, 7d or 1h30m");
    if text.is_empty() {
        return Err(usage());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let unit_length = rest[digits..]
            .bytes()
            .take_while(u8::is_ascii_alphabetic)
            .count();
        if digits == 0 || unit_length == 0 {
            return Err(usage());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| usage())?;
        let unit = match &rest[digits..digits + unit_length] {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            "d" => Duration::from_secs(86_400),
            _ => return Err(usage()),
        };
        let part = u32::try_from(number)
            .ok()
            .and_then(|number| unit.checked_mul(number))
            .ok_or_else(usage)?;
        total = total.checked_add(part).ok_or_else(usage)?;
        rest = &rest[digits + unit_length..];
    }
    Ok(total)
}

const RED: &str = "\x1b[31m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// How many characters of data the text format shows.
const PREVIEW_CHARACTERS: usize = 80;

/// One line of the text format.
pub fn render_text(delivery: &Delivery, color: bool) -> String {
    let paint = |style: &str, text: &str| {
        if color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    };
    let event = match &delivery.event {
        Ok(event) => event,
        Err(error) => {
            return format!(
                "{} #{} on {}: {error}",
                paint(RED, "MALFORMED"),
                delivery.stream_sequence,
                delivery.subject
            )
        }
    };
    let attributes = &event.attributes;
    let time = attributes.time.map_or_else(
        || "-".to_string(),
        |time| time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    );
    let mut line = format!(
        "{} {} {} {} {} {}",
        paint(DIM, &time),
        attributes.source,
        paint(BOLD, &attributes.event_type),
        attributes.id,
        attributes.subject.as_deref().unwrap_or("-"),
        preview(event)
    );
    if let Validation::Invalid(violations) = &event.validation {
        let headlines: Vec<String> = violations.iter().map(|v| v.headline()).collect();
        line.push_str(&format!(
            "  {} {}",
            paint(RED, "INVALID:"),
            headlines.join("; ")
        ));
    }
    line
}

/// The data, compact and cut to [`PREVIEW_CHARACTERS`].
fn preview(event: &Received) -> String {
    let text = match &event.data {
        None => return "-".to_string(),
        Some(EventData::Json(value)) => value.to_string(),
        Some(EventData::Binary(bytes)) => {
            return format!(
                "<{} bytes of {}>",
                bytes.len(),
                event
                    .attributes
                    .datacontenttype
                    .as_deref()
                    .unwrap_or("binary data")
            )
        }
    };
    if text.chars().count() <= PREVIEW_CHARACTERS {
        return text;
    }
    let mut cut: String = text.chars().take(PREVIEW_CHARACTERS - 1).collect();
    cut.push('…');
    cut
}

/// One object of the json format.
pub fn render_json(delivery: &Delivery) -> Value {
    let event = match &delivery.event {
        Ok(event) => event,
        Err(error) => return malformed_json(delivery, error),
    };
    let mut object = json!({
        "sequence": delivery.stream_sequence,
        "subject": delivery.subject,
        "mode": match event.mode {
            cuemesh_publisher::ContentMode::Structured => "structured",
            cuemesh_publisher::ContentMode::Binary => "binary",
        },
        "attributes": event.attributes.to_json(),
    });
    match &event.data {
        None => {}
        Some(EventData::Json(value)) => {
            object["data"] = value.clone();
        }
        Some(EventData::Binary(bytes)) => {
            object["data_base64"] = base64::engine::general_purpose::STANDARD
                .encode(bytes)
                .into();
        }
    }
    object["validation"] = match &event.validation {
        Validation::Valid => json!({"status": "valid"}),
        Validation::Invalid(violations) => json!({
            "status": "invalid",
            "violations": violations
                .iter()
                .map(|v| json!({"path": v.path, "code": v.code, "message": v.message}))
                .collect::<Vec<_>>(),
        }),
        Validation::Unchecked(reason) => json!({
            "status": "unchecked",
            "reason": reason.to_string(),
        }),
    };
    object
}

fn malformed_json(delivery: &Delivery, error: &DecodeError) -> Value {
    json!({
        "sequence": delivery.stream_sequence,
        "subject": delivery.subject,
        "error": error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use cuemesh_publisher::{decode, Violation};

    fn delivery(validation: Validation, data: &str) -> Delivery {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Content-Type", "application/cloudevents+json");
        let body = format!(
            r#"{{"specversion": "1.0", "id": "e-1", "source": "orders", "type": "OrderCreated",
                "time": "2026-05-17T09:30:00Z", "subject": "o-1", "data": {data}}}"#
        );
        let (mode, attributes, data) = decode(Some(&headers), body.as_bytes()).expect("decodes");
        Delivery {
            stream_sequence: 7,
            subject: "events.orders.OrderCreated".to_string(),
            event: Ok(Received {
                mode,
                attributes,
                data,
                validation,
            }),
        }
    }

    fn invalid() -> Validation {
        Validation::Invalid(vec![Violation {
            path: "total".to_string(),
            code: "CONFLICT",
            message: "invalid value -1 (out of bound >=0)".to_string(),
        }])
    }

    #[test]
    fn text_lines_show_the_attributes_a_preview_and_violations() {
        let line = render_text(&delivery(Validation::Valid, r#"{"total": 3}"#), false);
        assert_eq!(
            line,
            r#"2026-05-17T09:30:00Z orders OrderCreated e-1 o-1 {"total":3}"#
        );
        let line = render_text(&delivery(invalid(), r#"{"total": -1}"#), false);
        assert_eq!(
            line,
            r#"2026-05-17T09:30:00Z orders OrderCreated e-1 o-1 {"total":-1}  INVALID: total: invalid value -1 (out of bound >=0)"#
        );
        let colored = render_text(&delivery(invalid(), r#"{"total": -1}"#), true);
        assert!(colored.contains("\x1b[31mINVALID:\x1b[0m"), "{colored}");
        let long = format!(r#"{{"note": "{}"}}"#, "x".repeat(200));
        let line = render_text(&delivery(Validation::Valid, &long), false);
        assert!(line.ends_with("xxx…"), "{line}");
        assert_eq!(
            line.split(' ').next_back().map(|p| p.chars().count()),
            Some(80)
        );
    }

    #[test]
    fn json_objects_hold_attributes_data_and_validation() {
        let object = render_json(&delivery(invalid(), r#"{"total": -1}"#));
        assert_eq!(
            object,
            json!({
                "sequence": 7,
                "subject": "events.orders.OrderCreated",
                "mode": "structured",
                "attributes": {
                    "specversion": "1.0", "id": "e-1", "source": "orders",
                    "type": "OrderCreated", "time": "2026-05-17T09:30:00Z", "subject": "o-1"
                },
                "data": {"total": -1},
                "validation": {"status": "invalid", "violations": [
                    {"path": "total", "code": "CONFLICT", "message": "invalid value -1 (out of bound >=0)"}
                ]}
            })
        );
    }

    #[test]
    fn durations_read_units_and_refuse_anything_else() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        for bad in ["", "10", "m", "5 m", "3w", "-1s", "99999999999h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn since_starts_that_long_before_now() {
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 5, 17, 9, 30, 0)
            .single()
            .expect("a time");
        assert_eq!(
            start_at(TailStart::Since(Duration::from_secs(1800)), now).expect("in range"),
            StartAt::Time(now - chrono::Duration::minutes(30))
        );
    }
}
