//! How many Kerberos accepts run at once.
//!
//! Owns [`Accepts`]: a GSSAPI accept (decrypting the ticket with the keytab, the replay cache)
//! blocks, so it runs on the blocking pool, and at most twice the cores of them at once
//! (a [`Bound`], as the users file's hashing), at most [`QUEUE`] more waiting up to [`WAIT`];
//! beyond, [`AuthError::Busy`] (the "busy" page). Without it every `Authorization: Negotiate`
//! header took a thread of the 512 the blocking pool has. The permit moves into the blocking
//! task, so an accept still counts when the request that asked for it is gone.

use crate::backend::bound::Bound;
use crate::backend::AuthError;
use std::time::Duration;

/// Accepts that may wait for a place; beyond, busy at once.
pub const QUEUE: usize = 128;
/// The longest an accept waits for a place.
pub const WAIT: Duration = Duration::from_secs(10);

pub struct Accepts {
    bound: Bound,
}

impl Accepts {
    /// `permits` accepts at once (at least 1).
    pub fn new(permits: usize) -> Accepts {
        Accepts {
            bound: Bound::new(permits, QUEUE, WAIT),
        }
    }

    /// Runs `work` on the blocking pool once a place is free; its value, or why not.
    pub async fn run<T, F>(&self, work: F) -> Result<T, AuthError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = self.bound.enter().await?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| AuthError::Unavailable(format!("GSSAPI: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Condvar, Mutex};

    /// Blocking work that counts itself in flight and waits until the test opens the gate.
    struct Gate {
        open: Mutex<bool>,
        cv: Condvar,
        now: AtomicUsize,
        peak: AtomicUsize,
    }

    impl Gate {
        fn work(self: &Arc<Self>) -> impl FnOnce() + Send + 'static {
            let g = self.clone();
            move || {
                let n = g.now.fetch_add(1, Ordering::SeqCst) + 1;
                g.peak.fetch_max(n, Ordering::SeqCst);
                let mut open = g.open.lock().unwrap();
                while !*open {
                    open = g.cv.wait(open).unwrap();
                }
                g.now.fetch_sub(1, Ordering::SeqCst);
            }
        }

        fn release(&self) {
            *self.open.lock().unwrap() = true;
            self.cv.notify_all();
        }
    }

    /// Opens the gate when dropped, also when an assertion fails: the runtime waits for the
    /// blocking tasks before the test can end.
    struct OpenAtEnd(Arc<Gate>);

    impl Drop for OpenAtEnd {
        fn drop(&mut self) {
            self.0.release();
        }
    }

    async fn until(what: impl Fn() -> bool) {
        for _ in 0..2000 {
            if what() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("not reached in 10 s");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_the_permits_run_and_a_dropped_request_keeps_its_place() {
        let accepts = Arc::new(Accepts::new(2));
        let gate = Arc::new(Gate {
            open: Mutex::new(false),
            cv: Condvar::new(),
            now: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        });
        let _open_at_end = OpenAtEnd(gate.clone());
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (a, w) = (accepts.clone(), gate.work());
            tasks.push(tokio::spawn(async move { a.run(w).await }));
        }
        until(|| gate.now.load(Ordering::SeqCst) >= 2).await;
        // Time for the others to start if nothing holds them back (none may: counted, not timed).
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(gate.peak.load(Ordering::SeqCst), 2, "accepts ran at once");
        // The requests are gone (client disconnected); the two running keep their places.
        for t in &tasks {
            t.abort();
        }
        for t in tasks {
            let _ = t.await;
        }
        assert_eq!(gate.now.load(Ordering::SeqCst), 2);
        let more = tokio::spawn({
            let (a, w) = (accepts.clone(), gate.work());
            async move { a.run(w).await }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            gate.peak.load(Ordering::SeqCst),
            2,
            "a third ran beside them"
        );
        gate.release();
        assert_eq!(more.await.unwrap(), Ok(()));
        assert_eq!(gate.peak.load(Ordering::SeqCst), 2);
    }
}
