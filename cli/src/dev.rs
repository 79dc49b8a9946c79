//! `cuemesh dev`: the whole stack in one process for trying cuemesh out. The registry serves a
//! governance repository (the bundled template, committed into a temporary Git repository, or
//! `--repo`), the publisher sidecar publishes through it to NATS JetStream (`$NATS_URL`, or a
//! `nats-server -js` child with a temporary store when one is installed), and the command prints
//! the URLs and two ready-to-paste `curl` commands: one event that is stored, one that is
//! refused.
//!
//! Everything temporary (the template repository, the NATS store) is removed on exit; the
//! `nats-server` child is stopped with the process.

use anyhow::{bail, Context};
use cuemesh_publisher::sidecar::{self, SidecarConfig, Tokens};
use cuemesh_publisher::{
    publish_url, version_url, NatsConfig, Publisher, PublisherConfig, RegistrySchema,
};
use cuemesh_registry::serve::{self, AppState, Index, Reloader};
use cuemesh_registry::Repository;
use serde_json::Value;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::output;

/// What `dev` was asked to do.
#[derive(Debug, Clone)]
pub struct DevConfig {
    /// The governance repository; `None` commits the bundled template into a temporary one.
    pub repository: Option<PathBuf>,
    /// The NATS server to publish to (with its credentials and TLS settings); `None` starts a
    /// `nats-server -js` child.
    pub nats: Option<NatsConfig>,
    /// Where the registry listens.
    pub registry_listen: SocketAddr,
    /// Where the publisher sidecar listens.
    pub publisher_listen: SocketAddr,
    /// How often the registry looks for new commits.
    pub poll: Duration,
}

/// Starts the stack, prints how to use it on `out`, and runs until Ctrl-C or SIGTERM.
pub fn run(config: &DevConfig, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    let scratch = tempfile::Builder::new()
        .prefix("cuemesh-dev-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let repository_path = match &config.repository {
        Some(path) => path.clone(),
        None => {
            let path = scratch.path().join("schemas");
            commit_template(&path)?;
            output::progress(format_args!(
                "committed the bundled template repository into {}",
                path.display()
            ));
            path
        }
    };
    let mut repository = Repository::open(&repository_path)
        .with_context(|| format!("cannot open the repository {}", repository_path.display()))?;
    let branch = cuemesh_registry::settings::numbered_branch(&repository)
        .context("cannot tell the branch to number versions on")?;
    let index = output::with_history_progress(&mut repository, "indexing", |repository| {
        Index::build(repository, &branch)
    })
    .with_context(|| format!("cannot index the branch {branch}"))?;
    let demo = Demo::pick(&index);
    output::progress(format_args!(
        "indexed {branch}: {} sources, {} event types, {} versions",
        index.sources.len(),
        index.events.len(),
        index.version_count()
    ));
    let nats = match &config.nats {
        Some(nats) => Nats::External(nats.clone()),
        None => Nats::start(&scratch.path().join("nats"))?,
    };
    let state = AppState::new(index);
    let reloader = Reloader::local(repository, branch, state.clone());
    let runtime = crate::net::runtime()?;
    let outcome = runtime.block_on(serve_both(config, &nats, state, reloader, demo, out));
    drop(nats);
    outcome
}

/// Writes the bundled template into `directory` and commits it on `main`.
fn commit_template(directory: &Path) -> anyhow::Result<()> {
    for (relative, contents) in crate::init::template_files() {
        let path = directory.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let mut options = git2::RepositoryInitOptions::new();
    options.initial_head("main");
    let git = git2::Repository::init_opts(directory, &options)
        .with_context(|| format!("cannot create a Git repository in {}", directory.display()))?;
    let mut staged = git.index().context("cannot open the Git index")?;
    staged
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .context("cannot stage the template")?;
    staged.write().context("cannot write the Git index")?;
    let tree = git
        .find_tree(staged.write_tree().context("cannot write the tree")?)
        .context("cannot read the tree back")?;
    let signature = git2::Signature::now("cuemesh dev", "dev@cuemesh.invalid")
        .context("cannot make a commit signature")?;
    git.commit(
        Some("HEAD"),
        &signature,
        &signature,
        "Start from the cuemesh template",
        &tree,
        &[],
    )
    .context("cannot commit the template")?;
    Ok(())
}

/// The NATS server the stack publishes to.
enum Nats {
    /// Given by `--nats` or `$NATS_URL`, with the NATS connection options.
    External(NatsConfig),
    /// A `nats-server -js` child of this process, stopped on drop.
    Child { config: NatsConfig, child: Child },
}

impl Nats {
    /// Starts `nats-server -js` on a free loopback port with its store under `store`, and
    /// waits until it accepts connections.
    fn start(store: &Path) -> anyhow::Result<Nats> {
        let Some(program) = find_nats_server() else {
            bail!(
                "no NATS server: set NATS_URL (or --nats) to a NATS server with JetStream, such as \
                 nats://127.0.0.1:4222, or install nats-server so that `cuemesh dev` can start one \
                 (Debian and Ubuntu: `sudo apt-get install nats-server`, which puts it in /usr/sbin; \
                 elsewhere: https://github.com/nats-io/nats-server/releases) and run it again"
            );
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .context("cannot find a free port for nats-server")?
            .port();
        let child = Command::new(&program)
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(store)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        let mut config = NatsConfig::new(format!("nats://127.0.0.1:{port}"));
        config.name = Some("cuemesh dev".to_string());
        let mut nats = Nats::Child { config, child };
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                break;
            }
            if let Nats::Child { child, .. } = &mut nats {
                if let Ok(Some(status)) = child.try_wait() {
                    bail!(
                        "{} -js exited at start ({status}); run it by hand to see why",
                        program.display()
                    );
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "{} did not accept connections on port {port} within 10 s",
                    program.display()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        output::progress(format_args!(
            "started {} -js at {} (store {})",
            program.display(),
            nats.config().shown_url(),
            store.display()
        ));
        Ok(nats)
    }

    fn config(&self) -> &NatsConfig {
        match self {
            Nats::External(config) | Nats::Child { config, .. } => config,
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        if let Nats::Child { child, .. } = self {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `nats-server` on `PATH`, or where Debian puts it (`/usr/sbin`, often not on a user's `PATH`).
fn find_nats_server() -> Option<PathBuf> {
    find_program(
        "nats-server",
        std::env::var_os("PATH"),
        &[Path::new("/usr/sbin"), Path::new("/usr/local/sbin")],
    )
}

/// The first file named `name` in the directories of `path` (a `PATH` value), then in `extra`.
fn find_program(name: &str, path: Option<std::ffi::OsString>, extra: &[&Path]) -> Option<PathBuf> {
    let on_path = path
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain(extra.iter().map(|directory| directory.to_path_buf()))
        .map(|directory| directory.join(name))
        .find(|candidate| candidate.is_file())
}

/// An event to show off: a version, an example payload it accepts and one it refuses.
struct Demo {
    source: String,
    event_type: String,
    version: u32,
    valid: String,
    invalid: String,
}

impl Demo {
    /// The first latest version (sources and types in index order) with an example that
    /// validates, and a refused variant of that example: one of its fields given a value of
    /// another type, or one of its fields left out.
    fn pick(index: &Index) -> Option<Demo> {
        for event in index.events.values() {
            if event.removed_in.is_some() {
                continue;
            }
            let Some(latest) = event.latest() else {
                continue;
            };
            let documents = latest.documents();
            let Ok(validator) = &documents.validator else {
                continue;
            };
            let accepts = |text: &str| validator.validate_json("payload.json", text).is_valid();
            for example in latest
                .examples()
                .iter()
                .filter(|example| example.problems.is_empty())
            {
                let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(&example.text) else {
                    continue;
                };
                let valid = Value::Object(fields.clone()).to_string();
                let refused = fields.keys().find_map(|key| {
                    let mut wrong_type = fields.clone();
                    wrong_type.insert(key.clone(), other_type(&fields[key]));
                    let mut missing = fields.clone();
                    missing.remove(key);
                    [wrong_type, missing]
                        .into_iter()
                        .map(|candidate| Value::Object(candidate).to_string())
                        .find(|text| !accepts(text))
                });
                if let Some(invalid) = refused {
                    return Some(Demo {
                        source: event.source.clone(),
                        event_type: event.event_type.clone(),
                        version: latest.version.number,
                        valid,
                        invalid,
                    });
                }
            }
        }
        None
    }
}

/// A JSON value of another type than `value`.
fn other_type(value: &Value) -> Value {
    match value {
        Value::String(_) => Value::from(42),
        _ => Value::from("not the right type"),
    }
}

async fn serve_both(
    config: &DevConfig,
    nats: &Nats,
    state: AppState,
    reloader: Reloader,
    demo: Option<Demo>,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let shutdown = crate::serve::shutdown_signal();
    let (registry_listener, registry_address) =
        crate::net::listen(config.registry_listen, Some("the registry")).await?;
    let registry_url = format!("http://{registry_address}");
    let publisher = Publisher::connect(
        PublisherConfig::new(nats.config().clone(), registry_url.as_str()),
        RegistrySchema::new(registry_url.as_str()),
    )
    .await
    .context("cannot start publishing")?;
    let (publisher_listener, publisher_address) =
        crate::net::listen(config.publisher_listen, Some("the publisher")).await?;
    let publisher_url = format!("http://{publisher_address}");
    let sidecar_app = sidecar::app(
        Arc::new(publisher),
        SidecarConfig {
            tokens: Tokens::open(),
            ..SidecarConfig::default()
        },
    );
    write_banner(
        out,
        &registry_url,
        &publisher_url,
        &nats.config().shown_url(),
        demo.as_ref(),
    )
    .context("cannot write to stdout")?;

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let signal = async move {
        shutdown.await;
        let _ = stop.send(true);
    };
    let until_stopped = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    let reloads = serve::spawn_reloads(Arc::new(reloader), Some(config.poll));
    // Receivers (`cuemesh tail --as`) record what they decode in the stack's NATS: the catalog
    // shows them beside the declared consumers, as `serve --nats` does.
    let watcher = tokio::spawn(crate::serve::watch_observed(
        nats.config().clone(),
        state.clone(),
    ));
    let registry = axum::serve(registry_listener, serve::app(state))
        .with_graceful_shutdown(until_stopped(stopped.clone()));
    let publisher = async move {
        sidecar::serve(publisher_listener, sidecar_app, until_stopped(stopped)).await;
        std::io::Result::Ok(())
    };
    let signal = tokio::spawn(signal);
    let (registry, publisher) = tokio::join!(registry, publisher);
    signal.abort();
    reloads.abort();
    watcher.abort();
    registry.context("the registry failed")?;
    publisher.context("the publisher failed")?;
    output::progress(format_args!("stopped"));
    Ok(())
}

/// The URLs of the stack and commands to paste.
fn write_banner(
    out: &mut (dyn Write + Send),
    registry: &str,
    publisher: &str,
    nats: &str,
    demo: Option<&Demo>,
) -> std::io::Result<()> {
    writeln!(out, "cuemesh dev is running (Ctrl-C stops it):")?;
    writeln!(out)?;
    writeln!(out, "  catalog    {registry}/")?;
    writeln!(out, "  registry   {registry}/v1/sources")?;
    writeln!(
        out,
        "  publish    POST {publisher}/v1/events/{{source}}/{{type}}/versions/{{n}}"
    )?;
    writeln!(out, "  NATS       {nats} (stream of subjects events.>)")?;
    match demo {
        Some(demo) => {
            let endpoint = publish_url(publisher, &demo.source, &demo.event_type, demo.version);
            writeln!(out)?;
            writeln!(
                out,
                "Publish a valid {} event (version {}, {}):",
                demo.event_type,
                demo.version,
                version_url(registry, &demo.source, &demo.event_type, demo.version)
            )?;
            writeln!(out)?;
            writeln!(out, "{}", curl(&endpoint, &demo.valid))?;
            writeln!(out)?;
            writeln!(
                out,
                "and one the schema refuses (422, every violation listed):"
            )?;
            writeln!(out)?;
            writeln!(out, "{}", curl(&endpoint, &demo.invalid))?;
            writeln!(out)?;
            writeln!(out, "Watch them arrive:")?;
            writeln!(out)?;
            writeln!(
                out,
                "  cuemesh tail --nats {nats} --registry {registry} --from-start"
            )?;
        }
        None => {
            writeln!(out)?;
            writeln!(
                out,
                "No event type has an example payload to show: add one under \
                 sources/<name>/examples/<type>/ and commit it."
            )?;
        }
    }
    out.flush()
}

/// A `curl` command posting `body` to `url`, quoted for POSIX shells.
fn curl(url: &str, body: &str) -> String {
    format!(
        "  curl -sS -X POST {} -H 'Content-Type: application/json' -d {}",
        shell_quote(url),
        shell_quote(body)
    )
}

/// `text` as one POSIX shell word.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_survives_single_quotes() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(r#"{"a":1}"#), r#"'{"a":1}'"#);
    }

    #[test]
    fn programs_are_found_on_path_first_then_in_the_extra_directories() {
        let first = tempfile::tempdir().expect("a directory");
        let second = tempfile::tempdir().expect("a directory");
        let extra = tempfile::tempdir().expect("a directory");
        let path = std::env::join_paths([first.path(), second.path()]).expect("a PATH");
        assert_eq!(
            find_program("nats-server", Some(path.clone()), &[extra.path()]),
            None
        );
        std::fs::write(extra.path().join("nats-server"), "").expect("write");
        assert_eq!(
            find_program("nats-server", Some(path.clone()), &[extra.path()]),
            Some(extra.path().join("nats-server"))
        );
        std::fs::write(second.path().join("nats-server"), "").expect("write");
        assert_eq!(
            find_program("nats-server", Some(path), &[extra.path()]),
            Some(second.path().join("nats-server"))
        );
        assert_eq!(find_program("nats-server", None, &[]), None);
    }

    #[test]
    fn another_type_is_another_type() {
        assert!(other_type(&Value::from("x")).is_number());
        assert!(other_type(&Value::from(1)).is_string());
        assert!(other_type(&Value::Null).is_string());
    }
}
