//! `genesys-config --push`: create, nothing to do, a diff refused, a diff confirmed.

use super::double::Route;
use super::{Setup, PUBLIC_BASE};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_creates_the_provider_then_writes_only_a_confirmed_diff_and_reads_it_back() {
    let s = Setup::new().await;
    let idp = s.cert("idp");

    // No provider yet: created with our values, read back.
    let r = s.push().await;
    r.ok();
    assert!(r.out.contains("no PureConnect provider yet"), "{}", r.all());
    assert!(r.out.contains("written and read back"), "{}", r.all());
    let p = s.double.provider().unwrap();
    assert_eq!(p["issuerURI"], "https://sso.example.com");
    assert_eq!(
        p["ssoTargetURI"],
        format!("{PUBLIC_BASE}/ICNotifierIDP/login?loginType=saml")
    );
    assert_eq!(
        p["relyingPartyIdentifier"],
        "https://login.mypurecloud.de/saml"
    );
    assert_eq!(p["name"], "PureConnect");
    assert_eq!(
        p["nameIdentifierFormat"],
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    );
    assert_eq!(p["disabled"], false);
    assert_eq!(s.double.held(), [idp.as_str()]);
    assert_eq!(s.double.count(Route::Put), 1);
    assert_eq!(s.double.count(Route::Token), 1, "one token for the run");

    // Again: nothing differs, nothing is written.
    let r = s.push().await;
    r.ok();
    assert!(
        r.out.contains("already holds this configuration"),
        "{}",
        r.all()
    );
    assert_eq!(s.double.count(Route::Put), 1);

    // An administrator changed the console: another audience, a stray certificate, a logo.
    let stray = pureconnect_idp::keys::generate::self_signed("stray", 2048, 30, &[]).unwrap();
    let stray_pem = String::from_utf8(stray.cert_pem.clone()).unwrap();
    let mut changed = s.double.provider().unwrap();
    changed["relyingPartyIdentifier"] = json!("urn:wrong");
    changed["certificates"] = json!([idp, stray_pem]);
    changed["logoImageData"] = json!("PHN2Zz48L3N2Zz4=");
    s.double.set_provider(changed);

    // Refused at the question: the diff is shown, nothing is written.
    let r = s.run(&["genesys-config", "--push"], "n\n").await;
    r.failed();
    assert!(r.out.contains("differs from ours"), "{}", r.all());
    assert!(
        r.out.contains(
            "relyingPartyIdentifier: \"urn:wrong\" -> \"https://login.mypurecloud.de/saml\""
        ),
        "{}",
        r.all()
    );
    assert!(
        r.out
            .contains("- certificate a certificate not in our folder (CN=stray"),
        "{}",
        r.all()
    );
    assert!(r.err.contains("not confirmed"), "{}", r.all());
    assert_eq!(s.double.count(Route::Put), 1);
    assert_eq!(s.double.held().len(), 2);

    // Confirmed: written; exactly our certificate kept; the field we do not manage kept.
    let r = s.run(&["genesys-config", "--push"], "y\n").await;
    r.ok();
    assert_eq!(s.double.count(Route::Put), 2);
    let p = s.double.provider().unwrap();
    assert_eq!(
        p["relyingPartyIdentifier"],
        "https://login.mypurecloud.de/saml"
    );
    assert_eq!(s.double.held(), [s.cert("idp")]);
    assert_eq!(p["certificate"], s.cert("idp"));
    assert_eq!(p["logoImageData"], "PHN2Zz48L3N2Zz4=");
}
