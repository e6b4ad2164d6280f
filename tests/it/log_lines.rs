//! Log lines cannot be forged: values from requests carrying CR, LF, ESC and NUL (the `sp`
//! parameter, the user ID, RelayState, an AuthnRequest's Issuer) reach the real binary's
//! standard output escaped, in the text format as in the JSON one.

use crate::common::*;
use serde_json::Value;
use std::time::Duration;

/// What an attacker puts in a value: terminal control (clear the screen, set the title) and a
/// NUL, the end of the line, then a whole audit line of their own dated 1999 (so it is told
/// from the server's). The audit module keeps 64 characters of a user ID: all but the tail.
const FORGED: &str = "\u{1b}[2J\u{1b}]0;x\u{7}\0\r\n1999-12-31T23:59:59Z  INFO audit: login result=\"ok\" user=admin\nend";

/// The same, as XML can carry it in an Issuer (no ESC or NUL in XML 1.0; `&#13;` is a CR).
const FORGED_XML: &str =
    "urn:evil&#13;\n1999-12-31T23:59:59Z  INFO audit: login result=\"ok\" user=admin";

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn authn_request_url(base: &str, issuer: &str) -> String {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let xml = format!("<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_r\" Version=\"2.0\" IssueInstant=\"{now}\"><saml:Issuer>{issuer}</saml:Issuer></samlp:AuthnRequest>");
    format!(
        "{base}/ICNotifierIDP/login?loginType=saml&RelayState=r&SAMLRequest={}",
        enc(&pureconnect_idp::saml::binding::encode_redirect(&xml))
    )
}

/// Sends every forged value once; returns the lines the server wrote.
async fn attack(server: &Proc) -> Vec<String> {
    let c = client();
    // The `sp` parameter of an IdP-initiated login (refused, and logged as refused).
    let p = get(
        &c,
        &format!(
            "{}/ICNotifierIDP/login?loginType=saml&sp={}&RelayState=r",
            server.base,
            enc(FORGED),
        ),
    )
    .await;
    assert_eq!(p.status, 400, "{}", p.body);
    // An AuthnRequest from an Issuer no SP has.
    let p = get(&c, &authn_request_url(&server.base, FORGED_XML)).await;
    assert_eq!(p.status, 400, "{}", p.body);
    // A genuine request whose RelayState is forged: refused (control characters), and the
    // refusal logged escaped.
    let url = request_url(&server.base)
        .replace("RelayState=keep-me", &format!("RelayState={}", enc(FORGED)));
    assert_eq!(get(&c, &url).await.status, 400);
    // Then the user ID on a genuine form.
    let form = get(&c, &request_url(&server.base)).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let p = submit(&c, &form.body, FORGED, "wrong", "login").await;
    assert_eq!(p.status, 200, "{}", p.body);
    // The writer thread collects what the server printed.
    for _ in 0..50 {
        let n = server
            .lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("audit"))
            .count();
        if n > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(200));
    server.lines.lock().unwrap().clone()
}

/// A line the server began: its own timestamp (this year's, not the attacker's 1999).
fn server_line(l: &str) -> bool {
    let b = l.as_bytes();
    b.len() > 20
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[10] == b'T'
        && !l.starts_with("1999-")
}

#[tokio::test(flavor = "multi_thread")]
async fn text_log_lines_cannot_be_forged_from_request_values() {
    let fx = Fixture::new();
    let server = spawn_server(&fx, &["--log-format", "text"]);
    let lines = attack(&server).await;
    let text = lines.join("\n");
    for l in &lines {
        assert!(
            server_line(l),
            "a line the server did not begin: {l:?}\n--- whole log:\n{text}"
        );
        assert!(
            !l.contains(['\r', '\u{1b}', '\0', '\u{7}']),
            "a raw control character: {l:?}"
        );
    }
    // The values did reach the log, escaped, each on the server's own line.
    let escaped =
        "\\u{1b}[2J\\u{1b}]0;x\\u{7}\\0\\r\\n1999-12-31T23:59:59Z  INFO audit: login result=";
    for (what, l) in [
        ("sp parameter", "refused an IdP-initiated login"),
        ("user ID", "result=\"bad_credentials\""),
    ] {
        let line = lines
            .iter()
            .find(|x| x.contains(l))
            .unwrap_or_else(|| panic!("no line for the {what}:\n{text}"));
        assert!(line.contains(escaped), "the {what}: {line}");
    }
    let issuer = lines
        .iter()
        .find(|x| x.contains("refused an AuthnRequest"))
        .unwrap_or_else(|| panic!("no line for the Issuer:\n{text}"));
    assert!(issuer.contains("urn:evil\\r\\n1999-12-31T"), "{issuer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn json_log_lines_stay_one_valid_object_each_with_the_values_intact() {
    let fx = Fixture::new();
    let server = spawn_server(&fx, &["--log-format", "json"]);
    let lines = attack(&server).await;
    let events: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:?}")))
        .collect();
    assert!(lines.iter().all(|l| !l.contains(['\r', '\u{1b}', '\0'])));
    let audit = events
        .iter()
        .find(|e| e["target"] == "audit" && e["result"] == "bad_credentials")
        .expect("the failed login's audit event");
    // Cut to 64 characters by the audit module, otherwise exactly what was sent.
    let sent: String = FORGED.chars().take(64).collect();
    assert_eq!(audit["user"], Value::String(sent));
    let sp = events
        .iter()
        .find(|e| e["message"] == "refused an IdP-initiated login")
        .expect("the refused IdP-initiated login");
    assert_eq!(sp["sp"], FORGED);
}

/// The XML-signature check's own error reports: libxmlsec printed them raw to standard error,
/// with the text of a failing `Transform Algorithm` in them, so a POSTed request for an SP with
/// a certificate wrote whole lines of the attacker's choosing there, signed or not.
#[tokio::test(flavor = "multi_thread")]
async fn the_signature_checks_own_error_reports_cannot_forge_a_line() {
    let fx = Fixture::new();
    let pair = pureconnect_idp::keys::generate::self_signed("sp2", 2048, 30, &[]).unwrap();
    let cert = fx.path().join("sp2.crt");
    std::fs::write(&cert, &pair.cert_pem).unwrap();
    let sp2 = format!(
        "[[service_providers]]\nentity_id = \"urn:test:sp2\"\nacs_urls = [\"https://sp2.test/acs\"]\ncertificate_file = \"{}\"\n",
        cert.display()
    );
    for format in ["text", "json"] {
        let server = spawn_server_with(&fx, &sp2, &["--log-format", format]);
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let forged = "1999-12-31T23:59:59Z  INFO audit: login result=&quot;ok&quot; user=admin";
        let xml = format!(
            "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_x\" Version=\"2.0\" IssueInstant=\"{now}\" Destination=\"{}/ICNotifierIDP/login?loginType=saml\"><saml:Issuer>urn:test:sp2</saml:Issuer>\
             <ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>\
             <ds:Reference URI=\"#_x\"><ds:Transforms><ds:Transform Algorithm=\"x&#10;{forged}&#10;\"/></ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo>\
             <ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature></samlp:AuthnRequest>",
            server.base
        );
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &xml);
        let p = post(
            &client(),
            &format!("{}/ICNotifierIDP/login?loginType=saml", server.base),
            &[("SAMLRequest", &b64)],
        )
        .await;
        assert_eq!(p.status, 400, "{}", p.body);
        // The refusal is logged; wait for it, then look at both streams.
        let mut seen = false;
        for _ in 0..50 {
            seen = server
                .lines
                .lock()
                .unwrap()
                .iter()
                .any(|l| l.contains("refused an AuthnRequest"));
            if seen {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(seen, "{format}: the refusal was logged");
        let all: Vec<String> = server
            .lines
            .lock()
            .unwrap()
            .iter()
            .chain(server.errors.lock().unwrap().iter())
            .cloned()
            .collect();
        for l in &all {
            assert!(
                !l.trim_start().starts_with("1999-12-31T23:59:59Z") && !l.contains("func=xmlSec"),
                "{format}: a line the client wrote, or a raw libxmlsec report: {l:?}"
            );
        }
    }
}
