//! Where the hottest endpoints do their work: one thread per core, first come first served.
//!
//! A token grant (client lookup, write transaction, signatures), a userinfo call (signature
//! check, two reads), a revocation, an introspection or a Cognito action's store work is
//! short CPU-bound work that also touches SQLite, so it must leave the async executor.
//! Tokio's blocking pool starts a thread per concurrent call (up to 512 per worker): 32
//! concurrent grants become 32 threads time-sliced on 2 cores in no particular order, and the
//! slowest 1% wait three times as long as the median. Here jobs queue in arrival order and
//! each runs to its end on one of `threads` threads; throughput is the same, the tail is not
//! (issue #7's p99 figures, docs/performance.md).
//!
//! Work that can take long stays on tokio's blocking pool, so that it never queues in front
//! of a grant: Argon2 (12 ms, behind its own gate), SRP big-number steps, mail, the hosted
//! pages' store work.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::store::StoreError;

pub struct RequestPool {
    /// A runtime used only for its blocking pool (bounded to `threads`, FIFO); None once
    /// dropped.
    runtime: Option<tokio::runtime::Runtime>,
    /// Jobs handed in and not started yet (`/metrics`).
    queued: Arc<AtomicUsize>,
}

impl RequestPool {
    /// `threads` = 0 means one per core.
    pub fn new(threads: usize) -> std::io::Result<RequestPool> {
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .max_blocking_threads(threads)
            .thread_name("incognito-request")
            .thread_keep_alive(Duration::from_secs(60))
            .build()?;
        Ok(RequestPool {
            runtime: Some(runtime),
            queued: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Jobs waiting for a thread now.
    pub fn queue_len(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Runs `f` on the pool when its turn comes.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce() -> Result<T, E> + Send + 'static,
    {
        let runtime = self.runtime.as_ref().ok_or(StoreError::Join)?;
        let queued = self.queued.clone();
        queued.fetch_add(1, Ordering::Relaxed);
        runtime
            .spawn_blocking(crate::logging::traced(move || {
                queued.fetch_sub(1, Ordering::Relaxed);
                crate::store::postgres::mark_blocking_thread();
                f()
            }))
            .await
            .map_err(|_| StoreError::Join)?
    }
}

impl Drop for RequestPool {
    fn drop(&mut self) {
        // Dropping a runtime waits for its threads, which is not allowed on an executor
        // thread (where the last AppState may go); queued jobs are abandoned either way.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_in_arrival_order_on_the_pool_threads() {
        let pool = std::sync::Arc::new(RequestPool::new(1).unwrap());
        let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut handles = Vec::new();
        for i in 0..20 {
            let (pool, order) = (pool.clone(), order.clone());
            handles.push(tokio::spawn(async move {
                pool.run(move || -> Result<(), StoreError> {
                    let name = std::thread::current().name().map(String::from);
                    assert_eq!(name.as_deref(), Some("incognito-request"));
                    order.lock().unwrap().push(i);
                    Ok(())
                })
                .await
            }));
            // Queue them one after the other.
            tokio::task::yield_now().await;
        }
        for h in handles {
            h.await.unwrap().unwrap();
        }
        let order = order.lock().unwrap().clone();
        assert_eq!(order.len(), 20);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(order, sorted, "one thread, first come first served");
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_and_the_pool_goes_on() {
        let pool = RequestPool::new(1).unwrap();
        let r: Result<(), StoreError> = pool.run(|| panic!("boom")).await;
        assert!(matches!(r, Err(StoreError::Join)));
        let r: Result<i32, StoreError> = pool.run(|| Ok(7)).await;
        assert_eq!(r.unwrap(), 7);
    }
}
