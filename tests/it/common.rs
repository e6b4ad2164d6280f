//! Test harness: a real identity provider on an ephemeral loopback port, a browser-like HTTP
//! client, and the independent tools (pysaml2 as the SP, xmlsec1) the tests check it with.

#![allow(dead_code)]

use base64::Engine;
use pureconnect_idp::config::Config;
use pureconnect_idp::selftest::{attr_in_tag, input_value};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;
use tempfile::TempDir;

pub const SP_ID: &str = "urn:test:sp";
pub const SP_ACS: &str = "https://sp.test/acs";
pub const SECRET_A: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

/// argon2id of "agent1", made once per test run.
fn agent_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| pureconnect_idp::backend::file::hash_password("agent1").unwrap())
}

/// A folder with a signing pair, a users file and room for a configuration.
pub struct Fixture {
    pub dir: TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let signing = dir.path().join("certs/signing");
        std::fs::create_dir_all(&signing).unwrap();
        let pair = pureconnect_idp::keys::generate::self_signed("test idp", 2048, 30, &[]).unwrap();
        std::fs::write(signing.join("idp.crt"), &pair.cert_pem).unwrap();
        std::fs::write(signing.join("idp.key"), &pair.key_pem).unwrap();
        let h = agent_hash();
        std::fs::write(
            dir.path().join("users.toml"),
            format!(
                "[[users]]\nid = \"agent1\"\npassword_hash = \"{h}\"\nemail = \"agent1@example.com\"\ndisplay_name = \"Agent One\"\n\n\
                 [[users]]\nid = \"noemail\"\npassword_hash = \"{h}\"\n"
            ),
        )
        .unwrap();
        Fixture { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The configuration for one SP signing as `sign`, plus `extra`.
    pub fn config(&self, sign: &str, extra: &str) -> Config {
        self.config_full("https://idp.test", SECRET_A, "", sign, extra)
    }

    /// A TLS certificate for 127.0.0.1 in the fixture: (cert, key) paths.
    pub fn tls(&self) -> (PathBuf, PathBuf) {
        let cert = self.path().join("tls.crt");
        let key = self.path().join("tls.key");
        if !cert.exists() {
            let pair = loopback_tls_pair();
            std::fs::write(&cert, &pair.cert_pem).unwrap();
            std::fs::write(&key, &pair.key_pem).unwrap();
        }
        (cert, key)
    }

    /// The `[server]` lines that make the server speak TLS with [`Fixture::tls`].
    pub fn tls_server_lines(&self) -> String {
        let (cert, key) = self.tls();
        format!(
            "tls_cert = \"{}\"\ntls_key = \"{}\"",
            cert.display(),
            key.display()
        )
    }

    /// The configuration with every varying part given: entity ID, session secret, extra
    /// `[server]` lines, the SP's sign mode, and extra tables at the end.
    pub fn config_full(
        &self,
        entity_id: &str,
        secret: &str,
        server: &str,
        sign: &str,
        extra: &str,
    ) -> Config {
        let text = format!(
            "[server]\n{server}\n[idp]\nentity_id = \"{entity_id}\"\norganization_name = \"testorg\"\n\
             [session]\nsecret = \"{secret}\"\n\
             [backend]\ntype = \"file\"\nusers_file = \"users.toml\"\n\
             [[service_providers]]\nentity_id = \"{SP_ID}\"\nacs_urls = [\"{SP_ACS}\", \"https://sp.test/acs2\"]\nsign = \"{sign}\"\nservice_name = \"directory\"\n\
             {extra}"
        );
        let file = self.path().join("idp.toml");
        std::fs::write(&file, &text).unwrap();
        Config::load(&file).unwrap()
    }
}

/// A fresh self-signed TLS pair for 127.0.0.1 and localhost.
pub fn loopback_tls_pair() -> pureconnect_idp::keys::generate::NewPair {
    pureconnect_idp::keys::generate::self_signed("127.0.0.1", 2048, 30, &["127.0.0.1", "localhost"])
        .unwrap()
}

/// A running identity provider.
pub struct TestIdp {
    pub base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestIdp {
    pub async fn start(cfg: Config) -> TestIdp {
        Self::start_with(cfg, pureconnect_idp::Options::default()).await
    }

    pub async fn start_with(cfg: Config, opts: pureconnect_idp::Options) -> TestIdp {
        let app = pureconnect_idp::build(cfg, opts).await.unwrap();
        let scheme = if app.tls.is_some() { "https" } else { "http" };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("{scheme}://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            pureconnect_idp::serve(app, listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestIdp {
            base,
            stop: Some(tx),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn login_url(&self) -> String {
        self.url("/ICNotifierIDP/login?loginType=saml")
    }

    /// Stops the server and waits until it has.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }

    /// Fetches the metadata into a file in `dir`.
    pub async fn metadata_file(&self, dir: &Path) -> PathBuf {
        let xml = get(&client(), &self.url("/ICNotifierIDP/metadata"))
            .await
            .body;
        let p = dir.join("idp-metadata.xml");
        std::fs::write(&p, xml).unwrap();
        p
    }
}

/// A client that behaves like a browser for our purposes: no redirects followed, cookies kept.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap()
}

pub struct Page {
    pub status: u16,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

pub async fn get(c: &reqwest::Client, url: &str) -> Page {
    let r = c.get(url).send().await.unwrap();
    page(r).await
}

pub async fn post(c: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> Page {
    let r = c.post(url).form(form).send().await.unwrap();
    page(r).await
}

/// Posts an HTTP-POST binding message as pysaml2 made it (`{"action", "fields"}`).
pub async fn post_fields(c: &reqwest::Client, msg: &Value) -> Page {
    let fields: Vec<(String, String)> = msg["fields"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    post(c, msg["action"].as_str().unwrap(), &refs).await
}

pub async fn page(r: reqwest::Response) -> Page {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    Page {
        status,
        headers,
        body: r.text().await.unwrap(),
    }
}

/// The credential form on a page: (action, hidden fields).
pub fn login_form(body: &str) -> (String, Vec<(String, String)>) {
    let action = attr_in_tag(body, "id=\"login-form\"", "action").expect("a credential form");
    let fields = ["state", "sp", "lang"]
        .iter()
        .map(|n| (n.to_string(), input_value(body, n).unwrap()))
        .collect();
    (action, fields)
}

/// Submits the credential form on `body` with the given button.
pub async fn submit(
    c: &reqwest::Client,
    body: &str,
    user: &str,
    password: &str,
    action: &str,
) -> Page {
    let (url, mut fields) = login_form(body);
    fields.push(("user_id".into(), user.into()));
    fields.push(("password".into(), password.into()));
    fields.push(("action".into(), action.into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    post(c, &url, &refs).await
}

/// The auto-POST form: (ACS, SAMLResponse, RelayState).
pub fn autopost(body: &str) -> Option<(String, String, Option<String>)> {
    let acs = attr_in_tag(body, "id=\"saml-form\"", "action")?;
    let resp = input_value(body, "SAMLResponse")?;
    Some((acs, resp, input_value(body, "RelayState")))
}

pub fn decode_b64(s: &str) -> String {
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(s).unwrap()).unwrap()
}

/// The Python interpreter of the test venv (made by `make test`).
pub fn python() -> PathBuf {
    if let Ok(p) = std::env::var("IDP_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-test/bin/python");
    assert!(
        p.exists(),
        "the test tools are missing: run `make test` (it makes .venv-test with pysaml2 and selenium)"
    );
    p
}

fn run_json(script: &str, args: &[&str]) -> (bool, Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(script);
    let out = Command::new(python())
        .arg(path)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
        panic!(
            "{script} {args:?} printed no JSON: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), v)
}

/// pysaml2 as the SP.
pub fn pysaml2(args: &[&str]) -> (bool, Value) {
    run_json("tests/sp/pysaml2_sp.py", args)
}

/// Headless Chromium.
pub fn browser(args: &[&str]) -> (bool, Value) {
    run_json("tests/browser/browser.py", args)
}

/// Runs `xmlsec1 --verify` on `xml` with `cert_pem`, for the signature of the element
/// `id_attr_node` (e.g. `urn:oasis:names:tc:SAML:2.0:assertion:Assertion`) picked by XPath.
pub fn xmlsec1_verify(dir: &Path, xml: &str, cert_pem: &str, node_xpath: &str) -> (bool, String) {
    let x = dir.join("signed.xml");
    let c = dir.join("cert.pem");
    std::fs::write(&x, xml).unwrap();
    std::fs::write(&c, cert_pem).unwrap();
    let out = Command::new("xmlsec1")
        .args([
            "--verify",
            "--pubkey-cert-pem",
            c.to_str().unwrap(),
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:protocol:Response",
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
            "--node-xpath",
            node_xpath,
            x.to_str().unwrap(),
        ])
        .output()
        .expect("xmlsec1 is installed (make test installs it)");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The first certificate of a metadata document, as PEM.
pub fn metadata_cert_pem(metadata: &str) -> String {
    let start = metadata.find("<ds:X509Certificate>").unwrap() + "<ds:X509Certificate>".len();
    let end = metadata[start..].find("</ds:X509Certificate>").unwrap() + start;
    let b64 = &metadata[start..end];
    let lines: Vec<String> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

/// A GET of the login endpoint under `base` with a deflated AuthnRequest from the test SP
/// (RelayState `keep-me`), as a browser arrives from the SP.
pub fn request_url(base: &str) -> String {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let xml = format!("<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_r\" Version=\"2.0\" IssueInstant=\"{now}\"><saml:Issuer>{SP_ID}</saml:Issuer></samlp:AuthnRequest>");
    format!(
        "{base}/ICNotifierIDP/login?loginType=saml&RelayState=keep-me&SAMLRequest={}",
        url::form_urlencoded::byte_serialize(
            pureconnect_idp::saml::binding::encode_redirect(&xml).as_bytes()
        )
        .collect::<String>()
    )
}

/// The request ID in the JSON pysaml2 printed for a request it made.
pub fn rid(req: &Value) -> &str {
    req["request_id"]
        .as_str()
        .expect("pysaml2 printed a request_id")
}

/// pysaml2 run as the SP `sp` (entity ID, ACS): `command` against the IdP metadata file `md`,
/// followed by the command's own arguments `rest`.
pub fn pysaml2_as(command: &str, md: &str, sp: (&str, &str), rest: &[&str]) -> (bool, Value) {
    let mut args = vec![
        command,
        "--idp-metadata",
        md,
        "--entity-id",
        sp.0,
        "--acs",
        sp.1,
    ];
    args.extend_from_slice(rest);
    pysaml2(&args)
}

/// A signing pair of an SP of the tests, written to `<dir>/<name>.key` and `.crt`.
pub struct SpKeys {
    pub key: PathBuf,
    pub cert: PathBuf,
}

impl SpKeys {
    pub fn new(dir: &Path, name: &str) -> SpKeys {
        let pair = pureconnect_idp::keys::generate::self_signed(name, 2048, 30, &[]).unwrap();
        let (key, cert) = (
            dir.join(format!("{name}.key")),
            dir.join(format!("{name}.crt")),
        );
        std::fs::write(&key, &pair.key_pem).unwrap();
        std::fs::write(&cert, &pair.cert_pem).unwrap();
        SpKeys { key, cert }
    }

    /// pysaml2 as the SP `sp`, signing with this pair: `command` by `binding`, with `rest`.
    pub fn signed(
        &self,
        command: &str,
        md: &str,
        sp: (&str, &str),
        binding: &str,
        rest: &[&str],
    ) -> Value {
        let mut args = vec![
            "--binding",
            binding,
            "--sign",
            "--key",
            self.key.to_str().unwrap(),
            "--cert",
            self.cert.to_str().unwrap(),
        ];
        args.extend_from_slice(rest);
        let (ok, v) = pysaml2_as(command, md, sp, &args);
        assert!(ok, "{v}");
        v
    }
}

/// pysaml2 as the SP `sp` checks the SAMLResponse `resp` (base64); `rest` names the request
/// (or allows an unsolicited one) and what the SP wants signed.
pub fn sp_verify_as(
    dir: &Path,
    md: &str,
    sp: (&str, &str),
    resp: &str,
    rest: &[&str],
) -> (bool, Value) {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let rf = dir.join(format!("resp-{n}.b64"));
    std::fs::write(&rf, resp).unwrap();
    let mut args = vec!["--response-file", rf.to_str().unwrap()];
    args.extend_from_slice(rest);
    pysaml2_as("verify", md, sp, &args)
}

/// pysaml2 as the first SP checks the SAMLResponse `resp` for the request `rid`; `extra` adds
/// flags.
pub fn sp_verify(dir: &Path, md: &str, resp: &str, rid: &str, extra: &[&str]) -> (bool, Value) {
    let mut rest = vec!["--request-id", rid];
    rest.extend_from_slice(extra);
    sp_verify_as(dir, md, (SP_ID, SP_ACS), resp, &rest)
}

/// A server in its own process (the real binary, the fixture's configuration), so that its
/// memory and its output can be read.
pub struct Proc {
    pub child: std::process::Child,
    pub base: String,
    /// Every line it has written to standard output so far.
    pub lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// Every line it has written to standard error so far.
    pub errors: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn spawn_server(fx: &Fixture, args: &[&str]) -> Proc {
    spawn_server_with(fx, "", args)
}

/// [`spawn_server`] with `extra` tables at the end of the fixture's configuration.
pub fn spawn_server_with(fx: &Fixture, extra: &str, args: &[&str]) -> Proc {
    spawn_server_env(fx, extra, args, &[])
}

/// [`spawn_server_with`] with extra environment variables for the server process.
pub fn spawn_server_env(fx: &Fixture, extra: &str, args: &[&str], env: &[(&str, &str)]) -> Proc {
    use std::io::{BufRead, BufReader};
    fx.config("assertion", extra);
    let mut child = Command::new(env!("CARGO_BIN_EXE_pureconnect-idp"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(fx.path().join("idp.toml"))
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let errors = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let err_reader = BufReader::new(child.stderr.take().unwrap()).lines();
    let keep_err = errors.clone();
    std::thread::spawn(move || {
        for l in err_reader.map_while(Result::ok) {
            keep_err.lock().unwrap().push(l);
        }
    });
    let mut reader = BufReader::new(child.stdout.take().unwrap()).lines();
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut base = None;
    for line in reader.by_ref() {
        let line = line.unwrap();
        let found = line
            .split_once("listening on ")
            .and_then(|(_, u)| u.split(['"', ' ']).next())
            .map(str::to_string);
        lines.lock().unwrap().push(line);
        if found.is_some() {
            base = found;
            break;
        }
    }
    let keep = lines.clone();
    std::thread::spawn(move || {
        for l in reader.map_while(Result::ok) {
            keep.lock().unwrap().push(l);
        }
    });
    Proc {
        child,
        base: base.expect("the server printed its address"),
        lines,
        errors,
    }
}

/// An AuthnRequest as an SP would write it.
pub fn authn_xml(issuer: &str, acs: Option<&str>, destination: Option<&str>) -> String {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let acs = acs
        .map(|a| format!(" AssertionConsumerServiceURL=\"{a}\""))
        .unwrap_or_default();
    let dest = destination
        .map(|d| format!(" Destination=\"{d}\""))
        .unwrap_or_default();
    format!(
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_req1\" Version=\"2.0\" IssueInstant=\"{now}\"{acs}{dest}><saml:Issuer>{issuer}</saml:Issuer></samlp:AuthnRequest>"
    )
}

pub fn deflate_b64(data: &[u8]) -> String {
    use flate2::write::DeflateEncoder;
    use std::io::Write;
    let mut e = DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    base64::engine::general_purpose::STANDARD.encode(e.finish().unwrap())
}

pub fn with_request(idp: &TestIdp, encoded: &str) -> String {
    format!(
        "{}&SAMLRequest={}",
        idp.login_url(),
        url::form_urlencoded::byte_serialize(encoded.as_bytes()).collect::<String>()
    )
}

/// agent1/agent1, answering after `delay`; counts the wrong guesses that reached it.
pub struct SlowBackend {
    pub delay: Duration,
    pub wrong: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl pureconnect_idp::backend::CredentialBackend for SlowBackend {
    async fn authenticate(
        &self,
        user: &str,
        password: &secrecy::SecretString,
        _lang: &str,
    ) -> Result<pureconnect_idp::backend::Principal, pureconnect_idp::backend::AuthError> {
        tokio::time::sleep(self.delay).await;
        match (user, secrecy::ExposeSecret::expose_secret(password)) {
            ("agent1", "agent1") => Ok(pureconnect_idp::backend::Principal {
                user_id: "agent1".into(),
                email: "agent1@example.com".into(),
                display_name: None,
            }),
            _ => {
                self.wrong.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Err(pureconnect_idp::backend::AuthError::BadCredentials)
            }
        }
    }
    fn kind(&self) -> &'static str {
        "slow"
    }
}

impl SlowBackend {
    pub fn new(delay: Duration) -> SlowBackend {
        SlowBackend {
            delay,
            wrong: std::sync::atomic::AtomicUsize::new(0),
        }
    }
}
