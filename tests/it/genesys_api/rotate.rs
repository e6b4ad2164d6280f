//! `certs rotate NEW --genesys` and `certs retire OLD --genesys`: the whole rotation, and
//! runs interrupted at a step (the double fails it) that a rerun finishes.

use super::double::{Fault, Route};
use super::Setup;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_pushes_old_and_new_promotes_once_held_and_retire_removes_the_old_one() {
    let s = Setup::new().await;
    s.push().await.ok();
    let idp = s.cert("idp");

    let r = s.run(&["certs", "rotate", "next", "--genesys"], "").await;
    r.ok();
    let next = s.cert("next");
    // Genesys Cloud holds both, the old one (still signing when written) first.
    assert_eq!(s.double.held(), [idp.clone(), next.clone()]);
    assert_eq!(s.active(), "next");
    for step in [
        "1/4 made `next`",
        "2/4 writing",
        "3/4 Genesys Cloud holds `next`",
        "4/4 left to do",
    ] {
        assert!(r.out.contains(step), "{step}: {}", r.all());
    }
    assert!(
        r.out.contains("certs retire idp --genesys"),
        "says what is left: {}",
        r.all()
    );
    // The other fields stayed as pushed.
    assert_eq!(
        s.double.provider().unwrap()["issuerURI"],
        "https://sso.example.com"
    );

    // Run again: every step sees it is done; nothing is written.
    let puts = s.double.count(Route::Put);
    let r = s.run(&["certs", "rotate", "next", "--genesys"], "").await;
    r.ok();
    assert!(r.out.contains("in the folder already"), "{}", r.all());
    assert!(
        r.out.contains("is the active signing certificate already"),
        "{}",
        r.all()
    );
    assert_eq!(s.double.count(Route::Put), puts);

    // The active one is never retired: refused before anything is sent.
    let r = s.run(&["certs", "retire", "next", "--genesys"], "").await;
    r.failed();
    assert!(
        r.err.contains("is the active signing certificate"),
        "{}",
        r.all()
    );
    assert_eq!(s.double.count(Route::Put), puts);
    assert!(s.signing().join("next.crt").exists());

    // Retire the old one: gone from Genesys Cloud, then from the folder.
    let r = s.run(&["certs", "retire", "idp", "--genesys"], "").await;
    r.ok();
    assert_eq!(s.double.held(), [next.as_str()]);
    assert!(!s.signing().join("idp.crt").exists());
    assert!(!s.signing().join("idp.key").exists());
    assert!(
        r.out.contains("Genesys Cloud no longer holds `idp`"),
        "{}",
        r.all()
    );
    // And again: nothing left to do.
    let r = s.run(&["certs", "retire", "idp", "--genesys"], "").await;
    r.ok();
    assert!(r.out.contains("nothing left to retire"), "{}", r.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_interrupted_at_the_write_or_the_read_back_is_finished_by_a_rerun() {
    let s = Setup::new().await;
    s.push().await.ok();
    let idp = s.cert("idp");

    // The write fails: NEW is made, not promoted; Genesys Cloud still holds the old one only.
    s.double.fail_next(Route::Put, Fault::status(503));
    let r = s.run(&["certs", "rotate", "next", "--genesys"], "").await;
    r.failed();
    assert!(r.err.contains("HTTP 503"), "{}", r.all());
    assert!(s.signing().join("next.crt").exists());
    assert_eq!(s.active(), "idp", "not promoted");
    assert_eq!(s.double.held(), [idp.as_str()]);

    // The rerun keeps the pair it made (the same certificate) and finishes.
    let made = s.cert("next");
    let r = s.run(&["certs", "rotate", "next", "--genesys"], "").await;
    r.ok();
    assert!(r.out.contains("in the folder already: kept"), "{}", r.all());
    assert_eq!(s.cert("next"), made);
    assert_eq!(s.double.held(), [idp.clone(), made.clone()]);
    assert_eq!(s.active(), "next");

    // Another rotation, where the write lands but the read back fails: it must not promote
    // on the strength of a write it could not check.
    let puts = s.double.count(Route::Put);
    s.double.fail_after(Route::Get, 1, Fault::status(500));
    let r = s.run(&["certs", "rotate", "third", "--genesys"], "").await;
    r.failed();
    assert_eq!(s.double.count(Route::Put), puts + 1, "the write happened");
    assert!(s.double.held().contains(&s.cert("third")));
    assert_eq!(s.active(), "next", "not promoted without the read back");

    let r = s.run(&["certs", "rotate", "third", "--genesys"], "").await;
    r.ok();
    assert!(
        r.out
            .contains("holds exactly the certificates we publish already"),
        "{}",
        r.all()
    );
    assert_eq!(
        s.double.count(Route::Put),
        puts + 1,
        "nothing written again"
    );
    assert_eq!(s.active(), "third");
    let mut held = s.double.held();
    held.sort();
    let mut want = vec![idp.clone(), made, s.cert("third")];
    want.sort();
    assert_eq!(held, want);

    // A retirement whose write fails keeps the pair in the folder; the rerun finishes it.
    s.double.fail_next(Route::Put, Fault::status(500));
    let r = s.run(&["certs", "retire", "idp", "--genesys"], "").await;
    r.failed();
    assert!(s.signing().join("idp.crt").exists(), "still in the folder");
    let r = s.run(&["certs", "retire", "idp", "--genesys"], "").await;
    r.ok();
    assert!(!s.signing().join("idp.crt").exists());
    assert!(!s.double.held().contains(&idp));
    assert_eq!(s.double.held().len(), 2);
}
