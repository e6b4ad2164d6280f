//! The Debian package (`make deb`, cargo-deb), built around the binary `cargo test` already
//! built, so it costs seconds, not a release build: lintian finds no error; unpacked with
//! `dpkg-deb -x` it holds the binary, the unit, the example configuration as a conffile, the
//! certs folder and the docs; the packaged binary, with a session secret and a signing pair
//! generated into the unpacked tree and the packaged example configuration pointed at the ICWS
//! double, serves and passes `selftest`; `systemd-analyze verify` accepts the unit.
//!
//! Ignored by default (it needs cargo-deb and lintian); `make test` installs both and runs it.

use crate::icws_double::{pki::private_ca, IcwsDouble};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Instant;

const CONF: &str = "etc/pureconnect-idp";

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Builds the package from the test binary: cargo-deb reads `target/release/` under the
/// target dir it is given, so the binary is copied there.
fn build_package(tmp: &Path) -> PathBuf {
    let release = tmp.join("target/release");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_pureconnect-idp"),
        release.join("pureconnect-idp"),
    )
    .unwrap();
    let deb = tmp.join("pureconnect-idp.deb");
    run(Command::new(env!("CARGO"))
        .args(["deb", "--no-build", "--strip", "--fast", "--output"])
        .arg(&deb)
        .env("CARGO_TARGET_DIR", tmp.join("target"))
        .current_dir(env!("CARGO_MANIFEST_DIR")));
    deb
}

fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "the example has `{from}` once"
    );
    text.replace(from, to)
}

fn free_port() -> u16 {
    crate::proxy::free_port()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs cargo-deb and lintian: make test installs them and runs it"]
async fn the_package_is_lintian_clean_and_its_unpacked_tree_passes_selftest() {
    let tmp = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let deb = build_package(tmp.path());
    eprintln!("package built in {:?}", started.elapsed());

    let l = Command::new("lintian")
        .args(["--fail-on", "error", "--no-tag-display-limit"])
        .arg(&deb)
        .output()
        .expect("lintian is installed (make test installs it)");
    let report = text(&l.stdout);
    assert!(l.status.success(), "lintian:\n{report}{}", text(&l.stderr));
    assert!(!report.lines().any(|l| l.starts_with("E:")), "{report}");

    let root = tmp.path().join("root");
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root));
    let ctrl = tmp.path().join("control");
    run(Command::new("dpkg-deb").arg("-e").arg(&deb).arg(&ctrl));
    let conffiles = std::fs::read_to_string(ctrl.join("conffiles")).unwrap();
    assert!(
        conffiles
            .lines()
            .any(|l| l == "/etc/pureconnect-idp/idp.toml"),
        "{conffiles}"
    );
    let postinst = std::fs::read_to_string(ctrl.join("postinst")).unwrap();
    assert!(postinst.contains("adduser --system"), "{postinst}");
    // An upgrade keeps what exists: the secret is made only when missing.
    assert!(
        postinst.contains("if [ ! -e \"$CONF/session.secret\" ]"),
        "{postinst}"
    );
    let bin = root.join("usr/bin/pureconnect-idp");
    let unit = root.join("usr/lib/systemd/system/pureconnect-idp.service");
    for p in [
        bin.clone(),
        unit.clone(),
        root.join(CONF).join("certs/README.md"),
        root.join("usr/share/doc/pureconnect-idp/README.md"),
        root.join("usr/share/doc/pureconnect-idp/docs/deployment.md"),
        root.join("usr/share/doc/pureconnect-idp/nginx-example.conf"),
        root.join("usr/share/doc/pureconnect-idp/prometheus/alerts.yml"),
    ] {
        assert!(p.exists(), "{} is not in the package", p.display());
    }
    let packaged_unit = std::fs::read_to_string(&unit).unwrap();
    let ours = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/pureconnect-idp.service"),
    )
    .unwrap();
    assert_eq!(packaged_unit, ours);

    // What postinst and the administrator do: a session secret, a signing pair, the CA.
    let conf = root.join(CONF);
    let secret = run(Command::new("sh").args(["-c", "head -c 32 /dev/urandom | base64"]));
    std::fs::write(conf.join("session.secret"), &secret.stdout).unwrap();
    let config = conf.join("idp.toml");
    run(Command::new(&bin)
        .args(["certs", "generate", "idp1", "--config"])
        .arg(&config));
    let pki = private_ca();
    std::fs::write(conf.join("certs/cic-ca.pem"), &pki.ca_pem).unwrap();
    let cic = IcwsDouble::start_tls(&pki.cert_pem, &pki.key_pem).await;

    // The packaged example, pointed at this machine: the CIC servers, the public base, a free
    // ops port, and the demo SP on for selftest.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let example = std::fs::read_to_string(&config).unwrap();
    let mut edited = replace_once(
        &example,
        "servers = [\"cic1.example.com\", \"cic2.example.com\"]",
        &format!("servers = [\"{}\"]", cic.server()),
    );
    edited = replace_once(
        &edited,
        "public_base_url = \"https://sso.example.com/PureConnect\"",
        &format!("public_base_url = \"{base}\""),
    );
    edited = replace_once(
        &edited,
        "ops_listen = \"127.0.0.1:9090\"",
        &format!("ops_listen = \"127.0.0.1:{}\"", free_port()),
    );
    edited = replace_once(&edited, "[demo]\nsp = false", "[demo]\nsp = true");
    std::fs::write(&config, edited).unwrap();

    let _server = Server(
        Command::new(&bin)
            .args([
                "serve",
                "--http",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--config",
            ])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    crate::proxy::wait_for(&format!("{base}/ICNotifierIDP/metadata")).await;
    let out = tokio::task::spawn_blocking(move || {
        Command::new(&bin)
            .args(["selftest", "--url", &base, "--user", "agent1"])
            .args(["--expect-email", "agent1@example.com"])
            .env("SELFTEST_PASSWORD", "agent1-pw")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let said = text(&out.stdout);
    assert!(
        out.status.success() && said.contains("selftest passed"),
        "{said}{}",
        text(&out.stderr)
    );

    // systemd-analyze verify, where it is there: the unit as packaged, only its binary path
    // pointed into the unpacked tree (verify insists that the binary exists).
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok()
    {
        let dir = tmp.path().join("unit");
        std::fs::create_dir_all(&dir).unwrap();
        let copy = dir.join("pureconnect-idp.service");
        let unpacked = root.join("usr/bin/pureconnect-idp");
        std::fs::write(
            &copy,
            replace_once(
                &packaged_unit,
                "ExecStart=/usr/bin/pureconnect-idp",
                &format!("ExecStart={}", unpacked.display()),
            ),
        )
        .unwrap();
        let v = Command::new("systemd-analyze")
            .arg("verify")
            .arg(&copy)
            .output()
            .unwrap();
        let said = format!("{}{}", text(&v.stdout), text(&v.stderr));
        // verify warns about a bad setting without failing: any line about the unit fails here.
        assert!(
            v.status.success() && !said.contains("pureconnect-idp.service"),
            "{said}"
        );
    }
    eprintln!("package test done in {:?}", started.elapsed());
}
