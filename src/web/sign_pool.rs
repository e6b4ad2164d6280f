//! The signing pool: a fixed set of threads, one per core, that do the RSA work of answers.
//!
//! Owns running CPU-bound signing off the async executor without tokio's general blocking
//! pool, which would grow to hundreds of threads under load (each signing a little slower
//! than the last, all fighting for the same cores) and pays a lock and a thread wake-up per
//! job. Jobs wait in one FIFO queue, so under load every answer waits its turn and latency
//! stays even. A job that panics is reported as an error; its thread carries on. The threads
//! end when the pool is dropped. What a job does is the caller's business.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use thiserror::Error;

type Job = Box<dyn FnOnce() + Send + 'static>;

#[derive(Debug, Error)]
pub enum PoolError {
    #[error("the signing pool has stopped")]
    Stopped,
    #[error("a signing job panicked")]
    Panicked,
}

pub struct SignPool {
    jobs: Sender<Job>,
    threads: usize,
}

impl std::fmt::Debug for SignPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SignPool({} threads)", self.threads)
    }
}

impl SignPool {
    /// A pool of `threads` threads (at least one).
    pub fn new(threads: usize) -> SignPool {
        let threads = threads.max(1);
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let mut started = 0;
        for i in 0..threads {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("idp-sign-{i}"))
                .spawn(move || work(&rx));
            match spawned {
                Ok(_) => started += 1,
                Err(e) => tracing::error!("could not start signing thread {i}: {e}"),
            }
        }
        SignPool {
            jobs: tx,
            threads: started,
        }
    }

    /// One thread per core the process may use.
    pub fn per_core() -> SignPool {
        SignPool::new(std::thread::available_parallelism().map_or(2, usize::from))
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `f` on the pool and waits (asynchronously) for its result.
    pub async fn run<T, F>(&self, f: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let r = catch_unwind(AssertUnwindSafe(f)).map_err(|_| PoolError::Panicked);
            let _ = tx.send(r);
        });
        if self.threads == 0 || self.jobs.send(job).is_err() {
            return Err(PoolError::Stopped);
        }
        rx.await.map_err(|_| PoolError::Stopped)?
    }
}

fn work(rx: &Mutex<Receiver<Job>>) {
    loop {
        // The lock is held only while waiting for a job, never while running one.
        let job = {
            let rx = rx.lock().unwrap_or_else(|p| p.into_inner());
            rx.recv()
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_jobs_and_survives_a_panic() {
        let pool = Arc::new(SignPool::new(2));
        assert_eq!(pool.threads(), 2);
        assert_eq!(pool.run(|| 6 * 7).await.unwrap(), 42);
        let boom = pool.run(|| -> u8 { panic!("boom") }).await;
        assert!(matches!(boom, Err(PoolError::Panicked)));
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let pool = pool.clone();
                tokio::spawn(async move { pool.run(move || i * 2).await.unwrap() })
            })
            .collect();
        for (i, t) in tasks.into_iter().enumerate() {
            assert_eq!(t.await.unwrap(), i * 2);
        }
    }
}
