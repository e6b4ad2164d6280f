//! The key checks: a key that does not match its certificate, an expired active certificate
//! (a backup signing in its place), one about to expire, and too many pairs.

use super::*;
use pureconnect_idp::keys::generate::{self_signed, self_signed_at};

fn signing(fx: &Fixture) -> PathBuf {
    fx.path().join("certs/signing")
}

fn add_pair(fx: &Fixture, name: &str, pair: &pureconnect_idp::keys::generate::NewPair) {
    std::fs::write(signing(fx).join(format!("{name}.crt")), &pair.cert_pem).unwrap();
    std::fs::write(signing(fx).join(format!("{name}.key")), &pair.key_pem).unwrap();
}

#[tokio::test]
async fn a_key_that_does_not_match_its_certificate_fails_and_a_good_folder_passes() {
    let fx = Fixture::new();
    let file = write_config(&fx, "", "", "", "");
    let r = run(&file).await;
    only(&r, "config", Status::Pass);
    let l = only(&r, "keys.match", Status::Pass);
    assert!(l.summary.contains("1 signing pair"), "{}", l.summary);
    let l = only(&r, "keys.active", Status::Pass);
    assert!(
        l.summary.contains("`idp`") && l.summary.contains("days left"),
        "{}",
        l.summary
    );
    only(&r, "keys.count", Status::Pass);

    // The key of another pair under the certificate's name.
    let other = self_signed("other", 2048, 30, &[]).unwrap();
    std::fs::write(signing(&fx).join("idp.key"), &other.key_pem).unwrap();
    let r = run(&file).await;
    assert!(!r.ok);
    let l = only(&r, "keys.match", Status::Fail);
    assert!(l.summary.contains("`idp`"), "{}", l.summary);
    only(&r, "keys.active", Status::Fail);
}

#[tokio::test]
async fn an_expired_active_certificate_fails_naming_the_backup_that_signs_instead() {
    let fx = Fixture::new();
    let now = chrono::Utc::now().timestamp();
    let expired = self_signed_at("old", 2048, now - 40 * 86400, now - 86400, &[]).unwrap();
    add_pair(&fx, "old", &expired);
    std::fs::write(signing(&fx).join("active"), "old\n").unwrap();
    let file = write_config(&fx, "", "", "", "");
    let r = run(&file).await;
    let l = only(&r, "keys.active", Status::Fail);
    assert!(
        l.summary.contains("`old`") && l.summary.contains("`idp` signs in its place"),
        "{}",
        l.summary
    );
    assert!(l.fix.as_ref().unwrap().contains("certs promote idp"));
    // Both pairs are sound; the count is fine.
    only(&r, "keys.match", Status::Pass);
    only(&r, "keys.count", Status::Pass);
}

#[tokio::test]
async fn an_active_certificate_inside_the_warning_period_fails_with_its_days_left() {
    let fx = Fixture::new();
    // The fixture's pair is valid about a month: under a 60-day warning, over a 7-day one.
    let file = write_config(&fx, "", "cert_warn_days = 60", "", "");
    let r = run(&file).await;
    let l = only(&r, "keys.active", Status::Fail);
    assert!(
        l.summary
            .contains(" day(s) left, under idp.cert_warn_days (60)"),
        "{}",
        l.summary
    );
    let file = write_config(&fx, "", "", "", "");
    only(&run(&file).await, "keys.active", Status::Pass);
}

#[tokio::test]
async fn six_pairs_fail_the_count_and_five_pass() {
    let fx = Fixture::new();
    std::fs::write(signing(&fx).join("active"), "idp\n").unwrap();
    let pair = self_signed("backup", 2048, 30, &[]).unwrap();
    for i in 1..=4 {
        add_pair(&fx, &format!("b{i}"), &pair);
    }
    let file = write_config(&fx, "", "", "", "");
    let l = only(&run(&file).await, "keys.count", Status::Pass);
    assert!(l.summary.starts_with("5 of at most 5"), "{}", l.summary);
    add_pair(&fx, "b5", &pair);
    let r = run(&file).await;
    let l = only(&r, "keys.count", Status::Fail);
    assert!(l.summary.starts_with("6 signing pairs"), "{}", l.summary);
    assert!(!r.ok);
}
