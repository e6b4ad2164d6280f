//! The "done when": `certs rotate NEW --genesys` end to end while logins run, and no
//! login fails in between — every Response verifies (xmlsec1) with a certificate the
//! Genesys Cloud double held when the Response reached the browser.

use super::Setup;
use crate::certs::{login, verify_all, QuickBackend};
use crate::common::*;
use base64::Engine;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The base64 certificate a Response's signature names in its KeyInfo.
fn named_cert(xml: &str) -> Option<String> {
    let start = xml.find("<ds:X509Certificate>")? + "<ds:X509Certificate>".len();
    let end = xml[start..].find("</ds:X509Certificate>")? + start;
    Some(
        xml[start..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect(),
    )
}

fn pem(b64: &str) -> String {
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let x = openssl::x509::X509::from_der(&der).unwrap();
    String::from_utf8(x.to_pem().unwrap()).unwrap()
}

struct Done {
    result: Result<String, String>,
    /// What the double held when the Response arrived.
    held: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_under_load_through_the_genesys_api_fails_no_login() {
    const AT_ONCE: usize = 4;
    const MAX_LOGINS: usize = 3000;
    let s = Setup::new().await;
    s.write_serving_config();
    // The provider as an administrator made it, holding the one certificate in use.
    s.double.set_provider(serde_json::json!({
        "name": "PureConnect",
        "issuerURI": "https://idp.test",
        "certificate": s.cert("idp"),
        "certificates": [s.cert("idp")],
    }));
    // Genesys Cloud takes its time to apply a write: a rotation that promoted before
    // Genesys Cloud held the new certificate would sign logins it cannot check meanwhile.
    s.double.set_put_delay(Duration::from_millis(1500));
    let cfg = pureconnect_idp::config::Config::load(&s.config_file()).unwrap();
    let opts = pureconnect_idp::Options {
        backend: Some(Arc::new(QuickBackend)),
        ..Default::default()
    };
    let idp = TestIdp::start_with(cfg, opts).await;
    let old = s.cert("idp");

    let deadline = Instant::now() + Duration::from_secs(180);
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicUsize::new(0));
    let double = s.double.state.clone();
    let mut workers = Vec::new();
    for _ in 0..AT_ONCE {
        let (stop, count, base) = (stop.clone(), count.clone(), idp.base.clone());
        let held_now = {
            let s = double.clone();
            move || super::double::held_of(&s)
        };
        workers.push(tokio::spawn(async move {
            let mut done = Vec::new();
            while !stop.load(Ordering::SeqCst)
                && count.fetch_add(1, Ordering::SeqCst) < MAX_LOGINS
                && Instant::now() < deadline
            {
                let result = login(&client(), &base).await;
                done.push(Done {
                    result,
                    held: held_now(),
                });
            }
            done
        }));
    }
    while count.load(Ordering::SeqCst) < 100 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let r = s.run(&["certs", "rotate", "next", "--genesys"], "").await;
    r.ok();
    let new = s.cert("next");
    // The rotation has promoted `next` in the signing folder; the server's watcher picks that
    // up within a poll or two (keys::watch::POLL, debounced), not at once. Wait until a login
    // is seen signed with the new certificate, then go on for a while, so that the count of
    // new logins does not depend on how fast the workers ran in that window.
    loop {
        let probe = login(&client(), &idp.base)
            .await
            .unwrap_or_else(|e| panic!("a login failed while the rotation took effect: {e}"));
        if named_cert(&probe).as_deref() == Some(new.as_str()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server never signed with the promoted certificate"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after = count.load(Ordering::SeqCst);
    while count.load(Ordering::SeqCst) < after + 200 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::SeqCst);
    let mut logins = Vec::new();
    for w in workers {
        logins.extend(w.await.unwrap());
    }
    idp.stop().await;

    let failed: Vec<&String> = logins
        .iter()
        .filter_map(|d| d.result.as_ref().err())
        .collect();
    assert!(
        failed.is_empty(),
        "{} logins failed: {:?}",
        failed.len(),
        &failed[..failed.len().min(5)]
    );
    // Each Response names the certificate that signed it; Genesys Cloud held that one when
    // the Response arrived…
    let mut by_cert: std::collections::HashMap<String, Vec<&String>> = Default::default();
    for (i, d) in logins.iter().enumerate() {
        let xml = d.result.as_ref().unwrap();
        let named = named_cert(xml).unwrap_or_else(|| panic!("login {i}: no certificate named"));
        assert!(
            d.held.contains(&named),
            "login {i} was signed with a certificate Genesys Cloud did not hold then"
        );
        by_cert.entry(named).or_default().push(xml);
    }
    // …and the signature verifies with it (xmlsec1, which does not trust the document's).
    let dir = tempfile::tempdir().unwrap();
    for (cert, xmls) in &by_cert {
        let ok = verify_all(dir.path(), xmls, &pem(cert));
        let bad = ok.iter().filter(|b| !**b).count();
        assert_eq!(bad, 0, "{bad} Responses do not verify");
    }
    let (n_old, n_new) = (
        by_cert.get(&old).map_or(0, Vec::len),
        by_cert.get(&new).map_or(0, Vec::len),
    );
    assert!(
        n_old >= 50 && n_new >= 50,
        "old {n_old}, new {n_new}: both signed logins"
    );
    assert_eq!(by_cert.len(), 2);
    println!(
        "rotation through the Genesys API double under load: {} logins ({AT_ONCE} at once), 0 failed; {n_old} old, {n_new} new, each held by the double when it arrived",
        logins.len()
    );
}
