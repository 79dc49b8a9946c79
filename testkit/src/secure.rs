//! Secured NATS servers for tests: a private CA with server and client certificates made
//! here (rcgen), users with and without permissions, an nkey user, a token, and an
//! operator-mode account whose user connects with a credentials file (JWTs signed here with
//! nkeys).

use std::path::{Path, PathBuf};

use base64::Engine;
use cuemesh_publisher::{NatsConfig, Secret};

use crate::nats::NatsServer;

/// The subject prefix of the orders source of the template (`com.acme.orders`).
pub const ORDERS_SUBJECTS: &str = "events.com%2Eacme%2Eorders.>";

/// A private certificate authority, and what it signed, as PEM files in a temporary directory.
pub struct Pki {
    pub directory: tempfile::TempDir,
    /// The CA's certificate.
    pub ca: PathBuf,
    /// The server's certificate (for `127.0.0.1` and `localhost`) and key.
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// A client certificate the CA signed, and its key.
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// A second CA, which signed nothing of the above, and a client certificate it signed.
    pub other_ca: PathBuf,
    pub other_client_cert: PathBuf,
    pub other_client_key: PathBuf,
}

impl Pki {
    pub fn generate() -> Pki {
        let directory = tempfile::tempdir().expect("a temporary directory");
        let write = |name: &str, text: &str| {
            let path = directory.path().join(name);
            std::fs::write(&path, text).expect("writing a PEM file");
            path
        };
        let (ca, ca_pem) = authority("cuemesh test CA");
        let (other, other_pem) = authority("another CA");
        let server = leaf(
            &ca,
            &["127.0.0.1", "localhost"],
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        );
        let client = leaf(&ca, &["client"], rcgen::ExtendedKeyUsagePurpose::ClientAuth);
        let other_client = leaf(
            &other,
            &["client"],
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        );
        Pki {
            ca: write("ca.pem", &ca_pem),
            server_cert: write("server.pem", &server.0),
            server_key: write("server-key.pem", &server.1),
            client_cert: write("client.pem", &client.0),
            client_key: write("client-key.pem", &client.1),
            other_ca: write("other-ca.pem", &other_pem),
            other_client_cert: write("other-client.pem", &other_client.0),
            other_client_key: write("other-client-key.pem", &other_client.1),
            directory,
        }
    }

    /// The server's `tls` block: this CA's server certificate, and client certificates
    /// required and checked against the CA.
    pub fn server_tls_block(&self) -> String {
        format!(
            "tls {{\n  cert_file: {:?}\n  key_file: {:?}\n  ca_file: {:?}\n  verify: true\n  timeout: 5\n}}\n",
            self.server_cert.display().to_string(),
            self.server_key.display().to_string(),
            self.ca.display().to_string()
        )
    }

    /// `config` with this CA trusted and its client certificate presented.
    pub fn client(&self, mut config: NatsConfig) -> NatsConfig {
        config.tls_ca = Some(self.ca.clone());
        config.tls_cert = Some(self.client_cert.clone());
        config.tls_key = Some(self.client_key.clone());
        config
    }
}

type Authority = rcgen::Issuer<'static, rcgen::KeyPair>;

fn authority(name: &str) -> (Authority, String) {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("parameters");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let key = rcgen::KeyPair::generate().expect("a key");
    let certificate = params.self_signed(&key).expect("a CA certificate");
    (rcgen::Issuer::new(params, key), certificate.pem())
}

/// A certificate for `names` signed by `issuer`, and its key, as PEM.
fn leaf(
    issuer: &Authority,
    names: &[&str],
    usage: rcgen::ExtendedKeyUsagePurpose,
) -> (String, String) {
    let names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
    let mut params = rcgen::CertificateParams::new(names.clone()).expect("parameters");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, names[0].as_str());
    params.extended_key_usages = vec![usage];
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
    ];
    let key = rcgen::KeyPair::generate().expect("a key");
    let certificate = params.signed_by(&key, issuer).expect("a certificate");
    (certificate.pem(), key.serialize_pem())
}

/// A user nkey: its seed (as a file holds it) and public key.
pub struct NkeyUser {
    pub seed: String,
    pub public_key: String,
}

impl NkeyUser {
    pub fn generate() -> NkeyUser {
        let pair = nkeys::KeyPair::new_user();
        NkeyUser {
            seed: pair.seed().expect("a seed"),
            public_key: pair.public_key(),
        }
    }
}

/// The users of [`users_server`]: `admin` may do anything, `orders` may publish only the
/// orders source's subjects (and use JetStream's API), `reader` may not use JetStream's API
/// at all, and one nkey user may do anything.
pub struct Users {
    pub nkey: NkeyUser,
}

pub const ADMIN: (&str, &str) = ("admin", "admin-pw");
pub const ORDERS: (&str, &str) = ("orders", "orders-pw");
pub const READER: (&str, &str) = ("reader", "reader-pw");

/// A server with [`Users`], TLS with client certificates required (`pki`), JetStream on.
pub fn users_server(pki: &Pki) -> (NatsServer, Users) {
    let users = Users {
        nkey: NkeyUser::generate(),
    };
    let config = format!(
        "{tls}\nauthorization {{\n  users: [\n    {{user: {admin:?}, password: {admin_pw:?}}}\n    \
         {{user: {orders:?}, password: {orders_pw:?}, permissions: {{publish: {{allow: [{subjects:?}, \"$JS.API.>\"]}}, subscribe: {{allow: [\"_INBOX.>\"]}}}}}}\n    \
         {{user: {reader:?}, password: {reader_pw:?}, permissions: {{publish: {{allow: [{subjects:?}]}}, subscribe: {{allow: [\"_INBOX.>\"]}}}}}}\n    \
         {{nkey: {nkey:?}}}\n  ]\n}}\n",
        tls = pki.server_tls_block(),
        admin = ADMIN.0,
        admin_pw = ADMIN.1,
        orders = ORDERS.0,
        orders_pw = ORDERS.1,
        reader = READER.0,
        reader_pw = READER.1,
        subjects = ORDERS_SUBJECTS,
        nkey = users.nkey.public_key,
    );
    (NatsServer::start_with_config(Some(&config)), users)
}

/// The URL of a TLS server.
pub fn tls_url(server: &NatsServer) -> String {
    format!("tls://127.0.0.1:{}", server.port)
}

/// `user` with `password` on `server` over TLS with `pki`'s client certificate.
pub fn user_config(server: &NatsServer, pki: &Pki, (user, password): (&str, &str)) -> NatsConfig {
    let mut config = pki.client(NatsConfig::new(tls_url(server)));
    config.user = Some(user.to_string());
    config.password = Some(Secret::new(password));
    config
}

pub const TOKEN: &str = "the-token-3f9a";

/// A plain (no TLS) server that takes [`TOKEN`].
pub fn token_server() -> NatsServer {
    NatsServer::start_with_config(Some(&format!("authorization {{ token: {TOKEN:?} }}\n")))
}

/// An operator-mode server (JWTs of an operator and an account, preloaded in memory) and a
/// credentials file of a user of that account; and one of a user its account did not sign.
pub struct OperatorMode {
    pub server: NatsServer,
    pub credentials: PathBuf,
    pub stranger_credentials: PathBuf,
    _directory: tempfile::TempDir,
}

impl OperatorMode {
    pub fn start() -> OperatorMode {
        let operator = nkeys::KeyPair::new_operator();
        let account = nkeys::KeyPair::new_account();
        // JetStream in operator mode needs a system account.
        let system = nkeys::KeyPair::new_account();
        let user = nkeys::KeyPair::new_user();
        let stranger = nkeys::KeyPair::new_user();
        let other_account = nkeys::KeyPair::new_account();
        let operator_jwt = jwt(
            &operator,
            &operator.public_key(),
            "test operator",
            serde_json::json!({"type": "operator", "version": 2}),
        );
        let account_jwt = jwt(
            &operator,
            &account.public_key(),
            "APP",
            serde_json::json!({
                "limits": {"subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1,
                    "wildcards": true, "conn": -1, "leaf": -1, "mem_storage": -1,
                    "disk_storage": -1, "streams": -1, "consumer": -1},
                "default_permissions": {"pub": {}, "sub": {}},
                "type": "account", "version": 2}),
        );
        let system_jwt = jwt(
            &operator,
            &system.public_key(),
            "SYS",
            serde_json::json!({"type": "account", "version": 2}),
        );
        let user_claims = serde_json::json!({"pub": {}, "sub": {}, "subs": -1, "data": -1,
            "payload": -1, "type": "user", "version": 2});
        let user_jwt = jwt(
            &account,
            &user.public_key(),
            "publisher",
            user_claims.clone(),
        );
        let stranger_jwt = jwt(
            &other_account,
            &stranger.public_key(),
            "stranger",
            user_claims,
        );
        let directory = tempfile::tempdir().expect("a temporary directory");
        let credentials = write_credentials(directory.path(), "user.creds", &user_jwt, &user);
        let stranger_credentials =
            write_credentials(directory.path(), "stranger.creds", &stranger_jwt, &stranger);
        let config = format!(
            "operator: {operator_jwt:?}\nsystem_account: {system:?}\nresolver: MEMORY\n\
             resolver_preload: {{\n  {account}: {account_jwt:?}\n  {system}: {system_jwt:?}\n}}\n",
            account = account.public_key(),
            system = system.public_key(),
        );
        OperatorMode {
            server: NatsServer::start_with_config(Some(&config)),
            credentials,
            stranger_credentials,
            _directory: directory,
        }
    }
}

/// A JWT of `subject` with `nats` claims, issued and signed by `issuer`.
fn jwt(issuer: &nkeys::KeyPair, subject: &str, name: &str, nats: serde_json::Value) -> String {
    let encode = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let header = encode(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    let issued_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let claims = serde_json::json!({
        "jti": format!("{subject}{issued_at}").chars().take(52).collect::<String>(),
        "iat": issued_at,
        "iss": issuer.public_key(),
        "name": name,
        "sub": subject,
        "nats": nats,
    });
    let payload = encode(claims.to_string().as_bytes());
    let signed = format!("{header}.{payload}");
    let signature = issuer.sign(signed.as_bytes()).expect("signs");
    format!("{signed}.{}", encode(&signature))
}

fn write_credentials(directory: &Path, name: &str, jwt: &str, user: &nkeys::KeyPair) -> PathBuf {
    let text = format!(
        "-----BEGIN NATS USER JWT-----\n{jwt}\n------END NATS USER JWT------\n\n\
         ************************* IMPORTANT *************************\n\
         NKEY Seed printed below can be used to sign and prove identity.\n\n\
         -----BEGIN USER NKEY SEED-----\n{}\n------END USER NKEY SEED------\n",
        user.seed().expect("a seed")
    );
    let path = directory.join(name);
    std::fs::write(&path, text).expect("writing a credentials file");
    path
}

/// How many messages the `EVENTS` stream holds, read as `config`'s user.
pub async fn stored_count_as(config: &NatsConfig) -> u64 {
    let client = config.connect().await.expect("connects");
    let context = async_nats::jetstream::new(client);
    let mut stream = context
        .get_stream("EVENTS")
        .await
        .expect("the stream exists");
    stream.info().await.expect("stream info").state.messages
}

/// A TLS connection to `address` trusting only `ca`'s certificates, offering the ALPN
/// `protocols`; the stream and the protocol the server chose.
pub async fn tls_connect(
    address: &str,
    ca: &Path,
    protocols: &[&str],
) -> std::io::Result<(
    tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
    Option<String>,
)> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for certificate in rustls::pki_types::CertificateDer::pem_file_iter(ca).expect("the CA file") {
        roots
            .add(certificate.expect("a certificate"))
            .expect("a trust anchor");
    }
    let mut config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = protocols.iter().map(|p| p.as_bytes().to_vec()).collect();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(address).await?;
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    let name = rustls::pki_types::ServerName::try_from(host.to_string()).expect("a server name");
    let stream = connector.connect(name, tcp).await?;
    let protocol = stream
        .get_ref()
        .1
        .alpn_protocol()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    Ok((stream, protocol))
}

/// One HTTP/1.1 request over TLS to `address` (trusting `ca`), with `Connection: close`; the
/// status and body of the answer.
pub async fn https(
    address: &str,
    ca: &Path,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut stream, _) = tls_connect(address, ca, &["http/1.1"]).await?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    // A server may close without TLS's close_notify once it has answered.
    if let Err(error) = stream.read_to_end(&mut answer).await {
        if error.kind() != std::io::ErrorKind::UnexpectedEof || answer.is_empty() {
            return Err(error);
        }
    }
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}
