//! A real OpenLDAP `slapd` on loopback, in a temporary folder, standing in for Active
//! Directory: a test CA and a server certificate for 127.0.0.1 made with the `openssl` tool,
//! StartTLS offered with them, an `mdb` database under `dc=example,dc=com` with
//! `uid`-based people (the lookup filter is configurable, so AD's `sAMAccountName` is not
//! needed), and ACLs that let only the service account search. Stopped when dropped.

use super::kdc::free_port;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

pub const BASE_DN: &str = "dc=example,dc=com";
pub const SERVICE_DN: &str = "cn=svc,dc=example,dc=com";
pub const SERVICE_PW: &str = "svc-directory-pw";

pub struct Slapd {
    pub port: u16,
    dir: TempDir,
    child: Option<Child>,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA (`ca.pem`) and a certificate for 127.0.0.1 and localhost it signed
/// (`server.pem`, `server.key`), in `dir`; `name` prefixes the files.
pub fn make_ca(dir: &Path, name: &str) {
    let f = |s: &str| format!("{name}{s}");
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name} test CA"),
            "-keyout",
            &f("ca.key"),
            "-out",
            &f("ca.pem"),
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            &f("server.key"),
            "-out",
            &f("server.csr"),
        ],
    );
    std::fs::write(
        dir.join(f("san.ext")),
        "subjectAltName = IP:127.0.0.1, DNS:localhost\nextendedKeyUsage = serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &f("server.csr"),
            "-CA",
            &f("ca.pem"),
            "-CAkey",
            &f("ca.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &f("san.ext"),
            "-out",
            &f("server.pem"),
        ],
    );
}

impl Slapd {
    /// Starts slapd with the people of `ldif` (entries under `ou=people,dc=example,dc=com`).
    pub fn start(people_ldif: &str) -> Slapd {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        make_ca(dir.path(), "");
        std::fs::create_dir_all(dir.path().join("db")).unwrap();
        let port = free_port();
        std::fs::write(
            dir.path().join("slapd.conf"),
            format!(
                "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\n\
                 include /etc/ldap/schema/inetorgperson.schema\n\
                 modulepath /usr/lib/ldap\nmoduleload back_mdb\npidfile {d}/slapd.pid\n\
                 TLSCACertificateFile {d}/ca.pem\nTLSCertificateFile {d}/server.pem\n\
                 TLSCertificateKeyFile {d}/server.key\n\
                 database mdb\nmaxsize 10485760\nsuffix \"{BASE_DN}\"\nrootdn \"cn=admin,{BASE_DN}\"\n\
                 rootpw admin-pw\ndirectory {d}/db\n\
                 access to attrs=userPassword by anonymous auth by * none\n\
                 access to * by dn.exact=\"{SERVICE_DN}\" read by self read by * none\n"
            ),
        )
        .unwrap();
        let child = Command::new("slapd")
            .args(["-d", "0", "-f"])
            .arg(dir.path().join("slapd.conf"))
            .args(["-h", &format!("ldap://127.0.0.1:{port}/")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("slapd (Debian package slapd) runs");
        let mut s = Slapd {
            port,
            dir,
            child: Some(child),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "slapd did not start listening");
            std::thread::sleep(Duration::from_millis(50));
        }
        s.add(&format!(
            "dn: {BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n\
             dn: {SERVICE_DN}\nobjectClass: person\ncn: svc\nsn: service\nuserPassword: {SERVICE_PW}\n\n\
             dn: ou=people,{BASE_DN}\nobjectClass: organizationalUnit\nou: people\n\n{people_ldif}"
        ));
        s
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `ldap://127.0.0.1:<port>` (StartTLS is the client's choice).
    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    pub fn ca(&self) -> PathBuf {
        self.path().join("ca.pem")
    }

    /// The `[windows.ldap]` keys for this directory: StartTLS against its CA, users found by
    /// `uid` in domain `EXAMPLE`, the service account's password read from `password_file`.
    pub fn ldap_keys(&self, password_file: &str) -> String {
        format!(
            "urls = [\"{}\"]\nbase_dn = \"{BASE_DN}\"\nuser_filter = \"(uid={{user}})\"\n\
             domain = \"EXAMPLE\"\nbind_dn = \"{SERVICE_DN}\"\nbind_password_file = {password_file:?}\n\
             ca_file = {:?}\n",
            self.url(),
            self.ca().display().to_string()
        )
    }

    /// Adds entries as the directory's root, over StartTLS (`ldapadd -ZZ`).
    pub fn add(&mut self, ldif: &str) {
        use std::io::Write;
        let mut child = Command::new("ldapadd")
            .env("LDAPTLS_CACERT", self.ca())
            .args([
                "-ZZ",
                "-x",
                "-H",
                &self.url(),
                "-D",
                &format!("cn=admin,{BASE_DN}"),
                "-w",
                "admin-pw",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ldapadd (Debian package ldap-utils) runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(ldif.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "ldapadd: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Stops the server (a directory that is down).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One person: `uid`, password, and optionally `mail`.
pub fn person(uid: &str, password: &str, mail: Option<&str>) -> String {
    let mail = mail.map(|m| format!("mail: {m}\n")).unwrap_or_default();
    format!(
        "dn: uid={uid},ou=people,{BASE_DN}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid}\nsn: {uid}\n\
         userPassword: {password}\n{mail}\n"
    )
}
