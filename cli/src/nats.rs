//! The NATS connection options of every command that connects (`publisher`, `publish`, `tail`,
//! `dev`, `check --replay`): one clap `Args` group flattened into each, each option also read
//! from the environment variable the `nats` CLI uses, so that secrets stay out of process
//! lists; [`NatsOptions::config`] turns them into the library's `NatsConfig`.

use std::path::PathBuf;

use cuemesh_publisher::{NatsConfig, Secret};

/// How to authenticate to NATS and set up TLS. The server URL is each command's own argument
/// (`--nats`, or `check --replay URL`).
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
#[command(next_help_heading = "NATS connection")]
pub struct NatsOptions {
    /// A NATS credentials file: a user JWT and its nkey seed, as `nsc` writes them for an
    /// operator-mode account.
    #[arg(long = "nats-creds", value_name = "FILE", env = "NATS_CREDS")]
    pub nats_creds: Option<PathBuf>,

    /// A file holding the NATS user's nkey seed (`SU...`).
    #[arg(long = "nats-nkey", value_name = "FILE", env = "NATS_NKEY")]
    pub nats_nkey: Option<PathBuf>,

    /// The NATS user, with --nats-password (or `user:password@` before the host in the URL).
    #[arg(long = "nats-user", value_name = "USER", env = "NATS_USER")]
    pub nats_user: Option<String>,

    /// The NATS user's password. Prefer the environment variable: a flag shows in process
    /// lists.
    #[arg(
        long = "nats-password",
        value_name = "PASSWORD",
        env = "NATS_PASSWORD",
        hide_env_values = true
    )]
    pub nats_password: Option<Secret>,

    /// A NATS authentication token (or `token@` before the host in the URL). Prefer the
    /// environment variable: a flag shows in process lists.
    #[arg(
        long = "nats-token",
        value_name = "TOKEN",
        env = "NATS_TOKEN",
        hide_env_values = true
    )]
    pub nats_token: Option<Secret>,

    /// PEM certificates of the authorities that sign the NATS servers' certificates, trusted
    /// instead of the system's; turns TLS on (as a `tls://` URL does).
    #[arg(long = "nats-tls-ca", value_name = "FILE", env = "NATS_CA")]
    pub nats_tls_ca: Option<PathBuf>,

    /// A PEM client certificate, for NATS servers that verify clients (with --nats-tls-key);
    /// turns TLS on.
    #[arg(long = "nats-tls-cert", value_name = "FILE", env = "NATS_CERT")]
    pub nats_tls_cert: Option<PathBuf>,

    /// The PEM private key of --nats-tls-cert.
    #[arg(long = "nats-tls-key", value_name = "FILE", env = "NATS_KEY")]
    pub nats_tls_key: Option<PathBuf>,
}

impl NatsOptions {
    /// The library's configuration for the servers at `url` (comma-separated, `nats://` or
    /// `tls://`), naming the client `name` in the server's monitoring.
    pub fn config(&self, url: impl Into<String>, name: &str) -> NatsConfig {
        NatsConfig {
            credentials_file: self.nats_creds.clone(),
            nkey_file: self.nats_nkey.clone(),
            user: self.nats_user.clone(),
            password: self.nats_password.clone(),
            token: self.nats_token.clone(),
            tls_ca: self.nats_tls_ca.clone(),
            tls_cert: self.nats_tls_cert.clone(),
            tls_key: self.nats_tls_key.clone(),
            name: Some(name.to_string()),
            ..NatsConfig::new(url)
        }
    }

    /// Whether no option is set (a `dev` that starts its own server uses none).
    pub fn is_empty(&self) -> bool {
        *self == NatsOptions::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Command {
        #[command(flatten)]
        nats: NatsOptions,
    }

    #[test]
    fn options_become_the_librarys_configuration_and_hide_secrets() {
        let parsed = Command::try_parse_from([
            "test",
            "--nats-user",
            "ada",
            "--nats-password",
            "hunter2",
            "--nats-tls-ca",
            "ca.pem",
        ])
        .expect("parses");
        let config = parsed.nats.config("tls://nats:4222", "cuemesh publish");
        assert_eq!(config.url, "tls://nats:4222");
        assert_eq!(config.user.as_deref(), Some("ada"));
        assert_eq!(
            config.password.as_ref().map(Secret::expose),
            Some("hunter2")
        );
        assert_eq!(config.tls_ca, Some(PathBuf::from("ca.pem")));
        assert_eq!(config.name.as_deref(), Some("cuemesh publish"));
        assert!(!format!("{parsed:?} {config:?}").contains("hunter2"));
        assert!(!parsed.nats.is_empty());
    }
}
