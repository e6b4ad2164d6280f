//! A real MIT Kerberos KDC for one realm, on loopback, in a temporary folder: its own
//! `krb5.conf` and `kdc.conf`, its database made by `kdb5_util`, principals and keytabs by
//! `kadmin.local`, tickets by `kinit` into a credential cache of the folder. Every command
//! gets `KRB5_CONFIG`/`KRB5_KDC_PROFILE` (and `KRB5CCNAME`) of this realm only, so the
//! machine's own Kerberos configuration is never read and nothing leaves the machine.
//! The KDC is stopped when the fixture is dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

pub struct Kdc {
    pub realm: String,
    dir: TempDir,
    child: Option<Child>,
}

/// A loopback port free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Kdc {
    /// Creates the realm (upper case, e.g. `EXAMPLE.COM`) and starts its KDC; `max_life` is
    /// the longest ticket it issues.
    pub fn start(realm: &str) -> Kdc {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        let port = free_port();
        std::fs::write(
            dir.path().join("krb5.conf"),
            format!(
                "[libdefaults]\n default_realm = {realm}\n dns_lookup_kdc = false\n dns_lookup_realm = false\n\
                 dns_canonicalize_hostname = false\n rdns = false\n udp_preference_limit = 1\n\
                 [realms]\n {realm} = {{\n  kdc = 127.0.0.1:{port}\n }}\n\
                 [domain_realm]\n localhost = {realm}\n 127.0.0.1 = {realm}\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("kdc.conf"),
            format!(
                "[kdcdefaults]\n kdc_listen = 127.0.0.1:{port}\n kdc_tcp_listen = 127.0.0.1:{port}\n\
                 [realms]\n {realm} = {{\n  database_name = {d}/principal\n  key_stash_file = {d}/stash\n\
                 acl_file = {d}/kadm5.acl\n  max_life = 1h\n }}\n\
                 [logging]\n kdc = FILE:{d}/kdc.log\n"
            ),
        )
        .unwrap();
        let mut kdc = Kdc {
            realm: realm.to_string(),
            child: None,
            dir,
        };
        run(kdc
            .cmd("kdb5_util")
            .args(["create", "-s", "-r", realm, "-P", "master-pw-for-tests"]));
        kdc.child = Some(
            kdc.cmd("krb5kdc")
                .args(["-n", "-r", realm])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("krb5kdc (Debian package krb5-kdc) runs"),
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the KDC did not start listening");
            std::thread::sleep(Duration::from_millis(50));
        }
        kdc
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The realm's `krb5.conf`, for clients.
    pub fn krb5_conf(&self) -> PathBuf {
        self.path().join("krb5.conf")
    }

    /// A command with this realm's configuration (and nothing of the machine's).
    pub fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("KRB5_CONFIG", self.krb5_conf())
            .env("KRB5_KDC_PROFILE", self.path().join("kdc.conf"))
            .env(
                "KRB5CCNAME",
                format!("FILE:{}/default.cc", self.path().display()),
            )
            .env_remove("KRB5_KTNAME")
            .env_remove("KRB5_CLIENT_KTNAME");
        c
    }

    fn kadmin(&self, query: &str) -> String {
        run(self
            .cmd("kadmin.local")
            .args(["-r", &self.realm, "-q", query]))
    }

    /// A user principal `name@REALM` with `password`.
    pub fn add_user(&self, name: &str, password: &str) {
        self.kadmin(&format!("addprinc -pw {password} {name}"));
    }

    /// A service principal with a random key, its keys appended to `keytab`.
    pub fn add_service(&self, principal: &str, keytab: &Path) {
        self.kadmin(&format!("addprinc -randkey {principal}"));
        self.kadmin(&format!("ktadd -k {} {principal}", keytab.display()));
    }

    /// `kinit` for `user` into a credential cache of its own; returns its `KRB5CCNAME`.
    pub fn kinit(&self, user: &str, password: &str, extra: &[&str]) -> String {
        use std::io::Write;
        let cc = format!("FILE:{}/{user}.cc", self.path().display());
        let mut child = self
            .cmd("kinit")
            .env("KRB5CCNAME", &cc)
            .args(extra)
            .arg(format!("{user}@{}", self.realm))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kinit (Debian package krb5-user) runs");
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "kinit {user}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        cc
    }
}

impl Drop for Kdc {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
