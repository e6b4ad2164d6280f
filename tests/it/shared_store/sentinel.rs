//! Sentinel: the instances ask a Redis Sentinel for the master (`store.sentinels`,
//! `store.sentinel_master`) and share their state through it.

use super::*;

/// A Sentinel (`redis-server --sentinel`) watching `redis` as master `idp`.
struct Sentinel {
    child: Child,
    port: u16,
}

impl Sentinel {
    fn start(dir: &Path, redis: &Redis) -> Sentinel {
        let port = free_port();
        let conf = dir.join("sentinel.conf");
        std::fs::write(
            &conf,
            format!(
                "port {port}\nbind 127.0.0.1\nsentinel monitor idp 127.0.0.1 {} 1\nsentinel auth-pass idp {}\n",
                redis.port, redis.password
            ),
        )
        .unwrap();
        let child = Command::new("redis-server")
            .arg(&conf)
            .arg("--sentinel")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs as a Sentinel");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the Sentinel did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Sentinel { child, port }
    }
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn through_a_sentinel_the_pair_finds_the_master_and_shares() {
    let redis = Redis::start();
    let fx = Fixture::new();
    let sentinel = Sentinel::start(fx.path(), &redis);
    let pw = fx.path().join("redis.password");
    std::fs::write(&pw, format!("{}\n", redis.password)).unwrap();
    let store = format!(
        "[store]\ntype = \"redis\"\nsentinels = [\"127.0.0.1:{}\"]\nsentinel_master = \"idp\"\npassword_file = \"{}\"\n",
        sentinel.port,
        pw.display()
    );
    let (a, b) = pair(&fx, &store, "").await;
    let replay = replayed_to_b(&a, &b).await;
    assert_eq!(
        replay.status, 400,
        "B accepted A's used form: {}",
        replay.body
    );
    // The entry is in the master the Sentinel named.
    assert_ne!(redis.command("DBSIZE").as_deref(), Some(":0"));
    a.stop().await;
    b.stop().await;
}
