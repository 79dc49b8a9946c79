//! The `cuemesh` binary: parses arguments into typed configuration and maps outcomes to exit
//! codes (0 clean, 1 findings, 2 usage or I/O error).

use anyhow::Context;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use cuemesh::check::{self, CheckConfig, CheckOutcome};
use cuemesh::compat::{self, CompatConfig, CompatOutcome};
use cuemesh::completions::{self, Shell};
use cuemesh::dev::{self, DevConfig};
use cuemesh::export::{self, ExportConfig, ExportFormat, ExportOutcome};
use cuemesh::import::{self as importer, ImportCommand};
use cuemesh::init::{self, InitConfig};
use cuemesh::lint::{self, LintConfig, LintOutcome};
use cuemesh::nats::NatsOptions;
use cuemesh::net::ListenTlsOptions;
use cuemesh::output::{self, ColorChoice, OutputConfig};
use cuemesh::publish::{self, PublishConfig, PublishOutcome};
use cuemesh::publisher::{self, PublisherCommandConfig};
use cuemesh::reference;
use cuemesh::render::Format;
use cuemesh::replay::{self, ReplayConfig, ReplayWindow};
use cuemesh::serve::{self, LogFormat, ServeConfig};
use cuemesh::tail::{self, TailConfig, TailFormat, TailStart};
use cuemesh::versions::{self, VersionsConfig, VersionsFormat};
use cuemesh::vet::{self, VetConfig, VetOutcome};
use std::io::IsTerminal;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// The allocator: loading a long history allocates and frees millions of small values (syntax
/// trees, evaluated vertices, JSON documents) on every core, where mimalloc costs about half
/// of the system allocator (see `bench/history-load`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// cuemesh: a Git-native schema registry for event streaming, with schemas in CUE.
#[derive(Debug, Parser)]
#[command(name = "cuemesh", version = env!("CUEMESH_VERSION"))]
struct Cli {
    /// How to print diagnostics: `text` for people, `json` (one object per line) for programs,
    /// `github` for GitHub Actions annotations.
    #[arg(long, value_enum, global = true, default_value_t = Format::Text)]
    format: Format,

    /// Print only results, warnings and errors: no startup or progress lines.
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    quiet: bool,

    /// Print details too: what was resolved from the arguments, how long steps took.
    #[arg(long, short = 'v', global = true)]
    verbose: bool,

    /// When to colour messages on stderr: `auto` colours a terminal only, and honours
    /// `NO_COLOR` and `CLICOLOR_FORCE`.
    #[arg(long, value_enum, global = true, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    color: ColorChoice,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a new governance repository: module, settings, example sources, shared types,
    /// example payloads, CODEOWNERS and the GitHub workflow that gates pull requests.
    ///
    /// Exit status: 0 when written, 2 when DIR is not empty (without --force) or a file
    /// cannot be written.
    Init {
        /// The directory to write; created when missing.
        #[arg(value_name = "DIR")]
        directory: PathBuf,

        /// Write into a directory that is not empty, replacing files of the same name.
        #[arg(long)]
        force: bool,
    },
    /// Turn schemas written in other languages into CUE: `import jsonschema|avro FILE...`.
    Import {
        #[command(subcommand)]
        source: ImportCommand,
    },
    /// List the sources, event types and versions of a governance repository, numbered from
    /// the first-parent history of a branch (number, digest, commit, date, author).
    ///
    /// Packages that do not load at some commit are reported on stderr and make no versions.
    /// Exit status: 0 when listed, 2 when the repository or branch cannot be read.
    Versions {
        /// The governance repository (a work tree, .git directory or bare repository).
        #[arg(long = "repo", value_name = "DIR", default_value = ".")]
        repository: PathBuf,

        /// The branch whose history numbers versions; by default the branch HEAD names.
        #[arg(long, value_name = "BRANCH")]
        branch: Option<String>,
        /// Where the numbered history is cached between runs [default: cuemesh/ in the
        /// repository's Git directory]: a later run numbers only the commits after it.
        #[arg(long = "history-cache", value_name = "DIR")]
        history_cache: Option<PathBuf>,
    },
    /// Validate JSON, YAML and TOML data files against a CUE schema, like `cue vet`.
    ///
    /// `.cue` files (or a directory, for its `.cue` files) form the schema package; `.json` and
    /// `.toml` files hold one value each; `.jsonl`, `.ndjson` and `.ldjson` files hold a stream
    /// of values, and `.yaml` and `.yml` files a stream of documents, each validated on its own;
    /// `json:`, `jsonl:`, `yaml:` or `toml:` before a file forces its type, and names the type of
    /// standard input (`json: -`). Files may come in any order. Without data files, vet checks that the package itself has no errors and
    /// that its fields are concrete (see -c).
    ///
    /// Exit status: 0 when everything is valid, 1 when errors were reported, 2 for usage or I/O
    /// errors (a missing file, no .cue file, a bad -d expression).
    Vet {
        /// Schema (.cue files, directories) and data (.json, .jsonl, .ndjson, .yaml, .toml) files,
        /// in any order; by default the package in the current directory.
        #[arg(value_name = "FILE")]
        files: Vec<PathBuf>,

        /// The expression to validate data against, such as `#Identity`; by default the
        /// whole package.
        #[arg(short = 'd', long = "schema", value_name = "EXPRESSION")]
        schema: Option<String>,

        /// Without data files: report every value of the package that is not concrete
        /// (`-c`), or allow them (`-c=false`). Without the flag, a package with incomplete
        /// values fails with one line saying so. Data files must always be concrete.
        #[arg(
            short = 'c',
            long,
            value_name = "BOOL",
            num_args = 0..=1,
            require_equals = true,
            default_missing_value = "true"
        )]
        concrete: Option<bool>,

        /// Place each data document at a path computed from its content, one label per
        /// expression, evaluated in the document's scope (`-l 'strings.ToLower(kind)' -l name`
        /// puts `{"kind": "Service", "name": "a"}` at `service: a:`); the documents of a file
        /// are then validated together, as one value.
        #[arg(short = 'l', long = "path", value_name = "EXPRESSION")]
        path: Vec<String>,
    },
    /// Print a package's definitions as OpenAPI 3.0 or JSON Schema 2020-12, like
    /// `cue export --out openapi`.
    ///
    /// The document (pretty JSON) goes to stdout. Constraints the encoding cannot state are
    /// listed under `x-cue-unsupported` in the schema object they belong to.
    ///
    /// Exit status: 0 when the document was printed, 1 when the package has errors (printed
    /// like vet's), 2 for usage or I/O errors (a missing file, an unknown -e definition).
    Export {
        /// The package: .cue files, or directories standing for their .cue files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,

        /// The encoding to write.
        #[arg(long, value_enum, value_name = "ENCODING")]
        out: ExportFormat,

        /// Export only this definition, such as `#Order`, and the definitions it refers to.
        #[arg(short = 'e', long = "expression", value_name = "DEFINITION")]
        expression: Option<String>,
    },
    /// Run the governance rules on a governance repository's working directory.
    ///
    /// Every package under sources/ must compile; each source declares `source.id`,
    /// `source.owner` and `events` mapping event types to definitions; names and doc comments
    /// follow the rules; examples (sources/<name>/examples/<event type>/*.json) validate.
    /// Severities are set per rule in cuemesh.cue (`lint: rules: RULE_ID: "warning"`); a
    /// `// cuemesh:ignore RULE_ID` comment silences a rule on its line (or, alone on a line,
    /// on the next line). In the github format a Markdown summary is appended to
    /// $GITHUB_STEP_SUMMARY when it is set.
    ///
    /// Exit status: 0 when no finding is an error (warnings allowed), 1 when one is, 2 for
    /// usage or I/O errors (no cue.mod/module.cue found, an unreadable file).
    Lint {
        /// The repository (or a directory inside it); by default the working directory.
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
    },
    /// Gate a pull request: compare the working tree (uncommitted changes included) with the
    /// merge base of HEAD and REF.
    ///
    /// For every event type added, changed or removed since the merge base: the version merging
    /// would create, and every compatibility finding under the event's mode (its
    /// `@compat(MODE)` attribute, else `compatibility` in cuemesh.cue, else BACKWARD;
    /// transitive modes compare with every earlier version). Removing an event type
    /// (EVENT_REMOVED) or a source (SOURCE_REMOVED) is breaking; a package with errors is
    /// PACKAGE_ERROR. Every compatibility error carries a counterexample: a JSON document one
    /// version accepts and the other rejects (validated against both; built from the type's
    /// examples where they fit), or a note saying why there is none. An intended break is
    /// allowed by a `check: allow: [{type, version, rule, reason}]` entry in cuemesh.cue or by
    /// --allow-breaking: it is then a warning naming the reason. In the github format a
    /// Markdown summary is appended to $GITHUB_STEP_SUMMARY when it is set.
    ///
    /// Exit status: 0 when no finding is an error (warnings allowed), 1 when one is, 2 for
    /// usage, Git or I/O errors (not a repository, an unknown REF).
    Check {
        /// The ref to compare with: a branch (`main`, `origin/main`), tag or commit.
        #[arg(long, value_name = "REF")]
        against: String,

        /// The repository (or a directory inside it); by default the working directory.
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,

        /// Where the numbered history is cached between runs [default: cuemesh/ in the
        /// repository's Git directory]: a later run numbers only the commits after it.
        #[arg(long = "history-cache", value_name = "DIR")]
        history_cache: Option<PathBuf>,

        /// Allow every breaking change for this reason (for a pull request labelled as an
        /// intended break): breaking findings become warnings that name it.
        #[arg(long, value_name = "REASON")]
        allow_breaking: Option<String>,

        /// Also read back the events stored on this NATS server (`nats://host:port` or
        /// `tls://host:port`, several comma-separated) for every event type the change touches,
        /// and validate each against the version the change would create: a rejected event is
        /// a REPLAY_REJECTED error. Nothing is left on the server (ephemeral consumers, deleted after).
        #[arg(long = "replay", value_name = "NATS_URL")]
        replay: Option<String>,

        /// The JetStream stream the events are stored in.
        #[arg(
            long,
            value_name = "NAME",
            default_value = "EVENTS",
            requires = "replay"
        )]
        stream: String,

        /// Replay the last N stored events of each type (10000 by default).
        #[arg(long, value_name = "N", requires = "replay", conflicts_with = "since")]
        last: Option<u64>,

        /// Replay the events of each type stored within this long (90s, 15m, 2h, 7d, 1h30m).
        #[arg(long, value_name = "DURATION", value_parser = tail::parse_duration, requires = "replay")]
        since: Option<Duration>,

        #[command(flatten)]
        nats_options: NatsOptions,
    },
    /// Check that a schema version is compatible with previous ones, by subsumption.
    ///
    /// BACKWARD (the default): the current definition accepts every value the latest previous
    /// one accepted, so consumers on the new schema read old data. FORWARD: the previous one
    /// accepts every value the current one accepts. FULL: both. `_TRANSITIVE`: against every
    /// `--previous` version, not only the latest. NONE: no check. Each change is a finding
    /// named by its rule (FIELD_REMOVED, TYPE_NARROWED...) at file:line:col, with a
    /// counterexample: a JSON document one version accepts and the other rejects, validated
    /// against both. Regular expressions are compared exactly (automata); a change neither
    /// the comparison nor a counterexample decides is a warning that says what was tried.
    ///
    /// Exit status: 0 when compatible (warnings allowed), 1 when a finding is an error or a
    /// version has errors, 2 for usage or I/O errors (a missing file or definition, a bad mode).
    Compat {
        /// The current version: .cue files, or directories standing for their .cue files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,

        /// A previous version (a .cue file or a package directory). Repeat it for a history:
        /// the first is the latest previous version, each following one is older.
        #[arg(long = "previous", required = true, value_name = "PATH")]
        previous: Vec<PathBuf>,

        /// The definition compared, such as `#Order`.
        #[arg(short = 'd', long = "schema", value_name = "DEFINITION")]
        schema: String,

        /// BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE
        /// or NONE (any case).
        #[arg(long, default_value = "BACKWARD", value_name = "MODE")]
        mode: String,
    },
    /// Serve the registry over HTTP: the sources, each type's versions, each version's CUE,
    /// OpenAPI and JSON Schema documents, and a validate endpoint (routes in docs/registry.md).
    ///
    /// The branch is indexed at start, then again whenever its tip moves: checked every
    /// --poll seconds (fetching first when --repo is a URL) and on a signed GitHub push
    /// webhook. A commit that fails to index, or a rewritten branch (not a fast-forward),
    /// never replaces the last good index. Ctrl-C or SIGTERM stops it after the requests in
    /// flight. Logs go to stderr (`RUST_LOG` filters them, default `info`).
    ///
    /// Exit status: 0 after a shutdown signal, 2 when the repository or branch cannot be read
    /// or the address cannot be bound.
    Serve {
        /// The governance repository: a directory (work tree, .git directory or bare
        /// repository), or a URL (https://, ssh://, file://, git@host:path) to clone into
        /// --cache-dir and fetch.
        #[arg(long = "repo", value_name = "PATH_OR_URL", default_value = ".")]
        repository: String,

        /// Where a remote repository's bare clone is kept [default: $XDG_CACHE_HOME/cuemesh,
        /// else ~/.cache/cuemesh].
        #[arg(long = "cache-dir", value_name = "DIR")]
        cache_directory: Option<PathBuf>,

        /// Where the numbered history is cached between runs [default: cuemesh/ in the
        /// repository's Git directory]: a later run numbers only the commits after it.
        #[arg(long = "history-cache", value_name = "DIR")]
        history_cache: Option<PathBuf>,

        /// The address to listen on; port 0 picks a free one (logged).
        #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,

        /// The branch whose history numbers versions; by default the branch HEAD names (the
        /// remote's default branch for a URL).
        #[arg(long, value_name = "BRANCH")]
        branch: Option<String>,

        /// Seconds between checks for new commits; 0 reloads only on webhooks.
        #[arg(long, value_name = "SECONDS", default_value_t = 30)]
        poll: u64,

        /// A file holding the GitHub webhook's secret (POST /v1/hooks/github); else the
        /// CUEMESH_WEBHOOK_SECRET environment variable; with neither, webhooks get 404.
        #[arg(long = "webhook-secret-file", value_name = "FILE")]
        webhook_secret_file: Option<PathBuf>,

        /// How log lines are written on stderr.
        #[arg(long = "log-format", value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,

        /// A NATS server (`nats://host:port` or `tls://host:port`, several comma-separated)
        /// whose key-value bucket cuemesh-consumers is read and watched: the consumers
        /// receivers recorded (`tail --as`, the receiving library's recorder) are shown beside
        /// the declared ones. Reading needs no write permission.
        #[arg(long = "nats", value_name = "URL")]
        nats_url: Option<String>,

        #[command(flatten)]
        nats_options: NatsOptions,

        #[command(flatten)]
        tls: ListenTlsOptions,
    },
    /// Print the CloudEvents of a JetStream stream as they arrive, one line each (text: time,
    /// source, type, id, subject and a data preview; json: one object per line with the
    /// attributes, data and validation).
    ///
    /// Events whose data fails the schema version their dataschema names are marked INVALID
    /// with every violation; messages that are not CloudEvents are marked MALFORMED with what is
    /// wrong. --source and --type select subjects through the publisher's subject mapping.
    /// Colours as --color says, for stdout. Ctrl-C or SIGTERM stops it.
    ///
    /// Exit status: 0 after a shutdown signal, when stdout is closed or after --count events, 2
    /// when NATS, the stream or the consumer fails.
    Tail {
        /// The NATS server: `nats://host:port` or `tls://host:port`, several comma-separated.
        #[arg(long = "nats", value_name = "URL", env = "NATS_URL")]
        nats_url: String,

        #[command(flatten)]
        nats_options: NatsOptions,

        /// The registry to validate data against (the version each event's dataschema names);
        /// without it nothing is validated.
        #[arg(long = "registry", value_name = "URL")]
        registry_url: Option<String>,

        /// The JetStream stream to read.
        #[arg(long, value_name = "NAME", default_value = "EVENTS")]
        stream: String,

        /// Only events of this CloudEvents source.
        #[arg(long, value_name = "SOURCE")]
        source: Option<String>,

        /// Only events of this CloudEvents type.
        #[arg(long = "type", value_name = "TYPE")]
        event_type: Option<String>,

        /// Start with the first event in the stream (by default only new events are printed).
        #[arg(long, conflicts_with_all = ["since", "last"])]
        from_start: bool,

        /// Start with the events stored within this long (90s, 15m, 2h, 7d, 1h30m).
        #[arg(long, value_name = "DURATION", value_parser = tail::parse_duration, conflicts_with = "last")]
        since: Option<Duration>,

        /// Start with the last N matching events.
        #[arg(long, value_name = "N")]
        last: Option<u64>,

        /// Stop after printing N events (messages that are not CloudEvents count too).
        #[arg(long, value_name = "N")]
        count: Option<u64>,

        /// Record, as this consumer (its `consumer.id`), the versions events are decoded with,
        /// in the JetStream key-value bucket cuemesh-consumers (created when absent), at most once
        /// a minute per type and version: `cuemesh serve --nats` shows it as an observed
        /// consumer, and `check --replay` warns when no consumer file declares it. Events are
        /// printed all the same when recording fails (a warning says why).
        #[arg(long = "as", value_name = "CONSUMER")]
        as_consumer: Option<String>,
    },
    /// Run the whole stack for trying cuemesh out: the registry over the bundled template
    /// repository (or --repo) and the publisher sidecar, publishing to NATS JetStream.
    ///
    /// NATS is --nats (or $NATS_URL) when given; otherwise a `nats-server -js` child with a
    /// temporary store, when nats-server is installed. Prints the catalog, API and publish
    /// URLs and two `curl` commands to paste: an event that is stored and one that is refused.
    /// Ctrl-C or SIGTERM stops everything and removes what was temporary.
    ///
    /// Exit status: 0 after a shutdown signal, 2 when no NATS server is given or installed,
    /// the repository cannot be indexed or an address cannot be bound.
    Dev {
        /// The governance repository; by default the bundled template, committed into a
        /// temporary Git repository.
        #[arg(long = "repo", value_name = "DIR")]
        repository: Option<PathBuf>,

        /// The NATS server (with JetStream) to publish to; by default one is started.
        #[arg(long, value_name = "URL", env = "NATS_URL")]
        nats: Option<String>,

        #[command(flatten)]
        nats_options: NatsOptions,

        /// Where the registry (catalog and API) listens; port 0 picks a free one.
        #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,

        /// Where the publisher sidecar listens; port 0 picks a free one.
        #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1:8090")]
        publisher_listen: SocketAddr,

        /// Seconds between the registry's checks for new commits.
        #[arg(long, value_name = "SECONDS", default_value_t = 2)]
        poll: u64,
    },
    /// Run the HTTP publishing sidecar: services post JSON payloads, each validated against
    /// its pinned version from the registry and published as a CloudEvent to NATS JetStream.
    ///
    /// `POST /v1/events/SOURCE/TYPE/versions/N` is answered after the JetStream PubAck;
    /// `/healthz`, `/readyz` and `/metrics` too (routes in docs/publisher.md).
    ///
    /// Ctrl-C or SIGTERM stops it after the requests in flight.
    ///
    /// Exit status: 0 after a shutdown signal, 2 when NATS cannot be reached, the tokens file
    /// is not valid or the address cannot be bound.
    Publisher {
        /// The registry's base URL, such as http://127.0.0.1:8080.
        #[arg(long, value_name = "URL")]
        registry: String,

        /// The NATS server, such as nats://127.0.0.1:4222 or tls://nats.example:4222; several
        /// comma-separated.
        #[arg(long, value_name = "URL", env = "NATS_URL")]
        nats: String,

        #[command(flatten)]
        nats_options: NatsOptions,

        /// The address to listen on; port 0 picks a free one (printed on stderr).
        #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1:8090")]
        listen: SocketAddr,

        /// A JSON file mapping each source to the bearer tokens allowed to publish it:
        /// {"com.acme.orders": ["token-1"]}. Without it anyone may publish any source.
        #[arg(long, value_name = "FILE")]
        tokens: Option<PathBuf>,

        /// The largest request body in bytes; larger ones get 413.
        #[arg(long, value_name = "BYTES", default_value_t = cuemesh_publisher::sidecar::DEFAULT_MAX_BODY)]
        max_body: usize,

        #[command(flatten)]
        tls: ListenTlsOptions,
    },
    /// Publish one event: validate DATA.json against the pinned version from the registry and
    /// publish it as a CloudEvent to NATS JetStream, printing the stream and sequence.
    ///
    /// Exit status: 0 when published (or already stored under that id), 1 when the data does
    /// not match the version (every violation is printed, nothing is sent) or the NATS user may
    /// not publish on the event's subject (nothing is stored), 2 for usage, file, registry or
    /// NATS errors.
    Publish {
        /// The registry's base URL, such as http://127.0.0.1:8080.
        #[arg(long, value_name = "URL")]
        registry: String,

        /// The NATS server, such as nats://127.0.0.1:4222 or tls://nats.example:4222; several
        /// comma-separated.
        #[arg(long, value_name = "URL", env = "NATS_URL")]
        nats: String,

        #[command(flatten)]
        nats_options: NatsOptions,

        /// The source id, such as com.acme.orders.
        source: String,

        /// The event type, such as com.acme.orders.placed.
        #[arg(value_name = "TYPE")]
        event_type: String,

        /// The version number pinned, from 1.
        #[arg(value_parser = clap::value_parser!(u32).range(1..))]
        version: u32,

        /// The JSON payload.
        #[arg(value_name = "DATA.json")]
        data: PathBuf,

        /// The event id (a UUIDv7 by default); the same id again is stored once.
        #[arg(long, value_name = "ID")]
        id: Option<String>,

        /// The CloudEvent subject.
        #[arg(long, value_name = "SUBJECT")]
        subject: Option<String>,
    },
    /// Print a shell completion script on stdout, for example
    /// `cuemesh completions bash > ~/.local/share/bash-completion/completions/cuemesh`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum, value_name = "SHELL")]
        shell: Shell,
    },
    /// Print the reference manual generated from the code (docs/reference.md).
    #[command(hide = true)]
    Reference {
        /// The format to print.
        #[arg(value_enum, value_name = "FORMAT")]
        document: ReferenceFormat,
    },
}

/// What `cuemesh reference` prints.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReferenceFormat {
    /// Markdown, as committed in docs/reference.md.
    Markdown,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    output::init(OutputConfig::from_process(
        cli.color,
        cli.quiet,
        cli.verbose,
    ));
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            output::error(format_args!("{error:#}"));
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Init { directory, force } => {
            let config = InitConfig { directory, force };
            init::run(&config, &mut std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { source } => {
            importer::run(
                source,
                &mut std::io::stdout().lock(),
                &mut std::io::stderr().lock(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Versions {
            repository,
            branch,
            history_cache,
        } => {
            let config = VersionsConfig {
                repository,
                branch,
                history_cache,
                format: VersionsFormat::from_format(cli.format)?,
            };
            // stderr unlocked: the history load's progress line is drawn on it from the
            // loading threads while `versions` runs.
            versions::run(
                &config,
                &mut std::io::stdout().lock(),
                &mut std::io::stderr(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Vet {
            files,
            schema,
            concrete,
            path,
        } => {
            let working_directory =
                std::env::current_dir().context("cannot read the working directory")?;
            // Like `cue vet`, no argument means the package in the current directory.
            let files = if files.is_empty() {
                vec![PathBuf::from(".")]
            } else {
                files
            };
            let mut config =
                VetConfig::from_arguments(&files, schema, cli.format, &working_directory)?;
            config.incomplete = vet::IncompleteValues::from_flag(concrete);
            config.labels = path;
            Ok(match vet::run(&config)? {
                VetOutcome::Clean => ExitCode::SUCCESS,
                VetOutcome::Findings => ExitCode::from(1),
                VetOutcome::InputError => ExitCode::from(2),
            })
        }
        Command::Export {
            files,
            out,
            expression,
        } => {
            let working_directory =
                std::env::current_dir().context("cannot read the working directory")?;
            let config = ExportConfig::from_arguments(
                &files,
                out,
                expression,
                cli.format,
                &working_directory,
            )?;
            Ok(match export::run(&config, &mut std::io::stdout().lock())? {
                ExportOutcome::Exported => ExitCode::SUCCESS,
                ExportOutcome::SchemaErrors => ExitCode::from(1),
            })
        }
        Command::Lint { repo } => {
            let working_directory =
                std::env::current_dir().context("cannot read the working directory")?;
            let step_summary = std::env::var_os("GITHUB_STEP_SUMMARY").map(PathBuf::from);
            let config =
                LintConfig::from_arguments(repo, cli.format, step_summary, &working_directory)?;
            Ok(match lint::run(&config, &mut std::io::stdout().lock())? {
                LintOutcome::Clean => ExitCode::SUCCESS,
                LintOutcome::Findings => ExitCode::from(1),
                LintOutcome::InputError => ExitCode::from(2),
            })
        }
        Command::Check {
            against,
            repo,
            history_cache,
            allow_breaking,
            replay,
            stream,
            last,
            since,
            nats_options,
        } => {
            let working_directory =
                std::env::current_dir().context("cannot read the working directory")?;
            let step_summary = std::env::var_os("GITHUB_STEP_SUMMARY").map(PathBuf::from);
            let mut config = CheckConfig::from_arguments(
                repo,
                against,
                allow_breaking,
                cli.format,
                step_summary,
                &working_directory,
            )?;
            config.history_cache = history_cache;
            config.github_output = std::env::var_os("GITHUB_OUTPUT")
                .map(PathBuf::from)
                .filter(|path| !path.as_os_str().is_empty());
            config.replay = replay.map(|url| ReplayConfig {
                nats: nats_options.config(url, "cuemesh check --replay"),
                stream,
                window: match since {
                    Some(since) => ReplayWindow::Since(since),
                    None => ReplayWindow::Last(last.unwrap_or(replay::DEFAULT_LAST)),
                },
            });
            Ok(match check::run(&config, &mut std::io::stdout().lock())? {
                CheckOutcome::Clean => ExitCode::SUCCESS,
                CheckOutcome::Findings => ExitCode::from(1),
            })
        }
        Command::Compat {
            files,
            previous,
            schema,
            mode,
        } => {
            let working_directory =
                std::env::current_dir().context("cannot read the working directory")?;
            let config = CompatConfig::from_arguments(
                &previous,
                &files,
                schema,
                &mode,
                cli.format,
                &working_directory,
            )?;
            Ok(match compat::run(&config, &mut std::io::stdout().lock())? {
                CompatOutcome::Compatible => ExitCode::SUCCESS,
                CompatOutcome::Incompatible => ExitCode::from(1),
            })
        }
        Command::Serve {
            repository,
            cache_directory,
            history_cache,
            listen,
            branch,
            poll,
            webhook_secret_file,
            log_format,
            nats_url,
            nats_options,
            tls,
        } => {
            let config = ServeConfig {
                nats: nats_url.map(|url| nats_options.config(url, "cuemesh serve")),
                repository,
                cache_directory,
                history_cache,
                listen,
                branch,
                poll: (poll > 0).then(|| Duration::from_secs(poll)),
                webhook_secret: webhook_secret(webhook_secret_file)?,
                log_format,
                // HTTP/2 too: axum::serve speaks both.
                tls: tls.server_tls(&["h2", "http/1.1"])?,
            };
            serve::run(&config)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Dev {
            repository,
            nats,
            nats_options,
            listen,
            publisher_listen,
            poll,
        } => {
            if nats.is_none() && !nats_options.is_empty() {
                output::warning(format_args!(
                    "the NATS connection options apply to --nats (or NATS_URL); the nats-server \
                     dev starts needs none, so they are not used"
                ));
            }
            let config = DevConfig {
                repository,
                nats: nats.map(|url| nats_options.config(url, "cuemesh dev")),
                registry_listen: listen,
                publisher_listen,
                poll: Duration::from_secs(poll.max(1)),
            };
            dev::run(&config, &mut std::io::stdout())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Tail {
            nats_url,
            nats_options,
            registry_url,
            stream,
            source,
            event_type,
            from_start,
            since,
            last,
            count,
            as_consumer,
        } => {
            let start = match (from_start, since, last) {
                (true, _, _) => TailStart::FromStart,
                (_, Some(since), _) => TailStart::Since(since),
                (_, _, Some(last)) => TailStart::Last(last),
                _ => TailStart::New,
            };
            let config = TailConfig {
                nats: nats_options.config(nats_url, "cuemesh tail"),
                registry_url,
                stream,
                source,
                event_type,
                start,
                count,
                as_consumer,
                format: TailFormat::from_format(cli.format)?,
                // The events are results on stdout: colour follows --color as judged there.
                color: OutputConfig::resolve(
                    cli.color,
                    false,
                    false,
                    |name| std::env::var(name).ok(),
                    std::io::stdout().is_terminal(),
                )
                .color,
            };
            tail::run(&config)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Publisher {
            registry,
            nats,
            nats_options,
            listen,
            tokens,
            max_body,
            tls,
        } => {
            let config = PublisherCommandConfig {
                registry,
                nats: nats_options.config(nats, "cuemesh publisher"),
                listen,
                tokens,
                max_body,
                // The sidecar serves HTTP/1.1 only.
                tls: tls.server_tls(&["http/1.1"])?,
            };
            publisher::run(&config)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Publish {
            registry,
            nats,
            nats_options,
            source,
            event_type,
            version,
            data,
            id,
            subject,
        } => {
            let config = PublishConfig {
                registry,
                nats: nats_options.config(nats, "cuemesh publish"),
                pin: cuemesh_publisher::Pin::new(source, event_type, version),
                data,
                id,
                subject,
            };
            Ok(
                match publish::run(&config, &mut std::io::stdout().lock())? {
                    PublishOutcome::Published => ExitCode::SUCCESS,
                    PublishOutcome::Invalid | PublishOutcome::Forbidden => ExitCode::from(1),
                },
            )
        }
        Command::Completions { shell } => {
            completions::write(shell, &mut Cli::command(), &mut std::io::stdout().lock())
                .context("cannot write the completion script")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Reference {
            document: ReferenceFormat::Markdown,
        } => {
            let text = reference::markdown(&Cli::command());
            std::io::stdout()
                .lock()
                .write_all(text.as_bytes())
                .context("cannot write the reference")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The webhook secret: the file's text, else `CUEMESH_WEBHOOK_SECRET`, without surrounding
/// whitespace (a trailing newline is not part of it); an empty one is an error.
fn webhook_secret(file: Option<PathBuf>) -> anyhow::Result<Option<Vec<u8>>> {
    let (secret, from) = match file {
        Some(file) => {
            let text = std::fs::read_to_string(&file).with_context(|| {
                format!("cannot read the webhook secret file {}", file.display())
            })?;
            (text, file.display().to_string())
        }
        None => match std::env::var("CUEMESH_WEBHOOK_SECRET") {
            Ok(text) => (text, "CUEMESH_WEBHOOK_SECRET".to_string()),
            Err(std::env::VarError::NotPresent) => return Ok(None),
            Err(error) => {
                return Err(error).context("cannot read CUEMESH_WEBHOOK_SECRET");
            }
        },
    };
    let secret = secret.trim();
    if secret.is_empty() {
        anyhow::bail!("the webhook secret in {from} is empty");
    }
    Ok(Some(secret.as_bytes().to_vec()))
}
