//! Signing certificates: a rotation under load with no failed login, encrypted keys, an
//! expired active certificate at start-up, a failed reload, and the `certs` command — against
//! the real server and the real binary, every signature checked by xmlsec1.

use crate::common::*;
use base64::Engine;
use pureconnect_idp::backend::{AuthError, CredentialBackend, Principal};
use pureconnect_idp::config::Config;
use pureconnect_idp::keys::generate::{encrypt_key, self_signed, self_signed_at};
use secrecy::{ExposeSecret, SecretString};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_pureconnect-idp");
const ON_ASSERTION: &str = "//*[local-name()='Assertion']/*[local-name()='Signature']";

/// Accepts agent1/agent1 without argon2: the rotation test is about signing, and 2,000
/// password hashes would take the machine's cores for a minute.
pub(crate) struct QuickBackend;

#[async_trait::async_trait]
impl CredentialBackend for QuickBackend {
    async fn authenticate(
        &self,
        user: &str,
        password: &SecretString,
        _lang: &str,
    ) -> Result<Principal, AuthError> {
        if user == "agent1" && password.expose_secret() == "agent1" {
            Ok(Principal {
                user_id: "agent1".into(),
                email: "agent1@example.com".into(),
                display_name: None,
            })
        } else {
            Err(AuthError::BadCredentials)
        }
    }

    fn kind(&self) -> &'static str {
        "quick test backend"
    }
}

fn signing(fx: &Fixture) -> PathBuf {
    fx.path().join("certs/signing")
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

fn der(pem: &str) -> Vec<u8> {
    openssl::x509::X509::from_pem(pem.as_bytes())
        .unwrap()
        .to_der()
        .unwrap()
}

/// Every certificate in a metadata document, as DER, in order.
fn metadata_certs(md: &str) -> Vec<Vec<u8>> {
    md.split("<ds:X509Certificate>")
        .skip(1)
        .filter_map(|s| s.split("</ds:X509Certificate>").next())
        .map(|b| base64::engine::general_purpose::STANDARD.decode(b).unwrap())
        .collect()
}

/// The fixture's configuration with extra lines in its `[idp]` table.
fn config_with_idp(fx: &Fixture, idp_lines: &str) -> Config {
    fx.config("assertion", "");
    let file = fx.path().join("idp.toml");
    let text = read(&file).replacen("[idp]\n", &format!("[idp]\n{idp_lines}\n"), 1);
    std::fs::write(&file, text).unwrap();
    Config::load(&file).unwrap()
}

/// Runs `pureconnect-idp certs ARGS --config <fixture>/idp.toml`.
fn certs(fx: &Fixture, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(BIN)
        .arg("certs")
        .args(args)
        .arg("--config")
        .arg(fx.path().join("idp.toml"))
        .env_remove("IDP_KEY_PASSWORD")
        .env("RUST_BACKTRACE", "0")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One login as a browser does it: the SP's request, the form, the credentials; returns the
/// signed Response's XML, or why it failed. Never panics, so every failure is counted.
pub(crate) async fn login(c: &reqwest::Client, base: &str) -> Result<String, String> {
    let r = c
        .get(request_url(base))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status();
    let body = r.text().await.map_err(|e| e.to_string())?;
    if status != 200 || !body.contains("id=\"login-form\"") {
        return Err(format!("form: HTTP {status}"));
    }
    let (action, mut fields) = login_form(&body);
    fields.extend([
        ("user_id".to_string(), "agent1".to_string()),
        ("password".into(), "agent1".into()),
        ("action".into(), "login".into()),
    ]);
    let r = c
        .post(&action)
        .form(&fields)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status();
    let body = r.text().await.map_err(|e| e.to_string())?;
    match autopost(&body) {
        Some((acs, resp, rs))
            if status == 200 && acs == SP_ACS && rs.as_deref() == Some("keep-me") =>
        {
            Ok(decode_b64(&resp))
        }
        _ => Err(format!("login: HTTP {status}, no auto-POST form")),
    }
}

/// `xmlsec1 --verify` of many documents with one certificate. xmlsec1 takes many files in one
/// run but stops at the first that fails, so a failed run resumes after that file.
pub(crate) fn verify_all(dir: &Path, xmls: &[&String], cert_pem: &str) -> Vec<bool> {
    let cert = dir.join("verify-cert.pem");
    std::fs::write(&cert, cert_pem).unwrap();
    let files: Vec<PathBuf> = xmls
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let p = dir.join(format!("v{i:05}.xml"));
            std::fs::write(&p, x).unwrap();
            p
        })
        .collect();
    let mut ok = vec![false; files.len()];
    let mut start = 0;
    while start < files.len() {
        let end = files.len().min(start + 250);
        let out = Command::new("xmlsec1")
            .arg("--verify")
            .arg("--pubkey-cert-pem")
            .arg(&cert)
            .args([
                "--id-attr:ID",
                "urn:oasis:names:tc:SAML:2.0:protocol:Response",
            ])
            .args([
                "--id-attr:ID",
                "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
            ])
            .args(["--node-xpath", ON_ASSERTION])
            .args(&files[start..end])
            .output()
            .expect("xmlsec1 is installed");
        let all = text(&out.stdout) + &text(&out.stderr);
        if out.status.success() {
            assert_eq!(all.lines().filter(|l| *l == "OK").count(), end - start);
            ok[start..end].iter_mut().for_each(|b| *b = true);
            start = end;
            continue;
        }
        let failed = files[start..end]
            .iter()
            .position(|f| all.contains(&format!("failed to verify file \"{}\"", f.display())))
            .unwrap_or_else(|| panic!("xmlsec1 failed without naming a file: {all}"));
        ok[start..start + failed].iter_mut().for_each(|b| *b = true);
        start += failed + 1;
    }
    ok
}

struct Done {
    start: Instant,
    end: Instant,
    result: Result<String, String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_under_load_fails_no_login_and_switches_signatures_at_the_promote() {
    const LOGINS: usize = 2000;
    const AT_ONCE: usize = 8;
    let fx = Fixture::new();
    let cfg = fx.config("assertion", "");
    let out = certs(&fx, &["generate", "next", "--days", "60"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let old_pem = read(&signing(&fx).join("idp.crt"));
    let new_pem = read(&signing(&fx).join("next.crt"));
    let (old, new) = (der(&old_pem), der(&new_pem));
    let opts = pureconnect_idp::Options {
        backend: Some(Arc::new(QuickBackend)),
        ..Default::default()
    };
    let idp = TestIdp::start_with(cfg, opts).await;
    let md_url = idp.url("/ICNotifierIDP/metadata");
    assert_eq!(
        metadata_certs(&get(&client(), &md_url).await.body),
        [old.clone(), new.clone()]
    );

    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs(180);
    let next = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..AT_ONCE {
        let (next, finished, base) = (next.clone(), finished.clone(), idp.base.clone());
        workers.push(tokio::spawn(async move {
            let mut done = Vec::new();
            while next.fetch_add(1, Ordering::SeqCst) < LOGINS && Instant::now() < deadline {
                let start = Instant::now();
                // A new browser each time: with the last one's SSO session there would be no
                // credential form to fill in.
                let result = login(&client(), &base).await;
                done.push(Done {
                    start,
                    end: Instant::now(),
                    result,
                });
                finished.fetch_add(1, Ordering::SeqCst);
            }
            done
        }));
    }
    // The metadata, fetched over and over while the logins run: (asked, answered, certs).
    let md_task = {
        let (stop, url) = (stop.clone(), md_url.clone());
        tokio::spawn(async move {
            let c = client();
            let mut seen = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let asked = Instant::now();
                let md = get(&c, &url).await;
                seen.push((asked, Instant::now(), md.status, metadata_certs(&md.body)));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            seen
        })
    };
    // A third of the way in, the operator promotes the backup with the real command; the
    // server notices the changed folder by itself.
    while finished.load(Ordering::SeqCst) < LOGINS / 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let promote_start = Instant::now();
    let fx_dir = fx.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(["certs", "promote", "next", "--config"])
            .arg(fx_dir.join("idp.toml"))
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let promote_end = Instant::now();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut logins: Vec<Done> = Vec::new();
    for w in workers {
        logins.extend(w.await.unwrap());
    }
    let elapsed = t0.elapsed();
    stop.store(true, Ordering::SeqCst);
    let metadata = md_task.await.unwrap();
    idp.stop().await;

    // Zero failed logins, all of them done.
    let failures: Vec<&String> = logins
        .iter()
        .filter_map(|d| d.result.as_ref().err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert_eq!(
        logins.len(),
        LOGINS,
        "all logins done within the time bound"
    );

    // The metadata listed both certificates in every answer: the old one first until the
    // switch, the new one first from then on, and never back.
    assert!(metadata.len() >= 10, "{} metadata fetches", metadata.len());
    let mut switched_at = None;
    for (asked, answered, status, list) in &metadata {
        assert_eq!(*status, 200);
        assert_eq!(list.len(), 2, "exactly the two certificates");
        assert!(list.contains(&old) && list.contains(&new));
        match (switched_at, list[0] == new) {
            (None, true) => switched_at = Some((*asked, *answered)),
            (Some(_), false) => panic!("the metadata went back to the old certificate"),
            _ => {}
        }
    }
    let (_, switch_seen) = switched_at.expect("the metadata switched to the new certificate");
    assert!(switch_seen > promote_start);

    // Every Response verifies with exactly one of the two certificates (xmlsec1, each one).
    let dir = tempfile::tempdir().unwrap();
    let xmls: Vec<&String> = logins.iter().map(|d| d.result.as_ref().unwrap()).collect();
    let new_b64 = base64::engine::general_purpose::STANDARD.encode(&new);
    // Group by the certificate the Response names, then let xmlsec1 decide with the file's
    // certificate (it does not trust the one in the document).
    let names_new: Vec<bool> = xmls.iter().map(|x| x.contains(&new_b64)).collect();
    let (by_old, by_new): (Vec<usize>, Vec<usize>) = (0..xmls.len()).partition(|i| !names_new[*i]);
    let old_ok = verify_all(
        dir.path(),
        &by_old.iter().map(|&i| xmls[i]).collect::<Vec<_>>(),
        &old_pem,
    );
    let new_ok = verify_all(
        dir.path(),
        &by_new.iter().map(|&i| xmls[i]).collect::<Vec<_>>(),
        &new_pem,
    );
    let bad = old_ok
        .iter()
        .chain(new_ok.iter())
        .filter(|ok| !**ok)
        .count();
    assert_eq!(
        bad, 0,
        "{bad} Responses did not verify with the certificate they name"
    );
    // And the wrong certificate refuses them: a sample each way.
    let cross_new = verify_all(
        dir.path(),
        &by_new.iter().take(20).map(|&i| xmls[i]).collect::<Vec<_>>(),
        &old_pem,
    );
    let cross_old = verify_all(
        dir.path(),
        &by_old.iter().take(20).map(|&i| xmls[i]).collect::<Vec<_>>(),
        &new_pem,
    );
    assert!(cross_new.iter().chain(cross_old.iter()).all(|ok| !ok));

    // The split matches the switch: everything done before the promote started is old,
    // everything started after the metadata showed the switch is new, and no old signature
    // comes after a new one.
    let signed_new = |i: usize| names_new[i];
    for (i, d) in logins.iter().enumerate() {
        if d.end < promote_start {
            assert!(
                !signed_new(i),
                "login {i} ended before the promote but is new"
            );
        }
        if d.start > switch_seen {
            assert!(
                signed_new(i),
                "login {i} started after the switch but is old"
            );
        }
    }
    let first_new_end = (0..logins.len())
        .filter(|&i| signed_new(i))
        .map(|i| logins[i].end)
        .min()
        .unwrap();
    let last_old_start = (0..logins.len())
        .filter(|&i| !signed_new(i))
        .map(|i| logins[i].start)
        .max()
        .unwrap();
    assert!(
        last_old_start < first_new_end,
        "an old signature after a new one"
    );
    assert!(
        by_old.len() >= 300 && by_new.len() >= 300,
        "old {} new {}",
        by_old.len(),
        by_new.len()
    );
    println!(
        "rotation: {LOGINS} logins ({AT_ONCE} at once) in {:.1}s = {:.0}/s, 0 failed; verified by xmlsec1: {} old, {} new; \
         promote command {} ms; metadata showed the switch {} ms after the promote ended ({} fetches, both certificates in each)",
        elapsed.as_secs_f64(),
        LOGINS as f64 / elapsed.as_secs_f64(),
        by_old.len(),
        by_new.len(),
        (promote_end - promote_start).as_millis(),
        switch_seen.saturating_duration_since(promote_end).as_millis(),
        metadata.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_key_opens_with_the_right_password_and_the_wrong_one_stops_start_up() {
    let fx = Fixture::new();
    let key = signing(&fx).join("idp.key");
    std::fs::write(
        &key,
        encrypt_key(read(&key).as_bytes(), b"Right-pw-42").unwrap(),
    )
    .unwrap();
    assert!(read(&key).contains("BEGIN ENCRYPTED PRIVATE KEY"));
    std::fs::write(fx.path().join("keypw"), "Right-pw-42\n").unwrap();

    // Right password (from a file): logins are signed with that key.
    let idp = TestIdp::start(config_with_idp(&fx, "key_password_file = \"keypw\"")).await;
    let c = client();
    let form = get(&c, &request_url(&idp.base)).await;
    let done = submit(&c, &form.body, "agent1", "agent1", "login").await;
    let (_, resp, _) = autopost(&done.body).expect("a signed Response");
    let cert = read(&signing(&fx).join("idp.crt"));
    let (ok, out) = xmlsec1_verify(fx.path(), &decode_b64(&resp), &cert, ON_ASSERTION);
    assert!(ok, "{out}");
    idp.stop().await;

    // Wrong password: start-up stops, names the file, never shows either password.
    let cfg = config_with_idp(&fx, "key_password = \"Wrong-pw-17\"");
    let e = pureconnect_idp::build(cfg, Default::default())
        .await
        .err()
        .expect("start-up refused")
        .to_string();
    assert!(
        e.contains("idp.key") && e.contains("the password is wrong"),
        "{e}"
    );
    assert!(
        !e.contains("Wrong-pw-17") && !e.contains("Right-pw-42"),
        "{e}"
    );

    // The real binary with the password in IDP_KEY_PASSWORD: wrong → exit 1 and the message.
    fx.config("assertion", "");
    let out = serve_until_exit(&fx, &[("IDP_KEY_PASSWORD", "Wrong-pw-17")]);
    assert_eq!(out.status.code(), Some(1));
    let all = text(&out.stderr) + &text(&out.stdout);
    assert!(all.contains("the password is wrong"), "{all}");
    assert!(
        !all.contains("Wrong-pw-17") && !all.contains("Right-pw-42"),
        "{all}"
    );
    // Right → it serves.
    let server = Server::start(&fx, &[("IDP_KEY_PASSWORD", "Right-pw-42")]);
    assert_eq!(
        get(&client(), &format!("{}/healthz", server.base))
            .await
            .status,
        200
    );
    assert!(!server.log().contains("Right-pw-42"));
}

/// `serve` with the fixture's configuration, expected to exit (within 30 s).
fn serve_until_exit(fx: &Fixture, env: &[(&str, &str)]) -> Output {
    let mut child = serve_cmd(fx, env).spawn().unwrap();
    let t = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("the server did not stop");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn serve_cmd(fx: &Fixture, env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(BIN);
    c.args(["serve", "--http", "--listen", "127.0.0.1:0", "--config"])
        .arg(fx.path().join("idp.toml"))
        .env_remove("IDP_KEY_PASSWORD")
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// The real server as a process (for signals), its log collected; killed when dropped.
struct Server {
    child: Child,
    base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(fx: &Fixture, env: &[(&str, &str)]) -> Server {
        let mut child = serve_cmd(fx, env).spawn().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        for r in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let log = log.clone();
            std::thread::spawn(move || {
                for l in BufReader::new(r).lines().map_while(Result::ok) {
                    log.lock().unwrap().push(l);
                }
            });
        }
        let mut s = Server {
            child,
            base: String::new(),
            log,
        };
        let line = s.wait_for(&["listening on http://"]);
        let at = line.find("http://").unwrap();
        s.base = line[at..].split_whitespace().next().unwrap().to_string();
        s
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    fn lines_with(&self, all: &[&str]) -> Vec<String> {
        let log = self.log.lock().unwrap();
        log.iter()
            .filter(|l| all.iter().all(|n| l.contains(n)))
            .cloned()
            .collect()
    }

    /// Waits (at most 20 s) for a log line holding every one of `all`.
    fn wait_for(&mut self, all: &[&str]) -> String {
        let t = Instant::now();
        loop {
            if let Some(l) = self.lines_with(all).pop() {
                return l;
            }
            if let Ok(Some(st)) = self.child.try_wait() {
                panic!("the server exited ({st}):\n{}", self.log());
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "no log line with {all:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn hangup(&self) {
        let st = Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Logs agent1 in (users file, argon2) and returns the Response's XML.
async fn login_once(base: &str) -> String {
    let c = client();
    let form = get(&c, &request_url(base)).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let done = submit(&c, &form.body, "agent1", "agent1", "login").await;
    decode_b64(&autopost(&done.body).expect("a signed Response").1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_reload_keeps_serving_with_the_old_key_until_the_folder_is_fixed() {
    let fx = Fixture::new();
    fx.config("assertion", "");
    let old_pem = read(&signing(&fx).join("idp.crt"));
    let mut server = Server::start(&fx, &[]);
    // The operator makes `next` active by hand, with a key that is not its certificate's.
    let next = self_signed("next", 2048, 30, &[]).unwrap();
    let other = self_signed("other", 2048, 30, &[]).unwrap();
    std::fs::write(signing(&fx).join("next.crt"), &next.cert_pem).unwrap();
    std::fs::write(signing(&fx).join("next.key"), &other.key_pem).unwrap();
    std::fs::write(signing(&fx).join("active"), "next\n").unwrap();
    // The watcher tries and refuses; SIGHUP tries again and refuses too.
    let line = server.wait_for(&["NOT reloaded", "change in the signing folder"]);
    assert!(
        line.contains("still signing with `idp`") && line.contains("does not belong"),
        "{line}"
    );
    server.hangup();
    server.wait_for(&["NOT reloaded", "SIGHUP"]);
    // Logins go on, signed with the old key; the metadata still lists only the old one.
    let xml = login_once(&server.base).await;
    let (ok, out) = xmlsec1_verify(fx.path(), &xml, &old_pem, ON_ASSERTION);
    assert!(ok, "{out}");
    let next_pem = text(&next.cert_pem);
    assert!(!xmlsec1_verify(fx.path(), &xml, &next_pem, ON_ASSERTION).0);
    let md = get(
        &client(),
        &format!("{}/ICNotifierIDP/metadata", server.base),
    )
    .await;
    assert_eq!(metadata_certs(&md.body), [der(&old_pem)]);
    // Fixed (the right key, put in place by rename): the next reload takes it.
    let tmp = signing(&fx).join(".next.key.tmp");
    std::fs::write(&tmp, &next.key_pem).unwrap();
    std::fs::rename(&tmp, signing(&fx).join("next.key")).unwrap();
    server.wait_for(&["now signing with `next`"]);
    let xml = login_once(&server.base).await;
    assert!(xmlsec1_verify(fx.path(), &xml, &next_pem, ON_ASSERTION).0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_alone_reloads_a_change_the_watcher_cannot_see() {
    let fx = Fixture::new();
    fx.config("assertion", "");
    let mut server = Server::start(&fx, &[]);
    // A backup whose name is as long as `idp`; the watcher publishes it.
    let out = certs(&fx, &["generate", "idq"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    server.wait_for(&["signing keys reloaded", "published: idp, idq"]);
    // Rewrite `active` in place: same size, same inode, modification time put back — the
    // poll cannot tell, so only SIGHUP can make the server read it.
    let active = signing(&fx).join("active");
    let mtime = std::fs::metadata(&active).unwrap().modified().unwrap();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&active)
        .unwrap();
    std::io::Write::write_all(&mut &f, b"idq\n").unwrap();
    f.set_modified(mtime).unwrap();
    drop(f);
    std::thread::sleep(Duration::from_millis(800));
    assert!(
        server.lines_with(&["now signing with `idq`"]).is_empty(),
        "{}",
        server.log()
    );
    server.hangup();
    let line = server.wait_for(&["now signing with `idq` (was `idp`)"]);
    assert!(line.contains("SIGHUP"), "{line}");
    let xml = login_once(&server.base).await;
    let idq_pem = read(&signing(&fx).join("idq.crt"));
    assert!(xmlsec1_verify(fx.path(), &xml, &idq_pem, ON_ASSERTION).0);
}

/// Replaces the fixture's `idp` pair with one that expired yesterday.
fn expire_idp(fx: &Fixture) {
    let now = chrono::Utc::now().timestamp();
    let p = self_signed_at("expired idp", 2048, now - 40 * 86400, now - 86400, &[]).unwrap();
    std::fs::write(signing(fx).join("idp.crt"), &p.cert_pem).unwrap();
    std::fs::write(signing(fx).join("idp.key"), &p.key_pem).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_active_with_a_valid_backup_is_replaced_by_it() {
    let fx = Fixture::new();
    expire_idp(&fx);
    fx.config("assertion", "");
    let out = certs(&fx, &["generate", "backup", "--days", "90"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(read(&signing(&fx).join("active")), "idp\n");
    let cfg = fx.config("assertion", "");
    let app = pureconnect_idp::build(cfg.clone(), Default::default())
        .await
        .unwrap();
    let st = app.state.keys.status();
    assert_eq!(st.active, "backup");
    assert!(st.active_valid);
    assert_eq!(st.auto_promoted_from.as_deref(), Some("idp"));
    drop(app);
    let idp = TestIdp::start(cfg).await;
    // Only the valid certificate is published; logins are signed with it.
    let backup_pem = read(&signing(&fx).join("backup.crt"));
    let md = get(&client(), &idp.url("/ICNotifierIDP/metadata")).await;
    assert_eq!(metadata_certs(&md.body), [der(&backup_pem)]);
    let xml = login_once(&idp.base).await;
    assert!(xmlsec1_verify(fx.path(), &xml, &backup_pem, ON_ASSERTION).0);
    let expired_pem = read(&signing(&fx).join("idp.crt"));
    assert!(!xmlsec1_verify(fx.path(), &xml, &expired_pem, ON_ASSERTION).0);
    idp.stop().await;
    // The binary says so loudly, and `certs list` too.
    let mut server = Server::start(&fx, &[]);
    let line = server.wait_for(&["has EXPIRED", "signing with the backup `backup`"]);
    assert!(line.contains("WARN"), "{line}");
    let list = text(&certs(&fx, &["list"], &[]).stdout);
    assert!(list.contains("names `idp`, which has expired"), "{list}");
    assert!(list.contains("backup  active  published"), "{list}");
}

#[test]
fn an_expired_active_without_a_backup_stops_start_up() {
    let fx = Fixture::new();
    expire_idp(&fx);
    fx.config("assertion", "");
    let out = serve_until_exit(&fx, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("the active signing certificate `idp` expired on"),
        "{err}"
    );
    assert!(err.contains("no valid backup"), "{err}");
}

#[test]
fn certs_command_generates_lists_promotes_and_exports() {
    let fx = Fixture::new();
    fx.config("assertion", "");
    let dir = signing(&fx);
    let out = certs(
        &fx,
        &[
            "generate",
            "next",
            "--days",
            "90",
            "--cn",
            "sso.test SAML signing",
            "--bits",
            "3072",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("it is a backup"));
    let cert = openssl::x509::X509::from_pem(read(&dir.join("next.crt")).as_bytes()).unwrap();
    assert_eq!(cert.public_key().unwrap().bits(), 3072);
    let cn = cert
        .subject_name()
        .entries()
        .next()
        .unwrap()
        .data()
        .as_slice()
        .to_vec();
    assert_eq!(cn, b"sso.test SAML signing");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("next.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the key is owner-only");
    }
    assert_eq!(
        read(&dir.join("active")),
        "idp\n",
        "the existing pair stays active"
    );

    // --encrypt needs a password; with one, the key is encrypted PKCS#8.
    let out = certs(&fx, &["generate", "locked", "--encrypt"], &[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("IDP_KEY_PASSWORD"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.join("locked.key").exists());
    let pw = [("IDP_KEY_PASSWORD", "cli-pw")];
    let out = certs(&fx, &["generate", "locked", "--encrypt"], &pw);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(read(&dir.join("locked.key")).contains("BEGIN ENCRYPTED PRIVATE KEY"));

    // list: every field, and a server's verdict (refused without the password).
    let list = text(&certs(&fx, &["list"], &[]).stdout);
    assert!(
        list.contains("REFUSE") && list.contains("encrypted and no password"),
        "{list}"
    );
    let list = text(&certs(&fx, &["list"], &pw).stdout);
    let fp = cert
        .digest(openssl::hash::MessageDigest::sha256())
        .unwrap()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let serial = cert
        .serial_number()
        .to_bn()
        .unwrap()
        .to_hex_str()
        .unwrap()
        .to_string();
    for needle in [
        "idp  active  published",
        "next  backup  published",
        "locked  backup  published",
        "subject     CN=sso.test SAML signing",
        &format!("sha256      {fp}"),
        &format!("serial      {serial}"),
        "not after",
        "3 of at most 5 pairs",
    ] {
        assert!(list.contains(needle), "`{needle}` in:\n{list}");
    }
    // 90 days from generation: 90 when listed within the same second, 89 after.
    assert!(
        list.contains("days left   89") || list.contains("days left   90"),
        "{list}"
    );

    // promote: the active file names the new pair; the old one is a backup.
    let out = certs(&fx, &["promote", "next"], &pw);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("`idp` is a backup"));
    assert_eq!(read(&dir.join("active")), "next\n");
    let list = text(&certs(&fx, &["list"], &pw).stdout);
    assert!(
        list.contains("next  active") && list.contains("idp  backup"),
        "{list}"
    );
    let out = certs(&fx, &["promote", "nope"], &pw);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no pair `nope`"));

    // export: the certificate, exactly.
    let out = certs(&fx, &["export", "next"], &[]);
    assert!(out.status.success());
    assert_eq!(der(&text(&out.stdout)), cert.to_der().unwrap());

    // At most five pairs.
    for n in ["four", "five"] {
        assert!(certs(&fx, &["generate", n], &pw).status.success());
    }
    let out = certs(&fx, &["generate", "six"], &pw);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("already holds 5 pairs"),
        "{}",
        text(&out.stderr)
    );
    // Unusable names and sizes are refused before anything is written.
    assert!(!certs(&fx, &["generate", "../evil"], &pw).status.success());
    assert!(!certs(&fx, &["generate", "small", "--bits", "1024"], &pw)
        .status
        .success());
    let files = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(
        files,
        5 * 2 + 1,
        "five pairs and the active file, no leftovers"
    );
}
