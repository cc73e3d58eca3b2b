//! The search pool: one worker thread per core runs every search, in order
//! of arrival; callers wait for their answer, or (async callers) are handed
//! it on a channel of their own.
//!
//! Searches are CPU-bound and callers run them on tokio's blocking pool,
//! which grows to hundreds of threads. Run there, under load, the kernel
//! shares two cores among all of them: most queries finish in a fraction of
//! a millisecond, the ones it preempts wait a hundred, and switching between
//! so many threads doubled the CPU time of a query in the benchmark. With the
//! pool, the workers never stop while work is queued, queries are answered
//! first come, first served, and the tail is short. One pool per process,
//! shared by every index; its threads live as long as the process.
//! Hand-written because std has no thread pool, and a crate for one would be
//! more than these lines.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::sync_channel;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;

type Job = Box<dyn FnOnce() + Send>;

struct Pool {
    queue: Mutex<VecDeque<Job>>,
    ready: Condvar,
    /// No worker could be started: jobs run on the caller's thread.
    inline: bool,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, VecDeque<Job>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn work(&self) {
        loop {
            let job = {
                let mut queue = self.lock();
                loop {
                    match queue.pop_front() {
                        Some(job) => break job,
                        None => {
                            queue = self
                                .ready
                                .wait(queue)
                                .unwrap_or_else(PoisonError::into_inner)
                        }
                    }
                }
            };
            // A panic in one search must not take the worker with it; the
            // caller sees its answer channel closed.
            let _ = catch_unwind(AssertUnwindSafe(job));
        }
    }
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<&'static Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let workers = thread::available_parallelism().map_or(1, |n| n.get());
        let shared = |inline| Pool {
            queue: Mutex::new(VecDeque::new()),
            ready: Condvar::new(),
            inline,
        };
        let pool: &'static Pool = Box::leak(Box::new(shared(false)));
        let mut started = 0;
        for i in 0..workers {
            match thread::Builder::new()
                .name(format!("cartable-search-{i}"))
                .spawn(move || pool.work())
            {
                Ok(_) => started += 1,
                Err(e) => tracing::error!(error = %e, "search pool: cannot start a worker"),
            }
        }
        if started == 0 {
            Box::leak(Box::new(shared(true)))
        } else {
            pool
        }
    })
}

/// Queues `job` on the pool without waiting (async callers hand it a
/// channel to answer on, and spare a blocking thread and its switches).
pub(crate) fn submit(job: impl FnOnce() + Send + 'static) {
    let pool = pool();
    if pool.inline {
        let _ = catch_unwind(AssertUnwindSafe(job));
        return;
    }
    pool.lock().push_back(Box::new(job));
    pool.ready.notify_one();
}

/// Runs `f` on the pool and waits for it; None if it panicked.
pub(crate) fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = sync_channel(1);
    submit(move || {
        let _ = tx.send(f());
    });
    rx.recv().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_jobs_and_survives_a_panic() {
        assert_eq!(run(|| 6 * 7), Some(42));
        #[allow(clippy::panic)]
        let panicked = run(|| -> u32 { panic!("a fault in one search") });
        assert_eq!(panicked, None);
        let answers: Vec<Option<usize>> = thread::scope(|s| {
            let handles: Vec<_> = (0..32)
                .map(|i| s.spawn(move || run(move || i * 2)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().ok().flatten())
                .collect()
        });
        assert_eq!(answers, (0..32).map(|i| Some(i * 2)).collect::<Vec<_>>());
    }
}
