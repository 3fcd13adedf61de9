//! What the `madang search` commands do: read an index's status, rebuild one.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use madang_domain::search::SearchFeed;
use tokio::runtime::Handle;

use crate::index::{IndexError, Mark, Progress, dir_size, lock, open_live, rebuild};

/// What `madang search status` prints.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    pub dir: PathBuf,
    pub built: bool,
    pub documents: u64,
    pub bytes: u64,
    pub applied: i64,
    /// Changes logged after the index's mark.
    pub lag: i64,
    /// False when the posts were bulk-written since (the index will be rebuilt).
    pub current: bool,
}

/// The state of the index under `dir`, read without disturbing a node that writes it.
pub fn status(feed: &dyn SearchFeed, rt: &Handle, dir: &Path) -> Result<Status, IndexError> {
    let head = rt.block_on(feed.search_head())?;
    let bytes = dir_size(dir);
    Ok(match open_live(dir) {
        Some((index, mark)) => Status {
            dir: dir.to_path_buf(),
            built: true,
            documents: index.reader()?.searcher().num_docs(),
            bytes,
            applied: mark.applied,
            lag: (head.max_seq - mark.applied).max(0),
            current: mark.generation == head.generation && mark.applied + 1 >= head.purged_below,
        },
        None => Status {
            dir: dir.to_path_buf(),
            built: false,
            documents: 0,
            bytes,
            applied: 0,
            lag: head.max_seq,
            current: false,
        },
    })
}

/// Rebuilds the index under `dir` from the database (`madang search reindex`). Refuses
/// while a node holds the directory; `stop` interrupts it, leaving the old index.
pub fn reindex(
    feed: &dyn SearchFeed,
    rt: &Handle,
    dir: &Path,
    progress: Progress<'_>,
    stop: &AtomicBool,
) -> Result<Mark, IndexError> {
    let _lock = lock(dir)?;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4);
    let (_, mark) = rebuild(feed, rt, dir, threads, 400_000_000, progress, stop)?;
    Ok(mark)
}
