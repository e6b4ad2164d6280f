//! The signing folder over time: the pair limit, expiry hand-over, promotion, reloads,
//! the inventory and the watcher.

use super::*;

#[test]
fn more_than_five_pairs_are_refused_by_name() {
    let d = tmp();
    let p = pair(10);
    for i in 0..6 {
        put_pair(d.path(), &format!("c{i}"), &p);
    }
    set_active(d.path(), "c0");
    let e = KeyStore::load(d.path(), None).unwrap_err().to_string();
    assert!(
        e.contains("6 signing pairs") && e.contains("at most 5"),
        "{e}"
    );
    assert!(e.contains("c0, c1, c2, c3, c4, c5"), "{e}");
    std::fs::remove_file(signing_dir(d.path()).join("c5.key")).unwrap();
    assert_eq!(
        KeyStore::load(d.path(), None)
            .unwrap()
            .current()
            .published()
            .count(),
        5
    );
    // And the CLI's add refuses a sixth.
    let e = folder::add_pair(d.path(), "c6", &p.cert_pem, &p.key_pem).unwrap_err();
    assert!(e.to_string().contains("already holds 5 pairs"), "{e}");
}

#[test]
fn an_expired_active_hands_over_to_the_newest_valid_backup() {
    let d = tmp();
    put_pair(d.path(), "old", &pair_between(-400, -1));
    put_pair(d.path(), "older-backup", &pair_between(-300, 200));
    put_pair(d.path(), "newest", &pair_between(-1, 100));
    put_pair(d.path(), "expired-backup", &pair_between(-10, -2));
    set_active(d.path(), "old");
    let store = KeyStore::load(d.path(), None).unwrap();
    let set = store.current();
    assert_eq!(set.active.name, "newest");
    assert_eq!(set.auto_promoted_from.as_deref(), Some("old"));
    // Neither expired certificate is published; the valid ones are, the active first.
    assert_eq!(
        set.published().map(|k| k.name.as_str()).collect::<Vec<_>>(),
        ["newest", "older-backup"]
    );
    let st = store.status();
    assert!(st.active_valid);
    assert_eq!(st.active, "newest");
    assert_eq!(st.auto_promoted_from.as_deref(), Some("old"));
    assert_eq!(st.certificates.len(), 4);
    let by = |n: &str| st.certificates.iter().find(|c| c.name == n).unwrap();
    assert_eq!(by("newest").role, Role::Active);
    assert!(by("newest").published && (98..=100).contains(&by("newest").days_left));
    assert!(!by("old").published && by("old").days_left < 0);
    assert!(!by("expired-backup").published);
    assert_eq!(by("older-backup").role, Role::Backup);
    // The `active` file is left as the operator wrote it.
    assert_eq!(
        folder::active_file(d.path()).unwrap().as_deref(),
        Some("old")
    );
}

#[test]
fn an_expired_active_without_a_valid_backup_is_refused() {
    let d = tmp();
    put_pair(d.path(), "old", &pair_between(-400, -1));
    put_pair(d.path(), "gone", &pair_between(-400, -2));
    set_active(d.path(), "old");
    let e = KeyStore::load(d.path(), None).unwrap_err().to_string();
    assert!(e.contains("`old` expired on"), "{e}");
    assert!(e.contains("no valid backup"), "{e}");
    assert!(e.contains("certs generate"), "{e}");
}

#[test]
fn a_reload_hands_over_to_a_backup_only_when_the_active_in_force_has_expired() {
    let d = tmp();
    put_pair(d.path(), "a", &pair(10));
    put_pair(d.path(), "b", &pair_between(0, 20));
    put_pair(d.path(), "stale", &pair_between(-20, -1));
    set_active(d.path(), "a");
    let store = KeyStore::load(d.path(), None).unwrap();
    // Someone points `active` at the expired pair: `a` stays, `b` is not taken.
    set_active(d.path(), "stale");
    let e = store.reload().unwrap_err().to_string();
    assert!(
        e.contains("names `stale`, which has expired") && e.contains("`a` stays"),
        "{e}"
    );
    assert_eq!(store.active().name, "a");
    // Started with an expired active, a reload keeps the backup that took over.
    let store = KeyStore::load(d.path(), None).unwrap();
    assert_eq!(store.active().name, "b");
    store.reload().unwrap();
    assert_eq!(store.active().name, "b");
}

#[test]
fn a_failed_reload_keeps_the_old_set_and_says_why() {
    let d = tmp();
    let a = pair(10);
    put_pair(d.path(), "a", &a);
    let store = KeyStore::load(d.path(), None).unwrap();
    let before = store.current();
    // A backup whose key is not PEM, and then one that does not match.
    put(d.path(), "b", &pair(10).cert_pem, b"garbage");
    set_active(d.path(), "a");
    assert!(store.reload().is_err());
    assert!(Arc::ptr_eq(&before, &store.current()));
    put(d.path(), "b", &pair(10).cert_pem, &a.key_pem);
    let e = store.reload().unwrap_err().to_string();
    assert!(e.contains("b.key") && e.contains("does not belong"), "{e}");
    let st = store.status();
    assert_eq!((st.reloads, st.reload_failures), (0, 2));
    assert!(st.last_reload_error.unwrap().contains("does not belong"));
    assert_eq!(store.active().name, "a");
    // Fixed: the reload goes through and the error is cleared.
    put_pair(d.path(), "b", &pair(10));
    store.reload().unwrap();
    let st = store.status();
    assert_eq!((st.reloads, st.reload_failures), (1, 2));
    assert!(st.last_reload_error.is_none());
    assert_eq!(store.current().published().count(), 2);
}

#[test]
fn add_and_promote_keep_the_folder_loadable() {
    let d = tmp();
    let p1 = pair(10);
    let p2 = pair(20);
    assert_eq!(
        folder::add_pair(d.path(), "first", &p1.cert_pem, &p1.key_pem).unwrap(),
        folder::Added { active: true }
    );
    assert_eq!(
        folder::active_file(d.path()).unwrap().as_deref(),
        Some("first")
    );
    assert!(folder::add_pair(d.path(), "first", &p2.cert_pem, &p2.key_pem).is_err());
    assert!(folder::add_pair(d.path(), "../x", &p2.cert_pem, &p2.key_pem).is_err());
    assert!(folder::add_pair(d.path(), "active", &p2.cert_pem, &p2.key_pem).is_err());
    assert!(
        !folder::add_pair(d.path(), "second", &p2.cert_pem, &p2.key_pem)
            .unwrap()
            .active
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let m = std::fs::metadata(signing_dir(d.path()).join("second.key")).unwrap();
        assert_eq!(m.permissions().mode() & 0o077, 0);
    }
    let store = KeyStore::load(d.path(), None).unwrap();
    assert_eq!(store.active().name, "first");

    let p = folder::promote(d.path(), "second", None).unwrap();
    assert_eq!(p.previous.as_deref(), Some("first"));
    assert!(p.changed);
    assert!(!folder::promote(d.path(), "second", None).unwrap().changed);
    store.reload().unwrap();
    assert_eq!(store.active().name, "second");
    assert_eq!(
        store
            .current()
            .published()
            .map(|k| k.name.as_str())
            .collect::<Vec<_>>(),
        ["second", "first"]
    );
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(signing_dir(d.path()))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // Refused: an unknown name, an expired pair, a pair that does not load.
    assert!(folder::promote(d.path(), "nope", None)
        .unwrap_err()
        .to_string()
        .contains("no pair `nope`"));
    put_pair(d.path(), "stale", &pair_between(-20, -1));
    let e = folder::promote(d.path(), "stale", None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("expired on"), "{e}");
    std::fs::remove_file(signing_dir(d.path()).join("stale.crt")).unwrap();
    put(d.path(), "broken", &pair(5).cert_pem, &p1.key_pem);
    let e = folder::promote(d.path(), "broken", None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not belong"), "{e}");
    assert_eq!(
        folder::active_file(d.path()).unwrap().as_deref(),
        Some("second")
    );
}

#[test]
fn adding_a_backup_beside_a_lone_pair_keeps_it_active() {
    let d = tmp();
    put_pair(d.path(), "lone", &pair(10));
    let p = pair(10);
    folder::add_pair(d.path(), "next", &p.cert_pem, &p.key_pem).unwrap();
    assert_eq!(
        folder::active_file(d.path()).unwrap().as_deref(),
        Some("lone")
    );
    assert_eq!(
        KeyStore::load(d.path(), None).unwrap().active().name,
        "lone"
    );
}

#[test]
fn inventory_explains_a_folder_a_server_would_refuse() {
    let d = tmp();
    let p = pair(30);
    put_pair(d.path(), "good", &p);
    let other = pair(10);
    put(
        d.path(),
        "locked",
        &other.cert_pem,
        &encrypt_key(&other.key_pem, b"pw").unwrap(),
    );
    set_active(d.path(), "good");
    std::fs::write(signing_dir(d.path()).join("half.crt"), &p.cert_pem).unwrap();
    let inv = super::inventory::inventory(d.path(), None).unwrap();
    assert!(inv.refused.as_deref().unwrap().contains("encrypted"));
    assert_eq!(inv.incomplete, ["half"]);
    let locked = inv.entries.iter().find(|e| e.name == "locked").unwrap();
    assert!(locked.problem.as_deref().unwrap().contains("no password"));
    assert!(!locked.published);
    let inv = super::inventory::inventory(d.path(), Some(b"pw")).unwrap();
    assert!(inv.refused.is_none());
    assert!(inv.entries.iter().all(|e| e.published));
    let good = inv.entries.iter().find(|e| e.name == "good").unwrap();
    assert_eq!(good.role, Role::Active);
    let info = good.info.as_ref().unwrap();
    assert_eq!(info.subject, "CN=unit test");
    assert_eq!(info.sha256.len(), 32 * 3 - 1);
    assert!((29..=30).contains(&info.days_left(now())));
    assert_eq!(
        folder::export(d.path(), "good").unwrap().as_bytes(),
        X509::from_pem(&p.cert_pem).unwrap().to_pem().unwrap()
    );
}

#[test]
fn the_fingerprint_sees_renames_and_ignores_temporary_files() {
    let d = tmp();
    put_pair(d.path(), "a", &pair(10));
    let dir = signing_dir(d.path());
    let f0 = watch::scan(&dir);
    std::fs::write(dir.join(".active.tmp-1"), "x").unwrap();
    std::fs::write(dir.join("notes.txt"), "x").unwrap();
    assert_eq!(watch::scan(&dir), f0);
    generate::write_atomic(&dir.join(ACTIVE_FILE), b"a\n", false).unwrap();
    let f1 = watch::scan(&dir);
    assert_ne!(f1, f0);
    generate::write_atomic(&dir.join(ACTIVE_FILE), b"a\n", false).unwrap();
    assert_ne!(watch::scan(&dir), f1, "same content, new inode");
}

#[tokio::test]
async fn the_watcher_reloads_after_a_promote_and_stops_when_told() {
    let d = tmp();
    put_pair(d.path(), "a", &pair(10));
    let p = pair(10);
    folder::add_pair(d.path(), "b", &p.cert_pem, &p.key_pem).unwrap();
    let store = Arc::new(KeyStore::load(d.path(), None).unwrap());
    let (tx, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(watch::run(store.clone(), rx));
    folder::promote(d.path(), "b", None).unwrap();
    let t = std::time::Instant::now();
    while store.active().name != "b" && t.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(store.active().name, "b", "reloaded within 5 s");
    // A broken change is not taken; the set in force stays.
    std::fs::write(signing_dir(d.path()).join("a.key"), "broken").unwrap();
    let t = std::time::Instant::now();
    while store.status().reload_failures == 0 && t.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let st = store.status();
    assert_eq!(st.reload_failures, 1, "{st:?}");
    assert_eq!(store.active().name, "b");
    assert_eq!(store.current().published().count(), 2);
    tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .expect("the watcher stops")
        .unwrap();
}

#[tokio::test]
async fn an_active_that_expires_while_running_hands_over_to_a_valid_backup() {
    let d = tmp();
    put_pair(d.path(), "later", &pair(30));
    let now = now();
    let soon = self_signed_at("soon", 2048, now - DAY, now + 6, &[]).unwrap();
    put_pair(d.path(), "soon", &soon);
    set_active(d.path(), "soon");
    let store = Arc::new(KeyStore::load(d.path(), None).unwrap());
    assert_eq!(store.active().name, "soon");
    let (tx, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(watch::run(store.clone(), rx));
    let t = std::time::Instant::now();
    while store.active().name != "later" && t.elapsed() < Duration::from_secs(15) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let st = store.status();
    assert_eq!(st.active, "later", "{st:?}");
    assert!(st.active_valid);
    assert_eq!(st.auto_promoted_from.as_deref(), Some("soon"));
    // It happened at the expiry, not before.
    assert!(super::now() >= now + 6);
    tx.send(true).unwrap();
    task.await.unwrap();
}
