//! Serving a remote governance repository: a bare cache of it, fetched before each reload.
//!
//! The cache is a bare repository under the cache directory, one per URL. Each fetch brings
//! the remote branch to `refs/cuemesh/fetched/<branch>` (forced: whatever the remote says),
//! then moves the branch that is indexed, `refs/heads/<branch>`, only when the fetched commit
//! descends from it. A rewritten remote branch leaves the cache's branch where it was, so the
//! registry keeps serving (and numbering) the history it published, across restarts too.

use super::reload::ensure_fast_forward;
use crate::error::Error;
use crate::repository::Repository;
use sha2::{Digest as _, Sha256};
use std::path::{Path, PathBuf};

/// Whether `text` names a remote repository rather than a local directory: a URL
/// (`https://`, `http://`, `ssh://`, `git://`, `file://`) or scp-like `user@host:path`.
pub fn is_remote(text: &str) -> bool {
    const SCHEMES: [&str; 5] = ["https://", "http://", "ssh://", "git://", "file://"];
    if SCHEMES.iter().any(|scheme| text.starts_with(scheme)) {
        return true;
    }
    // `git@github.com:acme/schemas.git`: a user, a host, then a colon before any slash.
    match text.split_once(':') {
        Some((before, _)) => match before.split_once('@') {
            Some((user, host)) => !user.is_empty() && !host.is_empty() && !before.contains('/'),
            None => false,
        },
        None => false,
    }
}

/// `url` without its user information, where passwords and tokens go
/// (`https://user:token@host/...` becomes `https://***@host/...`), to log and to put in errors.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_string();
    };
    format!("{scheme}://***@{}", &rest[at + 1..])
}

/// A remote repository and the branch served from its cache.
#[derive(Clone)]
pub struct Remote {
    url: String,
    branch: String,
    directory: PathBuf,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Remote")
            .field("url", &redacted(&self.url))
            .field("branch", &self.branch)
            .field("directory", &self.directory)
            .finish()
    }
}

impl Remote {
    /// Opens the cache of `url` under `cache_directory` (creating a bare repository there the
    /// first time) and settles the branch: `branch`, or the remote's default branch. It does
    /// not fetch: call [`Remote::fetch`].
    pub fn open(
        url: &str,
        branch: Option<&str>,
        cache_directory: &Path,
    ) -> Result<(Remote, Repository), Error> {
        let directory = cache_directory.join(cache_name(url));
        std::fs::create_dir_all(cache_directory).map_err(|source| Error::Cache {
            path: cache_directory.to_path_buf(),
            source,
        })?;
        let remote_error = |action: &'static str| {
            let url = redacted(url);
            move |source| Error::Remote {
                action,
                url,
                source,
            }
        };
        let git = match git2::Repository::open_bare(&directory) {
            Ok(git) => git,
            Err(_) => git2::Repository::init_bare(&directory).map_err(|source| Error::Cache {
                path: directory.clone(),
                source: std::io::Error::other(source),
            })?,
        };
        let branch = match branch {
            Some(branch) => branch.to_string(),
            None => {
                let mut remote = git
                    .remote_anonymous(url)
                    .map_err(remote_error("read the address of"))?;
                let connection = remote
                    .connect_auth(git2::Direction::Fetch, Some(callbacks()), None)
                    .map_err(remote_error("connect to"))?;
                let head = connection
                    .default_branch()
                    .map_err(remote_error("read the default branch of"))?;
                let head = head.as_str().unwrap_or_default();
                head.strip_prefix("refs/heads/").unwrap_or(head).to_string()
            }
        };
        if !git2::Reference::is_valid_name(&format!("refs/heads/{branch}")) {
            return Err(Error::Remote {
                action: "name a branch of",
                url: redacted(url),
                source: git2::Error::from_str(&format!("{branch:?} is not a valid branch name")),
            });
        }
        // `default_branch` of the cache is the served branch.
        git.set_head(&format!("refs/heads/{branch}"))
            .map_err(|source| Error::Cache {
                path: directory.clone(),
                source: std::io::Error::other(source),
            })?;
        drop(git);
        let repository = Repository::open(&directory)?;
        let remote = Remote {
            url: url.to_string(),
            branch,
            directory,
        };
        Ok((remote, repository))
    }

    /// The URL, without a password or token in it.
    pub fn url(&self) -> String {
        redacted(&self.url)
    }

    pub fn branch(&self) -> &str {
        &self.branch
    }

    /// The bare repository that caches the remote.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// Whether the cache holds the branch (from an earlier fetch).
    pub fn has_branch(&self, repository: &Repository) -> bool {
        repository.git().find_reference(&self.served_ref()).is_ok()
    }

    /// Fetches the branch and moves the cache's branch to it when that is a fast-forward;
    /// [`Error::NonFastForward`] when the remote rewrote it (the cache's branch stays).
    pub fn fetch(&self, repository: &Repository) -> Result<(), Error> {
        let git = repository.git();
        let fetched_ref = format!("refs/cuemesh/fetched/{}", self.branch);
        let refspec = format!("+refs/heads/{}:{fetched_ref}", self.branch);
        let error = |action: &'static str| {
            let url = self.url();
            move |source| Error::Remote {
                action,
                url,
                source,
            }
        };
        let mut remote = git
            .remote_anonymous(&self.url)
            .map_err(error("read the address of"))?;
        let mut options = git2::FetchOptions::new();
        options
            .remote_callbacks(callbacks())
            .download_tags(git2::AutotagOption::None);
        remote
            .fetch(&[refspec.as_str()], Some(&mut options), None)
            .map_err(error("fetch from"))?;
        let fetched =
            git.refname_to_id(&fetched_ref)
                .map_err(|source| Error::ReferenceNotFound {
                    reference: format!("{} of {}", self.branch, self.url()),
                    source,
                })?;
        let served_ref = self.served_ref();
        if let Ok(served) = git.refname_to_id(&served_ref) {
            ensure_fast_forward(git, &self.branch, served, fetched)?;
        }
        git.reference(&served_ref, fetched, true, "cuemesh: fast-forward")
            .map_err(error("record the fetched branch of"))?;
        Ok(())
    }

    fn served_ref(&self) -> String {
        format!("refs/heads/{}", self.branch)
    }
}

/// The cache folder of `url`: a readable part of it and a hash of all of it.
fn cache_name(url: &str) -> String {
    let readable: String = url
        .rsplit(['/', ':'])
        .find(|part| !part.is_empty())
        .unwrap_or("repository")
        .trim_end_matches(".git")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    let hash = Sha256::digest(url.as_bytes());
    let hex: String = hash[..8].iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{readable}-{hex}.git")
}

/// Credentials for private remotes: the SSH agent for SSH URLs, Git's credential helpers for
/// HTTPS. libgit2 asks again after a refusal, so each kind is offered once.
fn callbacks<'a>() -> git2::RemoteCallbacks<'a> {
    let mut callbacks = git2::RemoteCallbacks::new();
    let mut tried = git2::CredentialType::empty();
    callbacks.credentials(move |url, username, allowed| {
        let username = username.unwrap_or("git");
        if allowed.contains(git2::CredentialType::SSH_KEY)
            && !tried.contains(git2::CredentialType::SSH_KEY)
        {
            tried |= git2::CredentialType::SSH_KEY;
            return git2::Cred::ssh_key_from_agent(username);
        }
        if allowed.contains(git2::CredentialType::USER_PASS_PLAINTEXT)
            && !tried.contains(git2::CredentialType::USER_PASS_PLAINTEXT)
        {
            tried |= git2::CredentialType::USER_PASS_PLAINTEXT;
            let config = git2::Config::open_default()?;
            return git2::Cred::credential_helper(&config, url, Some(username));
        }
        Err(git2::Error::from_str(
            "no credentials accepted (for SSH: an ssh-agent key; for HTTPS: a Git credential helper)",
        ))
    });
    callbacks
}

#[cfg(test)]
mod tests {
    use super::{cache_name, is_remote, redacted};

    #[test]
    fn passwords_and_tokens_are_left_out_of_urls_shown() {
        assert_eq!(
            redacted("https://bot:ghp_secret@github.com/acme/schemas.git"),
            "https://***@github.com/acme/schemas.git"
        );
        assert_eq!(
            redacted("https://ghp_secret@github.com/a/b"),
            "https://***@github.com/a/b"
        );
        for shown in [
            "https://github.com/a/b",
            "git@github.com:a/b.git",
            "file:///srv/x",
        ] {
            assert_eq!(redacted(shown), shown);
        }
    }

    #[test]
    fn urls_and_scp_addresses_are_remote_and_paths_are_not() {
        for remote in [
            "https://github.com/acme/schemas.git",
            "ssh://git@host/acme/schemas",
            "file:///srv/schemas.git",
            "git@github.com:acme/schemas.git",
        ] {
            assert!(is_remote(remote), "{remote}");
        }
        for local in [
            "schemas",
            "./schemas",
            "/srv/schemas",
            "C:/schemas",
            "a/b@c:d",
            "@:x",
        ] {
            assert!(!is_remote(local), "{local}");
        }
    }

    #[test]
    fn each_url_has_its_own_cache_folder() {
        let one = cache_name("https://github.com/acme/schemas.git");
        let two = cache_name("https://example.com/acme/schemas.git");
        assert!(
            one.starts_with("schemas-") && one.ends_with(".git"),
            "{one}"
        );
        assert_ne!(one, two);
    }
}
