//! The index on disk: opening it, building it from the posts, and applying the change
//! log to it.
//!
//! Layout under the search directory: `live/` is the index in use, `next/` a rebuild in
//! progress (swapped in by renames once complete, so an interrupted rebuild leaves the
//! old index as it was), and `madang.lock` the lock a node or the CLI holds while it
//! writes. Each commit carries a [`Mark`] as its payload: what of the change log the
//! committed documents include. A crash between commits loses nothing, because the
//! next start resumes from the last committed mark and applies the log again (applying
//! a change is idempotent: the post is read as it is now).

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use madang_domain::search::{Change, SearchDoc, SearchFeed};
use serde::{Deserialize, Serialize};
use tantivy::schema::Schema;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument};
use tokio::runtime::Handle;

use crate::schema::{Fields, SCHEMA_VERSION, document, id_term, schema};

/// A change not seen below the newest applied one may still commit (transactions
/// commit out of sequence order on MariaDB and PostgreSQL): for this long it is
/// looked for again, by the index and by every search.
const GAP_GRACE: Duration = Duration::from_secs(30);
/// A jump in sequence numbers wider than this is not a set of in-flight transactions
/// (sequences skip ahead after a server restart): its holes are not tracked.
const GAP_SPAN_MAX: i64 = 1_000;
/// Posts read per batch of a rebuild.
const BUILD_BATCH: u32 = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index: the database: {0}")]
    Feed(#[from] madang_domain::Error),
    #[error("the search index at {0} is in use by another Madang process")]
    Locked(PathBuf),
    #[error("the rebuild was interrupted; the previous index is unchanged")]
    Interrupted,
}

pub type IndexResult<T> = Result<T, IndexError>;

/// What of the change log a commit includes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Mark {
    pub schema: u32,
    pub generation: i64,
    /// Every change up to this sequence number is applied, but those in `gaps`.
    pub applied: i64,
    /// Sequence numbers below `applied` not seen yet (transactions still in flight).
    pub gaps: Vec<i64>,
}

/// A searcher and the mark its documents reflect.
pub(crate) struct Snapshot {
    pub searcher: Searcher,
    pub mark: Mark,
}

pub(crate) fn live_dir(dir: &Path) -> PathBuf {
    dir.join("live")
}

/// Takes the search directory's lock, or says who holds it.
pub(crate) fn lock(dir: &Path) -> IndexResult<File> {
    std::fs::create_dir_all(dir)?;
    let f = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("madang.lock"))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(IndexError::Locked(dir.to_path_buf())),
        Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
    }
}

fn reader(index: &Index) -> IndexResult<IndexReader> {
    Ok(index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?)
}

/// The live index and its mark, if there is a usable one of this schema.
pub(crate) fn open_live(dir: &Path) -> Option<(Index, Mark)> {
    let live = live_dir(dir);
    if !live.join("meta.json").exists() {
        return None;
    }
    let opened = Index::open_in_dir(&live).and_then(|i| i.load_metas().map(|m| (i, m)));
    match opened {
        Ok((index, meta)) => {
            let mark: Mark = meta
                .payload
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok())?;
            (mark.schema == SCHEMA_VERSION).then_some((index, mark))
        }
        Err(e) => {
            tracing::warn!(error = %e, dir = %live.display(), "search index unreadable; rebuilding it");
            None
        }
    }
}

fn commit(writer: &mut IndexWriter, mark: &Mark) -> IndexResult<()> {
    let payload = serde_json::to_string(mark).map_err(std::io::Error::other)?;
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&payload);
    prepared.commit()?;
    Ok(())
}

/// Progress of a rebuild: posts indexed so far, and how many there are.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// Builds the index of every active post into `next/` and swaps it in as `live/`.
///
/// The mark is the log's head when the build started, with the holes just below it
/// as gaps: a change logged after that point is applied again by the tailer.
pub(crate) fn rebuild(
    feed: &dyn SearchFeed,
    rt: &Handle,
    dir: &Path,
    threads: usize,
    memory: usize,
    progress: Progress<'_>,
    stop: &AtomicBool,
) -> IndexResult<(Index, Mark)> {
    let head = rt.block_on(feed.search_head())?;
    let total = u64::try_from(rt.block_on(feed.active_posts())?).unwrap_or(0);
    let recent = rt.block_on(feed.search_changes(
        (head.max_seq - GAP_SPAN_MAX).max(0),
        &[],
        GAP_SPAN_MAX as u32 + 1,
    ))?;
    let mut gaps = Vec::new();
    if let Some(first) = recent.first() {
        let seen: std::collections::HashSet<i64> = recent.iter().map(|c| c.seq).collect();
        gaps = (first.seq..head.max_seq)
            .filter(|s| !seen.contains(s))
            .collect();
    }
    let next = dir.join("next");
    if next.exists() {
        std::fs::remove_dir_all(&next)?;
    }
    std::fs::create_dir_all(&next)?;
    let (schema, fields) = schema();
    let index = Index::builder()
        .schema(schema)
        .settings(crate::schema::settings())
        .create_in_dir(&next)?;
    let mut writer: IndexWriter<TantivyDocument> =
        index.writer_with_num_threads(threads.max(1), memory)?;
    let (mut last, mut done) = (0_i64, 0_u64);
    progress(0, total);
    loop {
        if stop.load(Ordering::Relaxed) {
            drop(writer);
            let _ = std::fs::remove_dir_all(&next);
            return Err(IndexError::Interrupted);
        }
        let docs = rt.block_on(feed.search_docs_after(last, BUILD_BATCH))?;
        let Some(end) = docs.last().map(|d| d.id) else {
            break;
        };
        for d in &docs {
            writer.add_document(document(&fields, d))?;
        }
        last = end;
        done += docs.len() as u64;
        progress(done, total.max(done));
    }
    let mark = Mark {
        schema: SCHEMA_VERSION,
        generation: head.generation,
        applied: head.max_seq,
        gaps,
    };
    commit(&mut writer, &mark)?;
    writer.wait_merging_threads()?;
    let live = live_dir(dir);
    let old = dir.join("old");
    if old.exists() {
        std::fs::remove_dir_all(&old)?;
    }
    if live.exists() {
        std::fs::rename(&live, &old)?;
    }
    std::fs::rename(&next, &live)?;
    if old.exists() {
        std::fs::remove_dir_all(&old)?;
    }
    let index = Index::open_in_dir(&live)?;
    Ok((index, mark))
}

/// An open index that this process writes: applies the change log and publishes
/// snapshots.
pub(crate) struct Writer {
    writer: IndexWriter<TantivyDocument>,
    reader: IndexReader,
    fields: Fields,
    pub mark: Mark,
    /// When each gap was first seen.
    gap_seen: BTreeMap<i64, Instant>,
}

impl Writer {
    pub fn open(index: &Index, mark: Mark, memory: usize) -> IndexResult<Self> {
        let now = Instant::now();
        Ok(Self {
            writer: index.writer_with_num_threads(1, memory)?,
            reader: reader(index)?,
            fields: schema().1,
            gap_seen: mark.gaps.iter().map(|g| (*g, now)).collect(),
            mark,
        })
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            searcher: self.reader.searcher(),
            mark: self.mark.clone(),
        }
    }

    /// Applies `changes` (sequence order) with the posts as they are now (`docs`), and
    /// commits. Answers whether anything was committed.
    pub fn apply(&mut self, changes: &[Change], docs: &[SearchDoc]) -> IndexResult<bool> {
        let before = self.mark.clone();
        let now = Instant::now();
        for c in changes {
            if c.seq <= self.mark.applied {
                self.gap_seen.remove(&c.seq);
                continue;
            }
            if c.seq - self.mark.applied <= GAP_SPAN_MAX {
                for s in self.mark.applied + 1..c.seq {
                    self.gap_seen.insert(s, now);
                }
            }
            self.mark.applied = c.seq;
        }
        self.gap_seen
            .retain(|_, seen| now.duration_since(*seen) < GAP_GRACE);
        self.mark.gaps = self.gap_seen.keys().copied().collect();
        if changes.is_empty() {
            return Ok(self.mark != before);
        }
        let mut ids: Vec<i64> = changes.iter().map(|c| c.post_id).collect();
        ids.sort_unstable();
        ids.dedup();
        for id in &ids {
            self.writer.delete_term(id_term(&self.fields, *id));
        }
        for d in docs {
            self.writer.add_document(document(&self.fields, d))?;
        }
        commit(&mut self.writer, &self.mark)?;
        self.reader.reload()?;
        Ok(true)
    }
}

/// An index in RAM of a few posts: the changes a snapshot does not include yet, so a
/// search scores them exactly as the index would.
pub(crate) fn in_ram(docs: &[SearchDoc]) -> IndexResult<Searcher> {
    let (schema, fields): (Schema, Fields) = schema();
    let index = Index::builder()
        .schema(schema)
        .settings(crate::schema::settings())
        .create_in_ram()?;
    let mut writer: IndexWriter<TantivyDocument> = index.writer_with_num_threads(1, 15_000_000)?;
    for d in docs {
        writer.add_document(document(&fields, d))?;
    }
    writer.commit()?;
    Ok(reader(&index)?.searcher())
}

/// Bytes under `dir`.
pub(crate) fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}
