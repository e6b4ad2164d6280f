//! The bad-input table: one row per hostile or broken request, each with the status and page it
//! must get, no panic (the server answers after every row) and, for the deflate bombs, the
//! memory of a separate server process measured from /proc before and after.

use crate::common::*;
use base64::Engine;
use pureconnect_idp::selftest::input_value;
use std::io::Write;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn authn(issuer: &str, extra: &str, instant: chrono::DateTime<chrono::Utc>) -> String {
    let now = instant.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    format!(
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_bad\" Version=\"2.0\" IssueInstant=\"{now}\"{extra}><saml:Issuer>{issuer}</saml:Issuer></samlp:AuthnRequest>"
    )
}

fn ok_xml() -> String {
    authn(SP_ID, "", chrono::Utc::now())
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// `n` MiB of zeros, deflated, written a MiB at a time.
fn zeros_deflated(n: usize) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..n {
        e.write_all(&chunk).unwrap();
    }
    e.finish().unwrap()
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn redirect(base: &str, saml_request_b64: &str, relay: Option<&str>) -> String {
    let mut u = format!(
        "{base}/ICNotifierIDP/login?loginType=saml&SAMLRequest={}",
        enc(saml_request_b64)
    );
    if let Some(r) = relay {
        u.push_str("&RelayState=");
        u.push_str(&enc(r));
    }
    u
}

const BILLION_LAUGHS: &str = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\"><!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\"><!ENTITY lol9 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">]>";
const XXE: &str = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>";

enum Send {
    Get(String),
    Post(String, Vec<(String, String)>),
}

struct Row {
    name: &'static str,
    send: Send,
    status: u16,
    /// Text the page must contain (a message or a detail).
    says: &'static str,
}

fn row(name: &'static str, send: Send, status: u16, says: &'static str) -> Row {
    Row {
        name,
        send,
        status,
        says,
    }
}

async fn run(c: &reqwest::Client, r: &Row) -> Page {
    match &r.send {
        Send::Get(u) => get(c, u).await,
        Send::Post(u, f) => {
            let refs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            post(c, u, &refs).await
        }
    }
}

fn post_req(base: &str, b64: String) -> Send {
    Send::Post(
        format!("{base}/ICNotifierIDP/login?loginType=saml"),
        vec![("SAMLRequest".into(), b64)],
    )
}

/// The requests that need no prior step.
fn table(base: &str) -> Vec<Row> {
    let now = chrono::Utc::now();
    let hour = chrono::Duration::hours(1);
    let r = |xml: &str| redirect(base, &B64.encode(deflate(xml.as_bytes())), None);
    vec![
        row(
            "malformed base64",
            Send::Get(redirect(base, "%%%not*base64", None)),
            400,
            "not valid base64",
        ),
        row(
            "base64 of garbage",
            Send::Get(redirect(
                base,
                &B64.encode([0xde, 0xad, 0xbe, 0xef, 0x00, 0x13]),
                None,
            )),
            400,
            "neither XML nor DEFLATE",
        ),
        row(
            "DOCTYPE with entity expansion",
            Send::Get(r(&format!("{BILLION_LAUGHS}{}", ok_xml()))),
            400,
            "document type declaration",
        ),
        row(
            "external entity",
            Send::Get(r(&format!("{XXE}{}", ok_xml().replace(SP_ID, "&x;")))),
            400,
            "document type declaration",
        ),
        row(
            "1 MiB SAMLRequest by POST",
            post_req(base, "A".repeat(1 << 20)),
            413,
            "larger than",
        ),
        row(
            "unknown Issuer",
            Send::Get(r(&authn("urn:evil", "", now))),
            400,
            "not a configured service provider",
        ),
        row(
            "ACS not allowed",
            Send::Get(r(&authn(
                SP_ID,
                " AssertionConsumerServiceURL=\"https://evil.test/acs\"",
                now,
            ))),
            400,
            "not among those configured",
        ),
        row(
            "IssueInstant an hour old",
            Send::Get(r(&authn(SP_ID, "", now - hour))),
            400,
            "outside the allowed clock skew",
        ),
        row(
            "IssueInstant an hour ahead",
            Send::Get(r(&authn(SP_ID, "", now + hour))),
            400,
            "outside the allowed clock skew",
        ),
        row(
            "Version 1.1",
            Send::Get(r(&ok_xml().replace("Version=\"2.0\"", "Version=\"1.1\""))),
            400,
            "only 2.0",
        ),
        row(
            "RelayState over the cap",
            Send::Get(redirect(
                base,
                &B64.encode(deflate(ok_xml().as_bytes())),
                Some(&"r".repeat(2049)),
            )),
            400,
            "RelayState is longer",
        ),
        row(
            "no SAMLRequest",
            Send::Get(format!("{base}/ICNotifierIDP/login?loginType=saml")),
            400,
            "no SAMLRequest",
        ),
        row(
            "a LogoutRequest that is garbage",
            Send::Get(format!(
                "{base}/ICNotifierIDP/logout?SAMLRequest={}",
                enc(&B64.encode(deflate(b"<x/>")))
            )),
            400,
            "not a LogoutRequest",
        ),
    ]
}

fn page_ok(name: &str, p: &Page, status: u16, says: &str) {
    assert_eq!(p.status, status, "{name}: {}", p.body);
    assert!(
        p.body.contains("<html lang=\"en-US\""),
        "{name}: a page in the user's language"
    );
    assert!(
        p.body.contains(says),
        "{name}: wanted {says:?} in {}",
        p.body
    );
    assert!(!p.body.contains("panicked"), "{name}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_bad_input_gets_its_4xx_page_and_the_server_stays_up() {
    let fx = Fixture::new();
    let idp = TestIdp::start(fx.config("assertion", "")).await;
    let c = client();
    for r in table(&idp.base) {
        // A new connection for each row and each check: after refusing an oversized body the
        // server closes the connection, and a pooled one may be reused before that is seen.
        let p = run(&client(), &r).await;
        page_ok(r.name, &p, r.status, r.says);
        assert_eq!(
            get(&client(), &idp.url("/healthz")).await.status,
            200,
            "{}",
            r.name
        );
    }

    // A 1 MiB SAMLRequest in the URL (no HTTP client will build it: sent over a plain
    // socket): the HTTP layer refuses it before any handler runs.
    let status = raw_status(&idp.base, &"A".repeat(1 << 20)).await;
    assert!(matches!(status, 414 | 431), "{status}");
    assert_eq!(get(&c, &idp.url("/healthz")).await.status, 200);

    // RelayState with CRLF: refused (it could not go back unchanged through every page and
    // log). With markup: tolerated beyond 80 bytes, reflected only escaped.
    let crlf = get(
        &c,
        &redirect(
            &idp.base,
            &B64.encode(deflate(ok_xml().as_bytes())),
            Some("a\r\nSet-Cookie: x=1"),
        ),
    )
    .await;
    page_ok("RelayState with CRLF", &crlf, 400, "control characters");
    let evil = format!(
        "a Set-Cookie: x=1 <script>alert(1)</script>\"'{}",
        "z".repeat(200)
    );
    let form = get(
        &c,
        &redirect(
            &idp.base,
            &B64.encode(deflate(ok_xml().as_bytes())),
            Some(&evil),
        ),
    )
    .await;
    assert_eq!(form.status, 200);
    assert!(form.headers.get("x").is_none() && !form.body.contains("<script>alert"));
    let done = submit(&c, &form.body, "agent1", "agent1", "login").await;
    let (_, _, rs) = autopost(&done.body).expect("an auto-POST form");
    assert_eq!(
        rs.as_deref().map(html_unescape).as_deref(),
        Some(evil.as_str()),
        "RelayState goes back unchanged"
    );
    assert!(!done.body.contains("<script>alert"), "reflected unescaped");
    assert!(done
        .headers
        .get_all("set-cookie")
        .iter()
        .all(|v| !v.to_str().unwrap().starts_with("x=")));

    // A sealed state field changed by one byte.
    let c2 = client();
    let form = get(&c2, &request_url(&idp.base)).await;
    let state = input_value(&form.body, "state").unwrap();
    let mut bytes = state.into_bytes();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let edited = form.body.replace(
        &input_value(&form.body, "state").unwrap(),
        std::str::from_utf8(&bytes).unwrap(),
    );
    let p = submit(&c2, &edited, "agent1", "agent1", "login").await;
    page_ok(
        "state edited by one byte",
        &p,
        400,
        "another session secret, or altered",
    );

    // A replayed credential POST after success.
    let ok = submit(&c2, &form.body, "agent1", "agent1", "login").await;
    assert!(autopost(&ok.body).is_some());
    let p = submit(&c2, &form.body, "agent1", "agent1", "login").await;
    page_ok("replayed credential POST", &p, 400, "already used");

    // An empty password; a 10 KiB user ID.
    let c3 = client();
    let form = get(&c3, &request_url(&idp.base)).await;
    let p = submit(&c3, &form.body, "agent1", "", "login").await;
    page_ok(
        "empty password",
        &p,
        200,
        "Enter both your user ID and your password",
    );
    let p = submit(&c3, &form.body, &"u".repeat(10 * 1024), "x", "login").await;
    page_ok("10 KiB user ID", &p, 400, "longer than allowed");
    assert_eq!(get(&c, &idp.url("/healthz")).await.status, 200);
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn spoofed_proxy_headers_from_an_untrusted_peer_are_ignored() {
    let fx = Fixture::new();
    let idp = TestIdp::start(fx.config_full(
        "https://idp.test",
        SECRET_A,
        "trusted_proxies = [\"10.9.9.0/24\"]",
        "assertion",
        "",
    ))
    .await;
    let r = client()
        .get(request_url(&idp.base))
        .header("ININ-REMAP-BASE-URL", "https://evil.test/phish")
        .header("X-Forwarded-For", "198.51.100.7")
        .send()
        .await
        .unwrap();
    let p = page(r).await;
    assert_eq!(p.status, 200);
    let (action, _) = login_form(&p.body);
    assert!(action.starts_with(&idp.base), "{action}");
    assert!(!p.body.contains("evil.test"));
    idp.stop().await;
}

/// Sends `GET /ICNotifierIDP/login?loginType=saml&SAMLRequest=<saml>` by hand and returns
/// the status code of the answer.
async fn raw_status(base: &str, saml: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "GET /ICNotifierIDP/login?loginType=saml&SAMLRequest={saml} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    // The server may answer and close before it has read everything.
    let _ = s.write_all(req.as_bytes()).await;
    let mut head = vec![0u8; 64];
    let n = s.read(&mut head).await.unwrap();
    let line = String::from_utf8_lossy(&head[..n]).to_string();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Character references as an HTML parser reads them in an attribute (the few we emit).
fn html_unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').map(|e| i + e).unwrap();
        let ent = &rest[i + 1..end];
        out.push(match ent {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ if ent.starts_with("#x") => {
                char::from_u32(u32::from_str_radix(&ent[2..], 16).unwrap()).unwrap()
            }
            _ if ent.starts_with('#') => char::from_u32(ent[1..].parse().unwrap()).unwrap(),
            _ => panic!("unknown entity {ent}"),
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// (current RSS, peak RSS) in KiB.
fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[tokio::test(flavor = "multi_thread")]
async fn deflate_bombs_stop_at_the_caps_with_bounded_memory() {
    let fx = Fixture::new();
    let server = spawn_server(&fx, &[]);
    let c = client();
    // Warm up: one whole login, so allocator pools exist before the baseline.
    let form = get(&c, &request_url(&server.base)).await;
    submit(&c, &form.body, "agent1", "agent1", "login").await;
    let (base_rss, _) = rss_kib(server.child.id());

    // 1 GiB of zeros deflates to about 1 MiB: refused by size before any inflating.
    let gib = zeros_deflated(1024);
    // Its own connection: the server closes it after refusing the body.
    let p = run(
        &client(),
        &row(
            "1 GiB bomb",
            post_req(&server.base, B64.encode(&gib)),
            413,
            "",
        ),
    )
    .await;
    page_ok("1 GiB bomb", &p, 413, "larger than");
    // 48 MiB of zeros: under the encoded cap, stopped at the inflated cap while inflating.
    let big = zeros_deflated(48);
    assert!(B64.encode(&big).len() < 64 * 1024);
    for _ in 0..20 {
        let p = run(
            &c,
            &row(
                "48 MiB bomb",
                post_req(&server.base, B64.encode(&big)),
                400,
                "",
            ),
        )
        .await;
        page_ok("48 MiB bomb", &p, 400, "inflates to more than");
        let p = get(&c, &redirect(&server.base, &B64.encode(&big), None)).await;
        page_ok("48 MiB bomb by Redirect", &p, 400, "inflates to more than");
    }
    let (_, peak) = rss_kib(server.child.id());
    let growth_mib = peak.saturating_sub(base_rss) / 1024;
    eprintln!(
        "server RSS: {} MiB before the bombs, peak {} MiB after",
        base_rss / 1024,
        peak / 1024
    );
    assert!(growth_mib < 16, "peak RSS grew by {growth_mib} MiB");
}
