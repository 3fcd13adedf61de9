//! The collector of a search: counts every match and keeps the best `limit` after the
//! cursor, in the list's order (its key, then id, both descending).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use madang_domain::Timestamp;
use madang_domain::listing::KeyValue;
use madang_domain::posts::PostSort;
use madang_domain::search::{SearchHit, hot_rank};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// A hit with a total order: key, then id.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ranked(pub SearchHit);

fn key_cmp(a: KeyValue, b: KeyValue) -> Ordering {
    match (a, b) {
        (KeyValue::Int(x), KeyValue::Int(y)) => x.cmp(&y),
        (KeyValue::Float(x), KeyValue::Float(y)) => x.total_cmp(&y),
        (KeyValue::Int(_), KeyValue::Float(_)) => Ordering::Less,
        (KeyValue::Float(_), KeyValue::Int(_)) => Ordering::Greater,
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        key_cmp(self.0.key, other.0.key).then(self.0.id.cmp(&other.0.id))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

/// What a search keeps: the best hits (best first) and how many matched in all.
#[derive(Debug, Default)]
pub(crate) struct Best {
    pub hits: Vec<Ranked>,
    pub count: u64,
}

impl Best {
    /// Merges two results, keeping the best `limit`.
    pub fn merge(mut self, other: Best, limit: usize) -> Best {
        self.hits.extend(other.hits);
        self.hits.sort_unstable_by(|a, b| b.cmp(a));
        self.hits.truncate(limit);
        self.count += other.count;
        self
    }
}

pub(crate) struct TopPosts {
    pub sort: PostSort,
    /// Only hits ranked below this one (the cursor's row).
    pub after: Option<Ranked>,
    pub limit: usize,
}

impl Collector for TopPosts {
    type Fruit = Best;
    type Child = SegmentTop;

    fn for_segment(
        &self,
        _ord: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentTop> {
        let ff = reader.fast_fields();
        Ok(SegmentTop {
            sort: self.sort,
            after: self.after,
            limit: self.limit,
            id: ff.u64("id")?,
            created: ff.i64("created")?,
            votes: ff.i64("votes")?,
            heap: BinaryHeap::with_capacity(self.limit.min(1024) + 1),
            count: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.sort == PostSort::Relevance
    }

    fn merge_fruits(&self, fruits: Vec<Best>) -> tantivy::Result<Best> {
        Ok(fruits
            .into_iter()
            .fold(Best::default(), |acc, b| acc.merge(b, self.limit)))
    }
}

pub(crate) struct SegmentTop {
    sort: PostSort,
    after: Option<Ranked>,
    limit: usize,
    id: Column<u64>,
    created: Column<i64>,
    votes: Column<i64>,
    heap: BinaryHeap<Reverse<Ranked>>,
    count: u64,
}

impl SegmentCollector for SegmentTop {
    type Fruit = Best;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.count += 1;
        let id = self.id.first(doc).map_or(0, |v| v as i64);
        let created = self.created.first(doc).unwrap_or(0);
        let key = match self.sort {
            PostSort::New => KeyValue::Int(created),
            PostSort::Top => KeyValue::Int(self.votes.first(doc).unwrap_or(0)),
            PostSort::Hot => KeyValue::Float(hot_rank(
                self.votes.first(doc).unwrap_or(0),
                Timestamp(created),
            )),
            PostSort::Relevance => KeyValue::Float(f64::from(score)),
        };
        let hit = Ranked(SearchHit { id, key });
        if self.after.is_some_and(|a| hit >= a) {
            return;
        }
        if self.heap.len() < self.limit {
            self.heap.push(Reverse(hit));
        } else if let Some(mut worst) = self.heap.peek_mut()
            && hit > worst.0
        {
            // Replacing the worst in place sifts once, where pop and push sift twice.
            *worst = Reverse(hit);
        }
    }

    fn harvest(self) -> Best {
        let mut hits: Vec<Ranked> = self.heap.into_iter().map(|Reverse(h)| h).collect();
        hits.sort_unstable_by(|a, b| b.cmp(a));
        Best {
            hits,
            count: self.count,
        }
    }
}
