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
