//! [`NatsConfig`]: how every part of cuemesh connects to NATS (the servers, the credentials,
//! TLS), and its one [`NatsConfig::connect`], whose [`NatsError`] says what failed
//! (authentication, authorization, the TLS handshake, a certificate) without printing a secret.
//!
//! Credentials are one of: a credentials file (a user JWT and its nkey seed, as `nsc` writes
//! them for operator-mode accounts), an nkey seed file, a user and password (options or the
//! URL's `user:password@`), or a token (options or the URL's `token@`). TLS is used for
//! `tls://` URLs, when any TLS option is given, and whenever the server requires it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use percent_encoding::percent_decode_str;

use crate::tls::{self, TlsFileError};

/// A password, token or seed: compared and cloned, never printed (`Debug` hides it).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(secret: impl Into<String>) -> Secret {
        Secret(secret.into())
    }

    /// The secret itself, to hand to the server.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Secret, Self::Err> {
        Ok(Secret::new(text))
    }
}

/// How to reach NATS: every field but `url` is optional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatsConfig {
    /// `nats://host:port` or `tls://host:port`, several comma-separated (servers of one
    /// cluster, for failover); `user:password@` or `token@` before the host are credentials.
    pub url: String,
    /// A credentials file: a user JWT and its nkey seed (operator-mode accounts).
    pub credentials_file: Option<PathBuf>,
    /// A file holding a user's nkey seed (`SU...`).
    pub nkey_file: Option<PathBuf>,
    pub user: Option<String>,
    /// The user's password; needs `user`.
    pub password: Option<Secret>,
    pub token: Option<Secret>,
    /// PEM certificates of the authorities that sign the servers' certificates, instead of
    /// the system's.
    pub tls_ca: Option<PathBuf>,
    /// A PEM client certificate (chain) for servers that verify clients; needs `tls_key`.
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// How long connecting (and authenticating) may take.
    pub connect_timeout: Duration,
    /// The client's name in the server's monitoring (`connz`).
    pub name: Option<String>,
}

impl From<&str> for NatsConfig {
    fn from(url: &str) -> NatsConfig {
        NatsConfig::new(url)
    }
}

impl From<String> for NatsConfig {
    fn from(url: String) -> NatsConfig {
        NatsConfig::new(url)
    }
}

impl From<&String> for NatsConfig {
    fn from(url: &String) -> NatsConfig {
        NatsConfig::new(url.as_str())
    }
}

impl NatsConfig {
    /// The servers at `url`, no credentials, no TLS options, 5 s to connect.
    pub fn new(url: impl Into<String>) -> NatsConfig {
        NatsConfig {
            url: url.into(),
            credentials_file: None,
            nkey_file: None,
            user: None,
            password: None,
            token: None,
            tls_ca: None,
            tls_cert: None,
            tls_key: None,
            connect_timeout: Duration::from_secs(5),
            name: None,
        }
    }

    /// `url` with the credentials it holds replaced by `***`: for messages and logs.
    pub fn shown_url(&self) -> String {
        redacted(&self.url)
    }

    /// Connects with these credentials and TLS settings. Files are read and checked first,
    /// so that a missing or malformed one is named as such rather than as a failed handshake.
    pub async fn connect(&self) -> Result<async_nats::Client, NatsError> {
        self.connect_with(async_nats::ConnectOptions::new()).await
    }

    /// [`NatsConfig::connect`] on top of `options` (capacities, an event callback).
    pub(crate) async fn connect_with(
        &self,
        options: async_nats::ConnectOptions,
    ) -> Result<async_nats::Client, NatsError> {
        let servers = parse_servers(&self.url)?;
        let credentials = self.credentials(&servers)?;
        let mut options = options.connection_timeout(self.connect_timeout);
        if let Some(name) = &self.name {
            options = options.name(name);
        }
        options = credentials.apply(options)?;
        options = self.tls(&servers)?.apply(options);
        let addresses: Vec<&str> = servers
            .iter()
            .map(|server| server.address.as_str())
            .collect();
        options
            .connect(addresses)
            .await
            .map_err(|error| self.failure(error, &credentials))
    }

    /// The credentials to present: at most one kind, from the options or the URL.
    fn credentials(&self, servers: &[Server]) -> Result<Credentials, NatsError> {
        if self.password.is_some() && self.user.is_none() {
            return Err(NatsError::PasswordWithoutUser);
        }
        let mut given: Vec<&'static str> = Vec::new();
        if self.credentials_file.is_some() {
            given.push("a credentials file");
        }
        if self.nkey_file.is_some() {
            given.push("an nkey file");
        }
        if self.user.is_some() {
            given.push("a user");
        }
        if self.token.is_some() {
            given.push("a token");
        }
        let in_url = url_credentials(servers)?;
        if in_url.is_some() {
            given.push("credentials in the URL");
        }
        if let [first, second, ..] = given[..] {
            return Err(NatsError::ConflictingCredentials { first, second });
        }
        if let Some(path) = &self.credentials_file {
            let text = read_file(path, "NATS credentials file")?;
            return Ok(Credentials::File {
                path: path.clone(),
                text: Secret::new(text),
            });
        }
        if let Some(path) = &self.nkey_file {
            let text = read_file(path, "NATS nkey file")?;
            let seed = nkey_seed(&text).ok_or_else(|| NatsError::BadFile {
                what: "NATS nkey file",
                path: path.clone(),
                reason: "it holds no user nkey seed (a line starting with SU)".to_string(),
            })?;
            let pair = nkeys::KeyPair::from_seed(seed).map_err(|_| NatsError::BadFile {
                what: "NATS nkey file",
                path: path.clone(),
                reason: "its seed is not a valid nkey seed".to_string(),
            })?;
            return Ok(Credentials::Nkey {
                path: path.clone(),
                public_key: pair.public_key(),
                seed: Secret::new(seed),
            });
        }
        if let Some(user) = &self.user {
            let password = self.password.clone().unwrap_or_else(|| Secret::new(""));
            return Ok(Credentials::UserPassword {
                user: user.clone(),
                password,
            });
        }
        if let Some(token) = &self.token {
            return Ok(Credentials::Token(token.clone()));
        }
        Ok(match in_url {
            Some(UrlCredentials::UserPassword(user, password)) => {
                Credentials::UserPassword { user, password }
            }
            Some(UrlCredentials::Token(token)) => Credentials::Token(token),
            None => Credentials::None,
        })
    }

    /// The TLS settings, their files read and checked.
    fn tls(&self, servers: &[Server]) -> Result<Tls, NatsError> {
        let client = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => {
                check_client_certificate(cert, key)?;
                Some((cert.clone(), key.clone()))
            }
            (Some(_), None) => {
                return Err(NatsError::IncompleteClientCertificate {
                    missing: "private key",
                })
            }
            (None, Some(_)) => {
                return Err(NatsError::IncompleteClientCertificate {
                    missing: "certificate",
                })
            }
            (None, None) => None,
        };
        if let Some(ca) = &self.tls_ca {
            tls::check_authorities(ca)?;
        }
        let required = self.tls_ca.is_some()
            || client.is_some()
            || servers.iter().any(|server| server.scheme == "tls");
        Ok(Tls {
            required,
            authorities: self.tls_ca.clone(),
            client,
        })
    }

    /// What a failed connection attempt means, in the terms of [`NatsError`].
    fn failure(&self, error: async_nats::ConnectError, credentials: &Credentials) -> NatsError {
        use async_nats::ConnectErrorKind as Kind;
        let url = self.shown_url();
        match error.kind() {
            Kind::AuthorizationViolation => NatsError::Authentication {
                url,
                credentials: credentials.describe(),
            },
            Kind::Authentication => NatsError::Authentication {
                url,
                credentials: format!(
                    "{} (signing the server's nonce failed)",
                    credentials.describe()
                ),
            },
            Kind::TimedOut => NatsError::Timeout {
                url,
                after: self.connect_timeout,
            },
            _ => match tls_failure(&error, self.tls_cert.is_some()) {
                Some(TlsFailure::Certificate(reason)) => NatsError::Certificate { url, reason },
                Some(TlsFailure::Handshake(reason)) => NatsError::TlsHandshake { url, reason },
                None if error.kind() == Kind::Tls => NatsError::TlsHandshake {
                    url,
                    reason: error.to_string(),
                },
                None => NatsError::Unreachable {
                    url,
                    reason: error.to_string(),
                },
            },
        }
    }
}

/// Why connecting to NATS failed. Messages name the server (its URL without credentials),
/// the file or the kind of credentials, never a secret.
#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    #[error("the NATS URL {url} is not valid: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("NATS credentials are given twice, as {first} and as {second}: give one")]
    ConflictingCredentials {
        first: &'static str,
        second: &'static str,
    },
    #[error("a NATS password needs a user")]
    PasswordWithoutUser,
    #[error("a TLS client certificate needs its private key and the key its certificate: the {missing} is missing")]
    IncompleteClientCertificate { missing: &'static str },
    #[error("cannot read the {what} {}", path.display())]
    File {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the {what} {} is not valid: {reason}", path.display())]
    BadFile {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error(transparent)]
    TlsFile(#[from] TlsFileError),
    #[error("authentication failed: NATS at {url} refused {credentials}")]
    Authentication { url: String, credentials: String },
    #[error(
        "authorization failed: NATS at {url} does not allow this user to {operation} {subject}"
    )]
    Authorization {
        url: String,
        /// `publish to` or `subscribe to`.
        operation: &'static str,
        subject: String,
    },
    #[error("TLS handshake with NATS at {url} failed: {reason}")]
    TlsHandshake { url: String, reason: String },
    #[error("certificate refused in the TLS handshake with NATS at {url}: {reason}")]
    Certificate { url: String, reason: String },
    #[error("connecting to NATS at {url} timed out after {after:?}")]
    Timeout { url: String, after: Duration },
    /// async-nats's error says what failed (`IO error: Connection refused`); it is kept as
    /// text because its own message already repeats its source's.
    #[error("cannot connect to NATS at {url}: {reason}")]
    Unreachable { url: String, reason: String },
}

/// A permission the server refused, read from its `-ERR` line (async-nats reports it as a
/// server error event): `Permissions Violation for Publish to "subject"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PermissionViolation {
    /// `publish to` or `subscribe to`.
    pub(crate) operation: &'static str,
    pub(crate) subject: String,
}

impl PermissionViolation {
    /// The violation an async-nats event reports, if it is one.
    pub(crate) fn of_event(event: &async_nats::Event) -> Option<PermissionViolation> {
        match event {
            async_nats::Event::ServerError(async_nats::ServerError::Other(text)) => {
                PermissionViolation::parse(text)
            }
            _ => None,
        }
    }

    /// Reads the server's text (matched without case, as servers and clients differ in it).
    fn parse(text: &str) -> Option<PermissionViolation> {
        let lower = text.to_ascii_lowercase();
        let at = lower.find("permissions violation for ")?;
        let rest = &text[at + "permissions violation for ".len()..];
        let lower_rest = rest.to_ascii_lowercase();
        let (operation, subject) = if lower_rest.starts_with("publish to ") {
            ("publish to", &rest["publish to ".len()..])
        } else if lower_rest.starts_with("subscription to ") {
            ("subscribe to", &rest["subscription to ".len()..])
        } else {
            return None;
        };
        let subject = subject.trim().trim_matches('"');
        // A subscription violation may be followed by the queue group: `using queue "q"`.
        let subject = subject.split('"').next().unwrap_or(subject).trim();
        (!subject.is_empty()).then(|| PermissionViolation {
            operation,
            subject: subject.to_string(),
        })
    }
}

impl NatsError {
    /// The authorization error of a refused publish or subscription, on the server at `url`.
    pub(crate) fn from_violation(violation: PermissionViolation, url: String) -> NatsError {
        NatsError::Authorization {
            url,
            operation: violation.operation,
            subject: violation.subject,
        }
    }
}

/// One server of the URL list.
struct Server {
    /// `nats`, `tls`, `ws` or `wss` (`nats` when the URL has none).
    scheme: String,
    /// The URL without its credentials, as async-nats reads it.
    address: String,
    /// `user[:password]` before the host, percent-decoded.
    user: Option<String>,
    password: Option<String>,
}

/// Splits a comma-separated URL list (async-nats reads one URL per string) and takes the
/// credentials out of each (async-nats does not read them from the URL).
fn parse_servers(url: &str) -> Result<Vec<Server>, NatsError> {
    let invalid = |one: &str, reason: &str| NatsError::InvalidUrl {
        url: redacted(one),
        reason: reason.to_string(),
    };
    let mut servers = Vec::new();
    for one in url.split(',').map(str::trim).filter(|one| !one.is_empty()) {
        let (scheme, rest) = match one.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => ("nats".to_string(), one),
        };
        if !matches!(scheme.as_str(), "nats" | "tls" | "ws" | "wss") {
            return Err(invalid(
                one,
                "the scheme must be nats://, tls://, ws:// or wss://",
            ));
        }
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        let (userinfo, host) = match authority.rsplit_once('@') {
            Some((userinfo, host)) => (Some(userinfo), host),
            None => (None, authority),
        };
        if host.is_empty() {
            return Err(invalid(one, "it names no host"));
        }
        let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
        let (user, password) = match userinfo.map(|info| info.split_once(':')) {
            None => (None, None),
            Some(Some((user, password))) => (Some(decode(user)), Some(decode(password))),
            Some(None) => (userinfo.map(decode), None),
        };
        servers.push(Server {
            address: format!("{scheme}://{host}{tail}"),
            scheme,
            user,
            password,
        });
    }
    if servers.is_empty() {
        return Err(NatsError::InvalidUrl {
            url: String::new(),
            reason: "no server is named".to_string(),
        });
    }
    Ok(servers)
}

enum UrlCredentials {
    UserPassword(String, Secret),
    Token(Secret),
}

/// The credentials the URLs hold: the same on every server that has some (async-nats sends
/// one set to whichever server it reaches).
fn url_credentials(servers: &[Server]) -> Result<Option<UrlCredentials>, NatsError> {
    let mut found: Option<(&Option<String>, &Option<String>)> = None;
    for server in servers.iter().filter(|server| server.user.is_some()) {
        match found {
            None => found = Some((&server.user, &server.password)),
            Some(first) if first != (&server.user, &server.password) => {
                return Err(NatsError::InvalidUrl {
                    url: servers
                        .iter()
                        .map(|server| server.address.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    reason: "its servers carry different credentials".to_string(),
                });
            }
            Some(_) => {}
        }
    }
    Ok(match found {
        Some((Some(user), Some(password))) => Some(UrlCredentials::UserPassword(
            user.clone(),
            Secret::new(password.clone()),
        )),
        // `nats://token@host`, as the Go client reads it.
        Some((Some(token), None)) => Some(UrlCredentials::Token(Secret::new(token.clone()))),
        _ => None,
    })
}

/// `url` (a list) with every password or token replaced by `***`; a user name is kept.
pub(crate) fn redacted(url: &str) -> String {
    url.split(',')
        .map(|one| {
            let trimmed = one.trim();
            let start = trimmed.find("://").map_or(0, |at| at + 3);
            let authority_end = trimmed[start..]
                .find(['/', '?', '#'])
                .map_or(trimmed.len(), |end| start + end);
            match trimmed[start..authority_end].rfind('@') {
                Some(at) => {
                    let userinfo = &trimmed[start..start + at];
                    let shown = match userinfo.split_once(':') {
                        Some((user, _)) => format!("{user}:***"),
                        None => "***".to_string(),
                    };
                    format!("{}{shown}{}", &trimmed[..start], &trimmed[start + at..])
                }
                None => trimmed.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The credentials presented to the server.
enum Credentials {
    None,
    UserPassword {
        user: String,
        password: Secret,
    },
    Token(Secret),
    Nkey {
        path: PathBuf,
        public_key: String,
        seed: Secret,
    },
    File {
        path: PathBuf,
        text: Secret,
    },
}

impl Credentials {
    fn apply(
        &self,
        options: async_nats::ConnectOptions,
    ) -> Result<async_nats::ConnectOptions, NatsError> {
        Ok(match self {
            Credentials::None => options,
            Credentials::UserPassword { user, password } => {
                options.user_and_password(user.clone(), password.expose().to_string())
            }
            Credentials::Token(token) => options.token(token.expose().to_string()),
            Credentials::Nkey { seed, .. } => options.nkey(seed.expose().to_string()),
            Credentials::File { path, text } => {
                options
                    .credentials(text.expose())
                    .map_err(|error| NatsError::BadFile {
                        what: "NATS credentials file",
                        path: path.clone(),
                        reason: error.to_string(),
                    })?
            }
        })
    }

    /// What was presented, for an error message: never the secret.
    fn describe(&self) -> String {
        match self {
            Credentials::None => "a connection without credentials".to_string(),
            Credentials::UserPassword { user, .. } => format!("the user {user:?} and its password"),
            Credentials::Token(_) => "the token".to_string(),
            Credentials::Nkey {
                path, public_key, ..
            } => format!("the nkey {public_key} (from {})", path.display()),
            Credentials::File { path, .. } => {
                format!("the user of the credentials file {}", path.display())
            }
        }
    }
}

/// An nkey file's user seed: the first word starting with `SU` (the file may be decorated
/// as `nsc` writes it, or hold the seed alone).
fn nkey_seed(text: &str) -> Option<&str> {
    text.split_whitespace()
        .find(|word| word.starts_with("SU") && word.len() > 50)
}

fn read_file(path: &Path, what: &'static str) -> Result<String, NatsError> {
    std::fs::read_to_string(path).map_err(|source| NatsError::File {
        what,
        path: path.to_path_buf(),
        source,
    })
}

fn check_client_certificate(cert: &Path, key: &Path) -> Result<(), TlsFileError> {
    tls::certified_key(cert, key, "TLS client certificate file").map(|_| ())
}

struct Tls {
    required: bool,
    authorities: Option<PathBuf>,
    client: Option<(PathBuf, PathBuf)>,
}

impl Tls {
    fn apply(&self, mut options: async_nats::ConnectOptions) -> async_nats::ConnectOptions {
        if self.required {
            options = options.require_tls(true);
        }
        if let Some(authorities) = &self.authorities {
            options = options.add_root_certificates(authorities.clone());
        }
        if let Some((cert, key)) = &self.client {
            options = options.add_client_certificate(cert.clone(), key.clone());
        }
        options
    }
}

enum TlsFailure {
    /// A certificate was refused: the server's by us, or ours by the server.
    Certificate(String),
    Handshake(String),
}

/// The TLS error behind a failed connection, if TLS is what failed: rustls's error wrapped
/// in the I/O error that the handshake or the first read returned.
fn tls_failure(error: &async_nats::ConnectError, client_certificate: bool) -> Option<TlsFailure> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(current) = cause {
        let found = current.downcast_ref::<rustls::Error>().or_else(|| {
            current
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(tls) = found {
            return Some(describe_tls(tls, client_certificate));
        }
        cause = current.source();
    }
    None
}

fn describe_tls(error: &rustls::Error, client_certificate: bool) -> TlsFailure {
    use rustls::{AlertDescription as Alert, CertificateError};
    match error {
        rustls::Error::InvalidCertificate(certificate) => {
            let reason = match certificate {
                CertificateError::UnknownIssuer => {
                    "the server's certificate is not issued by a trusted authority (is the CA file the one that signed it?)"
                        .to_string()
                }
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => {
                    "the server's certificate is not valid for the host in the URL".to_string()
                }
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    "the server's certificate has expired".to_string()
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    "the server's certificate is not valid yet".to_string()
                }
                _ => "the server's certificate is not valid".to_string(),
            };
            TlsFailure::Certificate(format!("{reason} ({error})"))
        }
        rustls::Error::AlertReceived(
            Alert::CertificateRequired
            | Alert::BadCertificate
            | Alert::UnknownCA
            | Alert::CertificateUnknown
            | Alert::UnsupportedCertificate
            | Alert::CertificateExpired
            | Alert::CertificateRevoked
            | Alert::AccessDenied,
        ) if client_certificate => TlsFailure::Certificate(format!(
            "the server refused the client certificate ({error})"
        )),
        rustls::Error::AlertReceived(_) if !client_certificate => TlsFailure::Certificate(format!(
            "the server refused the connection, probably because it requires a client certificate and none was given ({error})"
        )),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            TlsFailure::Handshake(format!("the server did not answer in TLS: does it have TLS on? ({error})"))
        }
        other => TlsFailure::Handshake(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_are_taken_out_and_hidden() {
        let servers =
            parse_servers("nats://ada:p%40ss@a:4222, tls://ada:p%40ss@b:4222,c").expect("parses");
        let addresses: Vec<&str> = servers.iter().map(|s| s.address.as_str()).collect();
        assert_eq!(addresses, ["nats://a:4222", "tls://b:4222", "nats://c"]);
        match url_credentials(&servers).expect("agree") {
            Some(UrlCredentials::UserPassword(user, password)) => {
                assert_eq!(user, "ada");
                assert_eq!(password.expose(), "p@ss");
            }
            _ => panic!("user and password"),
        }
        let servers = parse_servers("nats://s3cr3t@a:4222").expect("parses");
        assert!(matches!(
            url_credentials(&servers),
            Ok(Some(UrlCredentials::Token(token))) if token.expose() == "s3cr3t"
        ));
        let servers = parse_servers("nats://ada:x@a,nats://bob:y@b").expect("parses");
        let error = url_credentials(&servers)
            .err()
            .expect("they differ")
            .to_string();
        assert!(!error.contains(":x@") && !error.contains(":y@"), "{error}");
        assert_eq!(
            redacted("nats://ada:p%40ss@a:4222/x, tls://tok@b,c:1"),
            "nats://ada:***@a:4222/x,tls://***@b,c:1"
        );
        for bad in ["http://a:4222", "nats://", ""] {
            assert!(
                matches!(parse_servers(bad), Err(NatsError::InvalidUrl { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn one_kind_of_credentials_at_a_time() {
        let mut config = NatsConfig::new("nats://a:4222");
        config.user = Some("ada".to_string());
        config.token = Some(Secret::new("t"));
        let servers = parse_servers(&config.url).expect("parses");
        assert_eq!(
            config.credentials(&servers).err().map(|e| e.to_string()),
            Some(
                "NATS credentials are given twice, as a user and as a token: give one".to_string()
            )
        );
        let mut config = NatsConfig::new("nats://bob:pw@a:4222");
        config.token = Some(Secret::new("t"));
        let servers = parse_servers(&config.url).expect("parses");
        assert!(matches!(
            config.credentials(&servers),
            Err(NatsError::ConflictingCredentials {
                second: "credentials in the URL",
                ..
            })
        ));
        let mut config = NatsConfig::new("nats://a:4222");
        config.password = Some(Secret::new("pw"));
        assert!(matches!(
            config.credentials(&servers),
            Err(NatsError::PasswordWithoutUser)
        ));
        // A secret never shows in Debug.
        let mut config = NatsConfig::new("nats://a:4222");
        config.user = Some("ada".to_string());
        config.password = Some(Secret::new("hunter2"));
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn permission_violations_are_read_from_the_servers_error() {
        assert_eq!(
            PermissionViolation::parse(r#"Permissions Violation for Publish to "events.a%2Eb.c""#),
            Some(PermissionViolation {
                operation: "publish to",
                subject: "events.a%2Eb.c".to_string()
            })
        );
        assert_eq!(
            PermissionViolation::parse(
                r#"permissions violation for subscription to "_INBOX.x.>" using queue "q""#
            ),
            Some(PermissionViolation {
                operation: "subscribe to",
                subject: "_INBOX.x.>".to_string()
            })
        );
        assert_eq!(
            PermissionViolation::parse("Maximum Payload Violation"),
            None
        );
    }

    #[test]
    fn an_nkey_file_may_be_decorated() {
        let seed = "SUAIO3FHUX5PNV2LQIIP7TZ3N4L7TX3W53MQGEIVYFIGA635OZCKEYHFLM";
        assert_eq!(nkey_seed(seed), Some(seed));
        let decorated =
            format!("-----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n");
        assert_eq!(nkey_seed(&decorated), Some(seed));
        assert_eq!(nkey_seed("UABC\n"), None);
    }
}
