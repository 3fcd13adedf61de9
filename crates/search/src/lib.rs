//! Madang's search index: tantivy, embedded in every node, behind the domain's
//! [`PostSearch`] port.
//!
//! Each node keeps its own index under its data directory and tails the database's
//! change log (`search_changes`, written in the same transaction as every post write)
//! from a thread of its own. A search is exact as of the database, not of the index:
//! it reads the log's entries the index has not applied yet, leaves those posts out of
//! the index's answer, and scores their current rows in a small in-memory index of the
//! same schema, so a write shows in the writer's very next search on every node. An
//! index that is being built, or is too far behind to answer that way, answers
//! `unavailable` (503 with `Retry-After`), and `/health/ready` names it.

mod admin;
mod collect;
mod follow;
mod index;
mod query;
mod schema;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use madang_domain::cache::{Entry, read_through};
use madang_domain::ports::Cache;
use madang_domain::search::{
    COUNT_CAP, Change, PostSearch, SearchFeed, SearchHit, SearchHits, SearchRequest,
};
use madang_domain::{Error, Result};
use tantivy::Searcher;
use tokio::runtime::Handle;

pub use crate::admin::{Status, reindex, status};
use crate::collect::{Best, Ranked, TopPosts};
pub use crate::index::{IndexError, Mark, Progress};
use crate::index::{Snapshot, in_ram, lock};
use crate::query::Fixed;

/// More unapplied changes than this, and a search waits for the index (503).
const PENDING_MAX: u32 = 2_000;
/// Members whose name matches one term, at most (an author-name match beyond is not
/// found; names are short, so a term matching this many is a letter or two).
const AUTHORS_MAX: u32 = 5_000;
/// How often the node reads the database's generation and purge mark.
const HEAD_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct SearchSettings {
    /// Where this node keeps its index.
    pub dir: PathBuf,
    /// How often the change log is read.
    pub poll: Duration,
    /// The live writer's memory budget.
    pub writer_memory: usize,
}

enum State {
    /// Not started (a CLI command, or a node that serves no API).
    Idle,
    Building {
        done: u64,
        total: u64,
    },
    Ready(Arc<Snapshot>),
    Stopped,
}

/// Unapplied changes scored in RAM, kept while the log does not move.
struct PendingCache {
    key: (i64, i64, usize),
    searcher: Searcher,
}

struct Inner {
    feed: Arc<dyn SearchFeed>,
    /// Holds which members' names match a term (`Entry::authors_named`).
    cache: Arc<dyn Cache>,
    settings: SearchSettings,
    fields: schema::Fields,
    state: RwLock<State>,
    pending: Mutex<Option<PendingCache>>,
    stop: AtomicBool,
    /// Changes the index was behind the log at its last look (every `HEAD_EVERY`).
    behind: AtomicI64,
}

/// The search index of this node: the [`PostSearch`] port, a readiness probe, and the
/// thread that keeps it in step.
#[derive(Clone)]
pub struct SearchIndex {
    inner: Arc<Inner>,
}

impl SearchIndex {
    /// The index of `settings.dir`, not opened yet: searches answer `unavailable` until
    /// [`SearchIndex::start`].
    pub fn new(feed: Arc<dyn SearchFeed>, cache: Arc<dyn Cache>, settings: SearchSettings) -> Self {
        Self {
            inner: Arc::new(Inner {
                feed,
                cache,
                settings,
                fields: schema::schema().1,
                state: RwLock::new(State::Idle),
                pending: Mutex::new(None),
                stop: AtomicBool::new(false),
                behind: AtomicI64::new(0),
            }),
        }
    }

    /// Opens (or builds, in the background) the index and starts following the change
    /// log, on a thread of its own. Fails at once if another process holds the directory.
    /// Must be called inside the Tokio runtime the database pools run on.
    pub fn start(&self) -> Result<(), IndexError> {
        let lock = lock(&self.inner.settings.dir)?;
        set_state(&self.inner, State::Building { done: 0, total: 0 });
        let rt = Handle::current();
        let inner = self.inner.clone();
        std::thread::Builder::new()
            .name("madang-search".into())
            .spawn(move || {
                let _lock = lock;
                follow::follow(&inner, &rt, &inner.settings);
                set_state(&inner, State::Stopped);
            })?;
        Ok(())
    }

    /// Waits up to `limit` for the index to be ready; answers whether it is. A small
    /// board's index is built in well under a second, so a node can wait for it before
    /// it takes requests; a large one's build goes on while the node serves.
    pub async fn wait_ready(&self, limit: Duration) -> bool {
        let until = Instant::now() + limit;
        loop {
            if self.readiness().is_ok() {
                return true;
            }
            if Instant::now() >= until || matches!(&*read_state(&self.inner), State::Stopped) {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the thread that follows the log (at its next step).
    pub fn stop(&self) {
        self.inner.stop.store(true, Ordering::Relaxed);
    }

    /// `Ok` while searches can be answered; otherwise why not.
    pub fn readiness(&self) -> Result<()> {
        match &*read_state(&self.inner) {
            State::Ready(_)
                if self.inner.behind.load(Ordering::Relaxed) > i64::from(PENDING_MAX) =>
            {
                Err(Error::Unavailable(
                    "search index is catching up with the database".into(),
                ))
            }
            State::Ready(_) => Ok(()),
            State::Building { done, total } => Err(Error::Unavailable(format!(
                "search index is being built ({done} of {total} posts)"
            ))),
            State::Stopped => Err(Error::Unavailable("search index is stopped".into())),
            State::Idle => Err(Error::Unavailable("search index is not started".into())),
        }
    }

    fn snapshot(&self) -> Result<Arc<Snapshot>> {
        self.readiness()?;
        match &*read_state(&self.inner) {
            State::Ready(s) => Ok(s.clone()),
            _ => Err(Error::Unavailable("search index is not ready".into())),
        }
    }

    /// The in-memory index of the unapplied changes' posts.
    async fn pending_searcher(
        &self,
        snap: &Snapshot,
        changes: &[Change],
        ids: &[i64],
    ) -> Result<Searcher> {
        let key = (
            snap.mark.applied,
            changes.last().map_or(0, |c| c.seq),
            changes.len(),
        );
        if let Some(c) = lock_pending(&self.inner).as_ref().filter(|c| c.key == key) {
            return Ok(c.searcher.clone());
        }
        let docs = self.inner.feed.search_docs(ids).await?;
        let searcher = tokio::task::spawn_blocking(move || in_ram(&docs))
            .await
            .map_err(Error::internal)?
            .map_err(Error::internal)?;
        *lock_pending(&self.inner) = Some(PendingCache {
            key,
            searcher: searcher.clone(),
        });
        Ok(searcher)
    }
}

fn read_state(inner: &Inner) -> std::sync::RwLockReadGuard<'_, State> {
    inner
        .state
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn set_state(inner: &Inner, s: State) {
    *inner
        .state
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = s;
}

fn lock_pending(inner: &Inner) -> std::sync::MutexGuard<'_, Option<PendingCache>> {
    inner
        .pending
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn run_query(
    searcher: &Searcher,
    query: &dyn tantivy::query::Query,
    collector: &TopPosts,
) -> Result<Best> {
    let collector = TopPosts {
        sorted: schema::sorted_newest_first(searcher.index()),
        ..collector.clone()
    };
    collect::search(searcher, query, &collector, &Fixed, COUNT_CAP as u64).map_err(Error::internal)
}

#[async_trait]
impl PostSearch for SearchIndex {
    async fn search(&self, req: &SearchRequest<'_>) -> Result<SearchHits> {
        let started = Instant::now();
        let snap = self.snapshot()?;
        let feed = &self.inner.feed;
        let (generation, changes) = feed
            .search_pending(snap.mark.applied, &snap.mark.gaps, PENDING_MAX + 1)
            .await?;
        if generation != snap.mark.generation {
            // Posts were bulk-written around the change log: this node's thread
            // rebuilds the index (within `HEAD_EVERY`); until then no exact answer.
            return Err(Error::Unavailable(
                "search index is being rebuilt after a bulk load".into(),
            ));
        }
        if changes.len() > PENDING_MAX as usize {
            return Err(Error::Unavailable(
                "search index is catching up with the database".into(),
            ));
        }
        let mut pending: Vec<i64> = changes.iter().map(|c| c.post_id).collect();
        pending.sort_unstable();
        pending.dedup();
        let mut authors = Vec::with_capacity(req.query.terms().len());
        for term in req.query.term_strings() {
            let ids: Vec<i64> = read_through(
                self.inner.cache.as_ref(),
                Entry::authors_named(&term),
                || feed.authors_matching(&term, AUTHORS_MAX),
            )
            .await?;
            authors.push(ids);
        }
        let offset = usize::try_from(req.page.offset()).unwrap_or(usize::MAX);
        let size = req.page.size as usize;
        let collector = TopPosts {
            categories: req.category_ids.map(|c| {
                let mut v: Vec<u64> = c.iter().map(|i| i.unsigned_abs()).collect();
                v.sort_unstable();
                v.into()
            }),
            sort: req.sort,
            after: req.page.after.map(|c| {
                Ranked(SearchHit {
                    id: c.id,
                    key: c.key,
                })
            }),
            limit: offset.saturating_add(size + 1),
            sorted: false,
        };
        let fields = self.inner.fields;
        let main = query::build(&fields, req, &authors, &pending);
        let fresh = (!pending.is_empty()).then(|| query::build(&fields, req, &authors, &[]));
        let extra = match &fresh {
            Some(_) => Some(self.pending_searcher(&snap, &changes, &pending).await?),
            None => None,
        };
        let best = tokio::task::spawn_blocking(move || -> Result<Best> {
            let mut best = run_query(&snap.searcher, &main, &collector)?;
            if let (Some(q), Some(s)) = (fresh, extra) {
                best = best.merge(run_query(&s, &q, &collector)?, collector.limit);
            }
            Ok(best)
        })
        .await
        .map_err(Error::internal)??;
        let total = i64::try_from(best.count).unwrap_or(i64::MAX);
        metrics::histogram!("madang_search_duration_seconds")
            .record(started.elapsed().as_secs_f64());
        Ok(SearchHits {
            hits: best
                .hits
                .into_iter()
                .skip(offset)
                .take(size + 1)
                .map(|r| r.0)
                .collect(),
            total: total.min(COUNT_CAP),
            capped: total > COUNT_CAP,
        })
    }
}
