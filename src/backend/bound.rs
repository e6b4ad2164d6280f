//! How much credential checking runs at once, and how long the rest may wait for it.
//!
//! Owns [`Bound`]: at most `permits` checks at once (argon2id hashes, or CIC logins in
//! flight), at most `queue` more waiting in arrival order, each for at most `wait`; a check
//! beyond the queue, or still waiting at the end of the wait, is [`AuthError::Busy`], which
//! the web layer answers with a 503 "busy, try again" page. It bounds memory and CIC
//! sessions, not who may log in: the throttle does that.

use super::AuthError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub struct Bound {
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
    wait: Duration,
}

/// Leaves the queue when dropped, whichever way the wait ended.
struct InQueue<'a>(&'a AtomicUsize);

impl Drop for InQueue<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Bound {
    /// `permits` at once (at least 1), `queue` waiting, each up to `wait`.
    pub fn new(permits: usize, queue: usize, wait: Duration) -> Bound {
        Bound {
            permits: Arc::new(Semaphore::new(permits.max(1))),
            waiting: AtomicUsize::new(0),
            queue,
            wait,
        }
    }

    /// Twice the processors the process may use: the default for CPU-bound hashing.
    pub fn twice_the_cores() -> usize {
        std::thread::available_parallelism().map_or(2, |n| n.get() * 2)
    }

    /// A permit to run one check; it is given back when dropped (move it into a blocking
    /// task so that the bound holds for as long as the work runs, even if the request is gone).
    pub async fn enter(&self) -> Result<OwnedSemaphorePermit, AuthError> {
        if let Ok(p) = self.permits.clone().try_acquire_owned() {
            return Ok(p);
        }
        let ahead = self.waiting.fetch_add(1, Ordering::SeqCst);
        let _in_queue = InQueue(&self.waiting);
        if ahead >= self.queue {
            return Err(AuthError::Busy);
        }
        match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(p)) => Ok(p),
            // Timed out, or the semaphore closed (never done): busy either way.
            _ => Err(AuthError::Busy),
        }
    }

    /// Checks running now (for tests and metrics).
    pub fn in_use(&self, configured: usize) -> usize {
        configured.max(1) - self.permits.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn admits_up_to_the_permits_queues_up_to_the_queue_then_busy() {
        let b = Arc::new(Bound::new(2, 1, Duration::from_millis(200)));
        let p1 = b.enter().await.unwrap();
        let _p2 = b.enter().await.unwrap();
        assert_eq!(b.in_use(2), 2);
        // One may wait: it gets the permit p1 gives back.
        let waiter = tokio::spawn({
            let b = b.clone();
            async move { b.enter().await.map(drop) }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        // The queue is full: refused at once.
        assert_eq!(b.enter().await.err(), Some(AuthError::Busy));
        drop(p1);
        assert_eq!(waiter.await.unwrap(), Ok(()));
        // Nobody gives a permit back: the waiter is refused after the wait.
        let _p3 = b.enter().await.unwrap();
        let started = std::time::Instant::now();
        assert_eq!(b.enter().await.err(), Some(AuthError::Busy));
        assert!(started.elapsed() >= Duration::from_millis(200));
        assert_eq!(b.waiting.load(Ordering::SeqCst), 0);
    }
}
