//! The Genesys Cloud API commands — `genesys-config --push`, `certs rotate --genesys`,
//! `certs retire --genesys` — run as the real binary against a Genesys Cloud API double
//! ([`double`]) on 127.0.0.1: the happy path, interrupted runs finished by a rerun, each
//! HTTP error in plain words, no secret in any output, and a rotation under load with no
//! login failing.

mod double;
mod errors;
mod load;
mod model;
mod push;
mod rotate;

use crate::common::*;
use double::GenesysDouble;
use std::path::PathBuf;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_pureconnect-idp");
pub const PUBLIC_BASE: &str = "https://sso.example.com/PureConnect";

/// A fixture whose configuration has a public base and a `[genesys]` table aimed at the
/// double, the secret in a file beside it.
pub struct Setup {
    pub fx: Fixture,
    pub double: GenesysDouble,
}

impl Setup {
    pub async fn new() -> Setup {
        Self::with_secret(double::CLIENT_SECRET).await
    }

    pub async fn with_secret(secret: &str) -> Setup {
        let fx = Fixture::new();
        let double = GenesysDouble::start().await;
        std::fs::write(fx.path().join("genesys.secret"), format!("{secret}\n")).unwrap();
        let s = Setup { fx, double };
        s.write_config();
        s
    }

    pub fn write_config(&self) {
        self.fx.config_full(
            "auto",
            SECRET_A,
            &format!("public_base_url = \"{PUBLIC_BASE}\""),
            "assertion",
            &format!(
                "[[service_providers]]\ngenesys_region = \"eu-central-1\"\n\n{}",
                self.double.config_table("genesys.secret")
            ),
        );
    }

    /// The configuration the other integration tests serve with (no public base, so the
    /// server answers on its loopback address), and the `[genesys]` table.
    pub fn write_serving_config(&self) {
        self.fx.config_full(
            "https://idp.test",
            SECRET_A,
            "",
            "assertion",
            &self.double.config_table("genesys.secret"),
        );
    }

    pub fn config_file(&self) -> PathBuf {
        self.fx.path().join("idp.toml")
    }

    pub fn signing(&self) -> PathBuf {
        self.fx.path().join("certs/signing")
    }

    /// The certificate of a pair in the folder, as the API holds it.
    pub fn cert(&self, name: &str) -> String {
        let pem = std::fs::read_to_string(self.signing().join(format!("{name}.crt"))).unwrap();
        double::canonical(&pem).unwrap()
    }

    pub fn active(&self) -> String {
        std::fs::read_to_string(self.signing().join("active"))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "idp".into())
    }

    /// Runs the binary with `args` and `--config`, standard input `stdin`, `RUST_LOG=trace`
    /// (so that a leak into any log line would show); off the async threads.
    pub async fn run(&self, args: &[&str], stdin: &str) -> Run {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .arg("--config")
            .arg(self.config_file())
            .env("RUST_LOG", "trace")
            .env("RUST_BACKTRACE", "0")
            .env_remove("IDP_KEY_PASSWORD");
        let stdin = stdin.to_string();
        tokio::task::spawn_blocking(move || {
            use std::io::Write;
            use std::process::Stdio;
            let mut child = cmd
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut input = child.stdin.take().unwrap();
            let _ = input.write_all(stdin.as_bytes());
            drop(input);
            let out = child.wait_with_output().unwrap();
            Run {
                code: out.status.code().unwrap_or(-1),
                out: String::from_utf8_lossy(&out.stdout).into_owned(),
                err: String::from_utf8_lossy(&out.stderr).into_owned(),
            }
        })
        .await
        .unwrap()
    }

    pub async fn push(&self) -> Run {
        self.run(&["genesys-config", "--push", "--yes"], "").await
    }
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub out: String,
    pub err: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.out, self.err)
    }

    #[track_caller]
    pub fn ok(&self) -> &Run {
        assert_eq!(self.code, 0, "the command failed:\n{}", self.all());
        self
    }

    #[track_caller]
    pub fn failed(&self) -> &Run {
        assert_ne!(self.code, 0, "the command succeeded:\n{}", self.all());
        self
    }
}
