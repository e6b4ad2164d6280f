//! Micro-benchmarks of the two SAML stages of an SSO-session login (`cargo bench --bench
//! saml`): taking in an AuthnRequest (base64, inflate, parse) and building and signing the
//! Response, per sign mode, with the direct signer in use and the xmlsec reference beside it;
//! and a bare RSA-2048 signature with the same key, the floor of the second. They print
//! figures; they never fail on speed.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use pureconnect_idp::config::SignMode;
use pureconnect_idp::keys::SigningKey;
use pureconnect_idp::saml::response::{success_with, Addressing, Fresh, Signer, Statement};
use pureconnect_idp::saml::{authn_request, binding};
use std::hint::black_box;

fn key() -> SigningKey {
    let pair = pureconnect_idp::keys::generate::self_signed("bench idp", 2048, 30, &[])
        .expect("a key pair");
    SigningKey::from_pem("bench", &pair.cert_pem, &pair.key_pem, None, "bench").expect("a key")
}

fn authn_request(c: &mut Criterion) {
    let now = pureconnect_idp::saml::xml::instant(chrono::Utc::now());
    let xml = format!(
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_0123456789abcdef0123456789abcdef\" Version=\"2.0\" IssueInstant=\"{now}\" Destination=\"https://sso.example.com/PureConnect/ICNotifierIDP/login?loginType=saml\" AssertionConsumerServiceURL=\"https://login.mypurecloud.com/saml\" ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\"><saml:Issuer>urn:gc:myorg</saml:Issuer><samlp:NameIDPolicy Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\" AllowCreate=\"true\"/></samlp:AuthnRequest>"
    );
    let encoded = binding::encode_redirect(&xml);
    c.bench_function("authn_request/decode+inflate+parse", |b| {
        b.iter(|| {
            let (x, _) = binding::decode_redirect(black_box(&encoded)).expect("decodes");
            authn_request::parse(&x).expect("parses")
        })
    });
}

fn response(c: &mut Criterion) {
    let key = key();
    let attrs: Vec<(&str, &str)> = vec![
        ("email", "agent1@example.com"),
        ("OrganizationName", "myorg"),
        ("ServiceName", "directory"),
        ("displayName", "Agent One"),
    ];
    let a = Addressing {
        issuer: "https://sso.example.com",
        acs: "https://login.mypurecloud.com/saml",
        in_response_to: Some("_0123456789abcdef0123456789abcdef"),
    };
    let s = Statement {
        email: "agent1@example.com",
        audience: "https://login.mypurecloud.com/saml",
        session_index: "_fedcba9876543210fedcba9876543210fedcba98",
        authn_instant: chrono::Utc::now(),
        lifetime: std::time::Duration::from_secs(300),
        attributes: &attrs,
    };
    let mut g = c.benchmark_group("response/build+sign");
    for (name, mode) in [
        ("assertion", SignMode::Assertion),
        ("response", SignMode::Response),
        ("both", SignMode::Both),
    ] {
        for (signer_name, signer) in [("direct", Signer::Direct), ("xmlsec", Signer::Xmlsec)] {
            g.bench_with_input(BenchmarkId::new(signer_name, name), &mode, |b, &mode| {
                b.iter(|| success_with(&a, &s, mode, &key, &Fresh::new(), signer).expect("signs"))
            });
        }
    }
    g.finish();
    c.bench_function("rsa2048/sign (openssl, the floor)", |b| {
        b.iter(|| {
            let mut signer =
                openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key.pkey)
                    .expect("a signer");
            signer.update(black_box(b"signed info")).expect("update");
            signer.sign_to_vec().expect("signs")
        })
    });
}

criterion_group!(benches, authn_request, response);
criterion_main!(benches);
