//! Unit tests of the inbound pipeline: the signature decision table, and the query signature
//! over the parts the reader takes.

use super::*;

#[test]
fn the_signature_decision_table() {
    use Decision::*;
    // (has certificates, must sign, signature present) → decision
    let table = [
        ((false, false, false), Unsigned),
        ((false, false, true), Unsigned),
        ((false, true, false), Refuse(SigError::NoCertificate)),
        ((false, true, true), Refuse(SigError::NoCertificate)),
        ((true, false, false), Unsigned),
        ((true, false, true), Verify),
        ((true, true, false), Refuse(SigError::Missing)),
        ((true, true, true), Verify),
    ];
    for ((certs, required, present), want) in table {
        assert_eq!(
            decide(certs, required, present),
            want,
            "certs {certs}, required {required}, present {present}"
        );
    }
}

fn pair() -> (openssl::pkey::PKey<openssl::pkey::Private>, X509) {
    let p = crate::keys::generate::self_signed("sp.test", 2048, 30, &[]).unwrap();
    (
        openssl::pkey::PKey::private_key_from_pem(&p.key_pem).unwrap(),
        X509::from_pem(&p.cert_pem).unwrap(),
    )
}

fn sig_of(query: &str) -> Result<Option<RedirectSig>, InboundError> {
    let p = Params::parse(query)?;
    Ok(RedirectSig::from_params(&p, "SAMLRequest")?)
}

#[test]
fn the_query_signature_covers_the_parts_the_reader_takes() {
    let (key, cert) = pair();
    let (_, other) = pair();
    let certs = [cert];
    let q = signature::sign_redirect("SAMLRequest", "abc+/=", Some("r s&t"), &key).unwrap();
    let ok = |q: &str| sig_of(q).unwrap().unwrap().verify(&certs, false);
    assert_eq!(ok(&q), Ok(()));
    // Unsigned parameters around it do not matter.
    assert_eq!(ok(&format!("loginType=saml&{q}&x=1")), Ok(()));
    // A signed part changed after signing.
    assert_eq!(
        ok(&q.replace("RelayState=r", "RelayState=R")),
        Err(SigError::Invalid)
    );
    let s = sig_of(&q).unwrap().unwrap();
    assert_eq!(s.verify(&[other], false), Err(SigError::Invalid));
    assert_eq!(s.verify(&[], false), Err(SigError::Invalid));
    assert_eq!(sig_of("SAMLRequest=abc").unwrap(), None);
    assert!(matches!(
        sig_of("SAMLRequest=abc&SigAlg=x"),
        Err(InboundError::Signature(SigError::Malformed(_)))
    ));
    let sha1 = q.replace("rsa-sha256", "rsa-sha1");
    assert!(matches!(
        sig_of(&sha1).unwrap().unwrap().verify(&certs, false),
        Err(SigError::Algorithm(_))
    ));
}

#[test]
fn a_second_message_under_an_encoded_name_is_refused_not_read() {
    // The attack: a genuinely signed query plus a message under percent-encoded names. The
    // names are compared decoded, so the query carries SAMLRequest and RelayState twice.
    let (key, _) = pair();
    let q = signature::sign_redirect("SAMLRequest", "old", Some("old-rs"), &key).unwrap();
    for evil in [
        format!("SAML%52equest=new&Relay%53tate=new&{q}"),
        format!("{q}&SAML%52equest=new"),
        format!("{q}&%52elayState=new"),
        format!("{q}&SigAlg=x"),
    ] {
        assert!(
            matches!(Params::parse(&evil), Err(InboundError::Repeated(_))),
            "{evil}"
        );
    }
}

struct Fake {
    id: String,
    issuer: String,
    at: DateTime<Utc>,
    destination: Option<String>,
}

impl Message for Fake {
    const KIND: &'static str = "a test request";
    fn parse(_: &str) -> Result<Self, String> {
        Err("not used".into())
    }
    fn issuer(&self) -> &str {
        &self.issuer
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn issue_instant(&self) -> DateTime<Utc> {
        self.at
    }
    fn destination(&self) -> Option<&str> {
        self.destination.as_deref()
    }
}

#[test]
fn time_and_destination_are_checked_and_a_signed_request_must_name_its_destination() {
    let now = Utc::now();
    let ours = "https://sso.example.com/PureConnect/ICNotifierIDP/login?loginType=saml";
    let expect = Expect {
        now,
        skew: std::time::Duration::from_secs(300),
        endpoint: ours,
    };
    let msg = |at: DateTime<Utc>, d: Option<&str>| Fake {
        id: "_1".into(),
        issuer: "urn:sp".into(),
        at,
        destination: d.map(str::to_string),
    };
    assert_eq!(check_protocol(&msg(now, Some(ours)), &expect, true), Ok(()));
    assert_eq!(check_protocol(&msg(now, None), &expect, false), Ok(()));
    assert_eq!(
        check_protocol(&msg(now, None), &expect, true),
        Err(InboundError::NoDestination)
    );
    assert!(matches!(
        check_protocol(&msg(now, Some("https://evil.example/x")), &expect, false),
        Err(InboundError::Destination(_))
    ));
    let late = now + chrono::Duration::hours(1);
    assert!(matches!(
        check_protocol(&msg(late, Some(ours)), &expect, false),
        Err(InboundError::Stale(_))
    ));
}
