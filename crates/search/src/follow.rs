//! The thread that keeps a node's index in step: opens it (or builds it), then applies
//! the change log every poll, rebuilding when the database says the index is stale.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::runtime::Handle;

use crate::index::{IndexError, Mark, Writer, open_live, rebuild};
use crate::{HEAD_EVERY, Inner, SearchSettings, State, set_state};

/// The thread's work: open or build the index, then apply the log until stopped.
pub(crate) fn follow(inner: &Inner, rt: &Handle, settings: &SearchSettings) {
    let mut last_error: Option<Instant> = None;
    while !inner.stop.load(Ordering::Relaxed) {
        match follow_once(inner, rt, settings) {
            Ok(()) => return,
            Err(IndexError::Interrupted) => return,
            Err(e) => {
                // Logged at most every 10 s; the loop retries (the database may be down).
                if last_error.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                    tracing::error!(error = %e, "search index stopped following the database; retrying");
                    last_error = Some(Instant::now());
                }
                metrics::counter!("madang_search_errors_total").increment(1);
                sleep_unless_stopped(inner, Duration::from_secs(1));
            }
        }
    }
}

fn sleep_unless_stopped(inner: &Inner, d: Duration) {
    let until = Instant::now() + d;
    while Instant::now() < until && !inner.stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50).min(d));
    }
}

fn follow_once(inner: &Inner, rt: &Handle, settings: &SearchSettings) -> Result<(), IndexError> {
    let feed = inner.feed.as_ref();
    let head = rt.block_on(feed.search_head())?;
    let (index, mark) = match open_live(&settings.dir) {
        Some((i, m)) if m.generation == head.generation && m.applied + 1 >= head.purged_below => {
            (i, m)
        }
        _ => build(inner, rt, settings)?,
    };
    let mut w = Writer::open(&index, mark, settings.writer_memory)?;
    set_state(inner, State::Ready(Arc::new(w.snapshot())));
    tracing::info!(
        applied = w.mark.applied,
        docs = w.snapshot().searcher.num_docs(),
        "search index ready"
    );
    let mut head_read = Instant::now();
    while !inner.stop.load(Ordering::Relaxed) {
        if head_read.elapsed() >= HEAD_EVERY {
            let head = rt.block_on(feed.search_head())?;
            head_read = Instant::now();
            let behind = (head.max_seq - w.mark.applied).max(0);
            inner.behind.store(behind, Ordering::Relaxed);
            metrics::gauge!("madang_search_lag").set(behind as f64);
            if head.generation != w.mark.generation || w.mark.applied + 1 < head.purged_below {
                tracing::warn!(
                    "posts changed around the change log (or it was purged past this index): rebuilding"
                );
                drop(w);
                let (index, mark) = build(inner, rt, settings)?;
                w = Writer::open(&index, mark, settings.writer_memory)?;
                set_state(inner, State::Ready(Arc::new(w.snapshot())));
                continue;
            }
        }
        let changes = rt.block_on(feed.search_changes(w.mark.applied, &w.mark.gaps, 1_000))?;
        let mut ids: Vec<i64> = changes.iter().map(|c| c.post_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let docs = rt.block_on(feed.search_docs(&ids))?;
        if w.apply(&changes, &docs)? {
            metrics::counter!("madang_search_changes_applied_total")
                .increment(changes.len() as u64);
            set_state(inner, State::Ready(Arc::new(w.snapshot())));
        }
        if changes.len() < 1_000 {
            sleep_unless_stopped(inner, settings.poll);
        }
    }
    Ok(())
}

fn build(
    inner: &Inner,
    rt: &Handle,
    settings: &SearchSettings,
) -> Result<(tantivy::Index, Mark), IndexError> {
    set_state(inner, State::Building { done: 0, total: 0 });
    let started = Instant::now();
    let progress = |done, total| set_state(inner, State::Building { done, total });
    let built = rebuild(
        inner.feed.as_ref(),
        rt,
        &settings.dir,
        1,
        settings.writer_memory.max(50_000_000),
        &progress,
        &inner.stop,
    )?;
    tracing::info!(secs = started.elapsed().as_secs_f64(), "search index built");
    Ok(built)
}
