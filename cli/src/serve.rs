//! `cuemesh serve`: the registry HTTP service over a local governance repository. It indexes a
//! branch, serves it, rebuilds the index when the branch moves (checked every `--poll`
//! seconds; a failing rebuild keeps the last good index) and stops gracefully on Ctrl-C or
//! SIGTERM, finishing the requests in flight.

use anyhow::Context;
use cuemesh_registry::serve::{self, AppState, Index, Reload};
use cuemesh_registry::Repository;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::output;

/// What `serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The governance repository (a work tree, `.git` directory or bare repository).
    pub repository: PathBuf,
    /// The address to listen on; port 0 picks a free port (printed on stderr).
    pub listen: SocketAddr,
    /// The branch whose history numbers versions; `None` is the repository's `HEAD` branch.
    pub branch: Option<String>,
    /// How often to look for new commits; `None` never reloads.
    pub poll: Option<Duration>,
}

/// Builds the first index (an error if it cannot be built), then serves until a shutdown
/// signal. Progress and reload outcomes go to stderr.
pub fn run(config: &ServeConfig) -> anyhow::Result<()> {
    let repository = Repository::open(&config.repository)
        .with_context(|| format!("cannot open the repository {}", config.repository.display()))?;
    let branch = match &config.branch {
        Some(branch) => branch.clone(),
        None => repository
            .default_branch()
            .context("cannot tell the default branch; name it with --branch")?,
    };
    output::detail(format_args!(
        "indexing the branch {branch} of {}",
        config.repository.display()
    ));
    let started = Instant::now();
    let index = Index::build(&repository, &branch)
        .with_context(|| format!("cannot index the branch {branch}"))?;
    output::detail(format_args!(
        "indexed in {:.2} s",
        started.elapsed().as_secs_f64()
    ));
    output::progress(format_args!(
        "indexed {branch} at {}: {} sources, {} event types, {} versions",
        index
            .head
            .as_ref()
            .map(|head| head.short_id().to_string())
            .unwrap_or_default(),
        index.sources.len(),
        index.events.len(),
        index.version_count()
    ));
    let state = AppState::new(index);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve_until_shutdown(config, repository, branch, state))
}

async fn serve_until_shutdown(
    config: &ServeConfig,
    repository: Repository,
    branch: String,
    state: AppState,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener
        .local_addr()
        .context("cannot read the bound address")?;
    output::progress(format_args!("listening on http://{address}"));
    if let Some(poll) = config.poll {
        tokio::spawn(poll_for_commits(
            Arc::new(Mutex::new(repository)),
            branch,
            state.clone(),
            poll,
        ));
    }
    axum::serve(listener, serve::app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the server failed")?;
    output::progress(format_args!("stopped"));
    Ok(())
}

/// Every `poll`, rebuilds the index off the async threads when the branch moved.
async fn poll_for_commits(
    repository: Arc<Mutex<Repository>>,
    branch: String,
    state: AppState,
    poll: Duration,
) {
    let mut interval = tokio::time::interval(poll);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval.tick().await; // The first tick is now: the index was just built.
    loop {
        interval.tick().await;
        let (repository, branch_name, state) = (repository.clone(), branch.clone(), state.clone());
        let outcome = tokio::task::spawn_blocking(move || {
            // A panic in an earlier rebuild leaves the repository's cache usable.
            let repository = repository
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            serve::reload(&repository, &branch_name, &state)
        })
        .await;
        match outcome {
            Ok(Ok(Reload::Unchanged)) => {}
            Ok(Ok(Reload::Swapped { commit, versions })) => {
                let short = &commit[..commit.len().min(12)];
                output::progress(format_args!(
                    "reloaded {branch} at {short}: {versions} versions"
                ));
            }
            Ok(Err(error)) => {
                let error = anyhow::Error::new(error);
                output::warning(format_args!(
                    "reload of {branch} failed, serving the last good index: {error:#}"
                ));
            }
            Err(error) => {
                output::warning(format_args!(
                    "reload of {branch} failed, serving the last good index: {error}"
                ));
            }
        }
    }
}

/// Ctrl-C, or SIGTERM on Unix (what container runtimes send).
pub(crate) async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
