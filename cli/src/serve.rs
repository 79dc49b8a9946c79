//! `cuemesh serve`: the registry HTTP service over a governance repository, a local one or a
//! remote one it clones (bare, into a cache directory) and fetches. It indexes a branch, serves
//! it, and reloads when the branch moves: every `--poll` seconds and on a signed GitHub push
//! webhook, one reload at a time. A failing or refused reload (a rewritten branch) keeps the
//! last good index. It stops gracefully on Ctrl-C or SIGTERM, finishing the requests in flight
//! and abandoning a reload in progress.
//! Startup and progress lines go to stderr through `output`; request and reload logs through
//! `tracing` (`RUST_LOG` filters them).

use anyhow::Context;
use cuemesh_publisher::tls::{ServerTls, TlsListener};
use cuemesh_publisher::{watch_observations, NatsConfig, ObservationChange};
use cuemesh_registry::serve::{self, AppState, Index, Reloader, Remote};
use cuemesh_registry::Repository;
use futures::StreamExt;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::output;

/// What `serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The governance repository: a local directory (work tree, `.git` or bare repository),
    /// or a remote's URL (`https://`, `ssh://`, `file://`, `git@host:path`).
    pub repository: String,
    /// Where a remote's bare clone is kept; `None` is [`default_cache_directory`].
    pub cache_directory: Option<PathBuf>,
    /// `--history-cache`: where the numbered history is kept between runs; `None` is
    /// `cuemesh/` in the Git directory of the repository (or of the remote's clone).
    pub history_cache: Option<PathBuf>,
    /// The address to listen on; port 0 picks a free port (logged).
    pub listen: SocketAddr,
    /// The branch whose history numbers versions; `None` is the repository's `HEAD` branch
    /// (the remote's default branch for a URL).
    pub branch: Option<String>,
    /// How often to look for new commits (fetching a remote); `None` only on webhooks.
    pub poll: Option<Duration>,
    /// The GitHub webhook's shared secret; `None` turns the webhook route off (404).
    pub webhook_secret: Option<Vec<u8>>,
    pub log_format: LogFormat,
    /// HTTPS for the listener; `None` serves plain HTTP.
    pub tls: Option<ServerTls>,
    /// `--nats`: where the observed consumers are read from and watched.
    pub nats: Option<NatsConfig>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event, with `key=value` fields.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Where remote repositories are cached by default: `$XDG_CACHE_HOME/cuemesh`, else
/// `$HOME/.cache/cuemesh`, else `cuemesh` in the temporary directory.
pub fn default_cache_directory() -> PathBuf {
    let from = |name: &str| {
        std::env::var_os(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    from("XDG_CACHE_HOME")
        .or_else(|| from("HOME").map(|home| home.join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("cuemesh")
}

/// Builds the first index (an error if it cannot be built), then serves until a shutdown
/// signal.
pub fn run(config: &ServeConfig) -> anyhow::Result<()> {
    init_logs(config.log_format);
    let (mut repository, remote, fetch_error) = open(config)?;
    crate::versions::use_history_cache(&mut repository, config.history_cache.as_deref());
    let shown = match &remote {
        Some(remote) => remote.url(),
        None => config.repository.clone(),
    };
    let branch = match (&remote, &config.branch) {
        (Some(remote), _) => remote.branch().to_string(),
        (None, Some(branch)) => branch.clone(),
        (None, None) => cuemesh_registry::settings::numbered_branch(&repository)
            .context("cannot tell the branch to number versions on; name it with --branch")?,
    };
    output::detail(format_args!("indexing the branch {branch} of {shown}"));
    let started = std::time::Instant::now();
    let index = output::with_history_progress(&mut repository, "indexing", |repository| {
        Index::build(repository, &branch)
    })
    .with_context(|| format!("cannot index the branch {branch}"))?;
    repository.save_history_cache();
    output::detail(format_args!(
        "indexed in {:.2} s",
        started.elapsed().as_secs_f64()
    ));
    output::progress(format_args!(
        "indexed {branch} at {}: {} sources, {} event types, {} versions",
        index
            .head
            .as_ref()
            .map(|head| head.short_id())
            .unwrap_or_default(),
        index.sources.len(),
        index.events.len(),
        index.version_count()
    ));
    for error in &index.tip_errors {
        output::warning(format_args!("the tip of {branch} does not load: {error}"));
    }
    let mut state = AppState::new(index);
    if let Some(secret) = &config.webhook_secret {
        state = state.with_webhook_secret(secret);
    }
    if let Some(error) = fetch_error {
        // Serving what the cache holds: say why it is not the remote's branch.
        state.reload_status().record(&Err(error));
    }
    let reloader = match remote {
        Some(remote) => Reloader::remote(remote, repository, state.clone()),
        None => Reloader::local(repository, branch, state.clone()),
    };
    let runtime = crate::net::runtime()?;
    let served = runtime.block_on(serve_until_shutdown(config, Arc::new(reloader), state));
    // A reload still running on its blocking thread is abandoned rather than waited for (at
    // scale a rebuild takes tens of seconds): its index was never swapped in, and the history
    // cache is only ever replaced whole, by a rename.
    runtime.shutdown_timeout(SHUTDOWN_GRACE);
    served
}

/// How long a stopping `serve` waits for its background work (a reload) once the requests in
/// flight are answered.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(100);

/// The repository to index: opened, or for a URL cached and fetched. A fetch that fails when
/// the cache already holds the branch (the remote is down, or rewrote the branch) is returned
/// to report, and the cached branch is served.
fn open(
    config: &ServeConfig,
) -> anyhow::Result<(Repository, Option<Remote>, Option<cuemesh_registry::Error>)> {
    if !serve::is_remote(&config.repository) {
        let repository = Repository::open(&config.repository)
            .with_context(|| format!("cannot open the repository {}", config.repository))?;
        return Ok((repository, None, None));
    }
    let url = config.repository.as_str();
    let cache = config
        .cache_directory
        .clone()
        .unwrap_or_else(default_cache_directory);
    let shown = serve::redacted(url);
    let (remote, repository) = Remote::open(url, config.branch.as_deref(), &cache)
        .with_context(|| format!("cannot prepare a cache of {shown}"))?;
    output::detail(format_args!(
        "fetching {} of {shown} into {}",
        remote.branch(),
        remote.directory().display()
    ));
    match remote.fetch(&repository) {
        Ok(()) => Ok((repository, Some(remote), None)),
        Err(error) if remote.has_branch(&repository) => {
            output::warning(format_args!(
                "serving the cached {} of {shown}: {}",
                remote.branch(),
                error.with_causes()
            ));
            Ok((repository, Some(remote), Some(error)))
        }
        Err(error) => Err(error).with_context(|| format!("cannot fetch {shown}")),
    }
}

/// Request and reload logs to stderr: `RUST_LOG` filters them, by default `info` (`warn`
/// with `--quiet`, `debug` with `--verbose`); colours only on a terminal. Startup and progress
/// lines are the CLI's own (`output`).
fn init_logs(format: LogFormat) {
    let default = match output::config().verbosity {
        output::Verbosity::Quiet => "warn",
        output::Verbosity::Normal => "info",
        output::Verbosity::Verbose => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    // A second subscriber (a test calling `run` twice) keeps the first.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

async fn serve_until_shutdown(
    config: &ServeConfig,
    reloader: Arc<Reloader>,
    state: AppState,
) -> anyhow::Result<()> {
    let shutdown = shutdown_signal();
    let (listener, address) = crate::net::listen(config.listen, None).await?;
    output::progress(format_args!(
        "listening on {}://{address}",
        crate::net::scheme(config.tls.as_ref())
    ));
    let reloads = serve::spawn_reloads(reloader, config.poll);
    let watcher = config
        .nats
        .clone()
        .map(|nats| tokio::spawn(watch_observed(nats, state.clone())));
    let served = match &config.tls {
        Some(tls) => {
            let listener = TlsListener::new(listener, tls).context("cannot serve HTTPS")?;
            axum::serve(listener, serve::app(state))
                .with_graceful_shutdown(shutdown)
                .await
        }
        None => {
            axum::serve(listener, serve::app(state))
                .with_graceful_shutdown(shutdown)
                .await
        }
    };
    served.context("the server failed")?;
    reloads.abort();
    if let Some(watcher) = watcher {
        watcher.abort();
    }
    output::progress(format_args!("stopped"));
    Ok(())
}

/// How long the watcher of observed consumers waits before it connects or looks for the
/// bucket again.
const WATCH_RETRY: Duration = Duration::from_secs(5);

/// Keeps `state`'s observed consumers equal to the `cuemesh-consumers` bucket: everything in
/// it, then every change. A server that cannot be reached, or a bucket that does not exist
/// yet (no receiver recorded anything), is looked for again every few seconds; none of this
/// stops the registry from serving.
pub(crate) async fn watch_observed(nats: NatsConfig, state: AppState) {
    let mut absent_said = false;
    loop {
        match watch_once(&nats, &state).await {
            Ok(true) => tracing::warn!("the watch of observed consumers ended; watching again"),
            Ok(false) if !absent_said => {
                absent_said = true;
                tracing::info!(
                    "no key-value bucket {} yet: no consumer was observed; looking again every {} s",
                    cuemesh_publisher::CONSUMERS_BUCKET,
                    WATCH_RETRY.as_secs()
                );
            }
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "cannot watch the observed consumers; trying again")
            }
        }
        tokio::time::sleep(WATCH_RETRY).await;
    }
}

/// One watch, from a fresh connection: `false` when the bucket does not exist.
async fn watch_once(nats: &NatsConfig, state: &AppState) -> anyhow::Result<bool> {
    let client = nats
        .connect()
        .await
        .context("cannot connect to read the observed consumers")?;
    let jetstream = async_nats::jetstream::new(client);
    let Some(changes) = watch_observations(&jetstream).await? else {
        return Ok(false);
    };
    tracing::info!(
        "watching the observed consumers in {}",
        cuemesh_publisher::CONSUMERS_BUCKET
    );
    // The watch starts with every entry: what an earlier watch saw and is gone must go.
    state.observed().clear();
    let mut changes = std::pin::pin!(changes);
    while let Some(change) = changes.next().await {
        match change {
            Ok(ObservationChange::Recorded { key, observation }) => {
                state.observed().record(key, observation);
            }
            Ok(ObservationChange::Removed { key }) => state.observed().remove(&key),
            Err(error) => {
                tracing::warn!(error = %format!("{:#}", anyhow::Error::new(error)), "an observed consumer is skipped")
            }
        }
    }
    Ok(true)
}

/// Ctrl-C, or SIGTERM on Unix (what container runtimes send). The handlers are installed when
/// this is called (in a runtime), not when the future is first polled: a server calls it before
/// it binds its address, so that a signal sent as soon as the address accepts connections
/// stops it gracefully rather than killing it.
pub(crate) fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        async move {
            let wait = |signal: Option<tokio::signal::unix::Signal>| async move {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(interrupt) => {}
                () = wait(terminate) => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}
