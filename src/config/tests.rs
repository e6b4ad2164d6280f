//! Tests of configuration parsing, defaults and the messages for bad files.
use super::*;
use std::path::Path;

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
fn typed_values_are_parsed_at_load_and_name_their_key() {
    let c = parse(&format!(
        "{SECRET}[server]\npublic_base_url = \"https://sso.example.com/PureConnect/\"\ntrusted_proxies = [\"10.0.0.0/8\"]\n[i18n]\ndefault_language = \"de\"\n"
    ))
    .unwrap();
    let base = c.server.public_base_url.as_ref().unwrap();
    assert_eq!(base.as_str(), "https://sso.example.com/PureConnect");
    assert!(c.server.trusted_proxies[0].contains("10.1.2.3".parse().unwrap()));
    assert_eq!(c.i18n.default_language.tag(), "de");
    assert!(c.server.allowed_hosts().allows("sso.example.com"));
    for (body, key, why) in [
        (
            "[server]\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/33\"]",
            "server.trusted_proxies[1]",
            "prefix length",
        ),
        (
            "[server]\npublic_base_url = \"ftp://x\"",
            "server.public_base_url",
            "http or https",
        ),
        (
            "[server]\npublic_base_url = \"https://a.example\"\nalternate_public_base_urls = [\"https://b.example/?q\"]",
            "server.alternate_public_base_urls[0]",
            "query",
        ),
        (
            "[server]\nallowed_hosts = [\"a b\"]",
            "server.allowed_hosts[0]",
            "not a host name",
        ),
        (
            "[i18n]\ndefault_language = \"xx\"",
            "i18n.default_language",
            "supported languages",
        ),
    ] {
        let e = parse(&format!("{SECRET}{body}\n")).unwrap_err().to_string();
        assert!(
            e.contains(&format!("key `{key}`")) && e.contains(why),
            "{body}: {e}"
        );
    }
    let e = parse("[session]\nsecret = \"c2hvcnQ=\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("key `session.secret`") && e.contains("32 bytes"),
        "{e}"
    );
    assert!(
        !e.contains("c2hvcnQ"),
        "the secret itself is not repeated: {e}"
    );
}

#[test]
fn a_syntax_error_on_the_secret_line_does_not_print_the_secret() {
    let e = parse("[session]\nsecret = \"SUPERSECRETVALUE1234\n[idp]\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("test.toml") && e.contains("line 2"), "{e}");
    assert!(!e.contains("SUPERSECRET"), "{e}");
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

#[test]
fn icws_backend_defaults_and_paths() {
    let c = parse(&format!(
        "{SECRET}[backend]\ntype = \"icws\"\nservers = [\"cic1\", \"cic2:8020\"]\nca_file = \"cic-ca.pem\"\n"
    ))
    .unwrap();
    let BackendConfig::Icws(i) = &c.backend else {
        panic!("{:?}", c.backend)
    };
    assert_eq!(i.scheme, IcwsScheme::Https);
    assert_eq!(i.ca_file.as_deref(), Some(Path::new("/etc/idp/cic-ca.pem")));
    assert_eq!(i.email_property, DEFAULT_EMAIL_PROPERTY);
    assert_eq!(i.connect_timeout, Duration::from_secs(5));
    assert_eq!(i.request_timeout, Duration::from_secs(15));
    assert!(!i.insecure() && i.warnings().is_empty());
    let c = parse(&format!(
        "{SECRET}[backend]\ntype = \"icws\"\nservers = [\"cic1\"]\ndanger_accept_invalid_certs = true\nrequest_timeout = \"1m\"\n"
    ))
    .unwrap();
    let BackendConfig::Icws(i) = &c.backend else {
        panic!()
    };
    assert!(i.insecure());
    assert!(i.warnings()[0].contains("danger_accept_invalid_certs"));
    assert_eq!(i.request_timeout, Duration::from_secs(60));
}

#[test]
fn icws_backend_bad_values_name_the_key() {
    for (body, key) in [
        ("servers = []", "backend.servers"),
        (
            "servers = [\"cic1\", \"https://cic2\"]",
            "backend.servers[1]",
        ),
        ("servers = [\"cic1:0\"]", "backend.servers[0]"),
        (
            "servers = [\"cic1\"]\nscheme = \"ftp\"",
            "unknown variant `ftp`",
        ),
        (
            "servers = [\"cic1\"]\nrequest_timeout = 0",
            "backend.request_timeout",
        ),
        (
            "servers = [\"cic1\"]\nconnect_timeout = \"soon\"",
            "`soon` is not a duration",
        ),
        (
            "servers = [\"cic1\"]\nemail_property = \"a..b\"",
            "backend.email_property",
        ),
        ("servers = [\"cic1\"]\nservers_typo = 1", "servers_typo"),
        (
            "servers = [\"cic1\"]\nusers_file = \"u.toml\"",
            "users_file",
        ),
        ("", "servers"),
    ] {
        let e = parse(&format!("{SECRET}[backend]\ntype = \"icws\"\n{body}\n")).unwrap_err();
        assert!(e.to_string().contains(key), "{body}: {e}");
    }
}

#[test]
fn a_config_printed_with_debug_does_not_show_the_redis_password() {
    let c = parse(&format!(
        "{SECRET}[store]\ntype = \"redis\"\nurl = \"redis://idp:Hunter2Redis@r.example.com:6379/0\"\n"
    ))
    .unwrap();
    let shown = format!("{c:?}");
    assert!(!shown.contains("Hunter2Redis"), "{shown}");
    assert!(
        shown.contains("redis://idp:***@r.example.com:6379/0"),
        "{shown}"
    );
}

#[test]
fn store_and_ldap_values_are_typed_at_load_and_name_their_key_and_line() {
    let ldap =
        "[windows]\nrealms = [\"EX.COM\"]\n[windows.ldap]\nbase_dn = \"dc=x\"\ndomain = \"EX\"\n\
                bind_dn = \"cn=svc\"\nbind_password_file = \"pw\"\n";
    for (body, key, line, why) in [
        (
            "[store]\ntype = \"redis\"\nurl = \"http://u:Hunter2Redis@r.example.com\"".to_string(),
            "store.url",
            5,
            "redis:// or rediss://",
        ),
        (
            "[store]\ntype = \"redis\"\nsentinel_master = \"m\"\nsentinels = [\"10.0.0.5:26379\", \"10.0.0.6\"]".into(),
            "store.sentinels[1]",
            6,
            "not host:port",
        ),
        (
            format!("{ldap}urls = [\"ldaps://dc1\", \"http://dc2\"]"),
            "windows.ldap.urls[1]",
            10,
            "not ldap or ldaps",
        ),
    ] {
        let e = parse(&format!("{SECRET}{body}\n")).unwrap_err().to_string();
        assert!(
            e.contains(&format!("key `{key}`"))
                && e.contains(&format!("line {line}"))
                && e.contains(why),
            "{body}: {e}"
        );
        assert!(!e.contains("Hunter2Redis"), "{e}");
    }
    let c = parse(&format!(
        "{SECRET}[store]\ntype = \"redis\"\nsentinel_master = \"m\"\nsentinels = [\"[::1]:26379\"]\nurl = \"rediss://:pw@unused/3\"\n"
    ))
    .unwrap();
    let s = &c.store.sentinels[0];
    assert_eq!((s.host(), s.port()), ("::1", 26379));
    let url = c.store.url.as_ref().unwrap();
    assert!(url.is_tls() && url.db() == Some(3));
}
