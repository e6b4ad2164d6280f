//! Tests of configuration parsing, defaults and the messages for bad files.
use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(text, "test.toml", Path::new("/etc/idp"))
}

const SECRET: &str = "[session]\nsecret = \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\n";

#[test]
fn defaults_and_relative_paths() {
    let c = parse(SECRET).unwrap();
    assert_eq!(c.server.listen, "127.0.0.1:8043");
    assert_eq!(c.idp.certs_dir, Path::new("/etc/idp/certs"));
    assert_eq!(c.session.login_timeout, Duration::from_secs(600));
}

#[test]
fn unknown_key_names_the_key_and_file() {
    let e = parse(&format!("{SECRET}[idp]\nentity_idd = \"x\"\n")).unwrap_err();
    let m = e.to_string();
    assert!(m.contains("test.toml") && m.contains("entity_idd"), "{m}");
}

#[test]
fn bad_values_name_the_key() {
    let e = parse(&format!("{SECRET}[server]\nlisten = \"nope\"\n")).unwrap_err();
    assert!(e.to_string().contains("server.listen"), "{e}");
    let e = parse("[session]\nsecret = \"c2hvcnQ=\"\n").unwrap_err();
    assert!(e.to_string().contains("session.secret"), "{e}");
    let e = parse("").unwrap_err();
    assert!(e.to_string().contains("session.secret"), "{e}");
    let e = parse(&format!(
        "{SECRET}[[service_providers]]\nentity_id = \"x\"\nacs_urls = [\"ftp://x\"]\n"
    ))
    .unwrap_err();
    assert!(
        e.to_string().contains("service_providers[0].acs_urls[0]"),
        "{e}"
    );
    let e = parse(&format!("{SECRET}[saml]\nclock_skew = \"5 parsecs\"\n")).unwrap_err();
    assert!(e.to_string().contains("clock_skew"), "{e}");
}

#[test]
fn durations() {
    assert_eq!(parse_duration("8h").unwrap(), Duration::from_secs(28800));
    assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
    assert!(parse_duration("m").is_err());
    assert!(parse_duration("3 weeks").is_err());
}

#[test]
fn key_password_settings() {
    let c = parse(SECRET).unwrap();
    assert_eq!(c.idp.cert_warn_days, 30);
    assert!(c.idp.key_password.is_none() && c.idp.key_password_file.is_none());
    let c = parse(&format!(
        "{SECRET}[idp]\nkey_password_file = \"keypw\"\ncert_warn_days = 45\n"
    ))
    .unwrap();
    assert_eq!(
        c.idp.key_password_file.as_deref(),
        Some(Path::new("/etc/idp/keypw"))
    );
    assert_eq!(c.idp.cert_warn_days, 45);
    let e = parse(&format!(
        "{SECRET}[idp]\nkey_password = \"hunter2\"\nkey_password_file = \"keypw\"\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("idp.key_password") && e.contains("not both"),
        "{e}"
    );
    assert!(!e.contains("hunter2"), "{e}");
}
