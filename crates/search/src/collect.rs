//! The collector of a search: counts every match and keeps the best `limit` after the
//! cursor, in the list's order (its key, then id, both descending).

use std::cmp::Ordering;
use std::sync::Arc;

use madang_domain::Timestamp;
use madang_domain::listing::KeyValue;
use madang_domain::posts::PostSort;
use madang_domain::search::{SearchHit, hot_rank};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Cardinality, Column, ColumnValues};
use tantivy::query::{Bm25StatisticsProvider, EnableScoring, Query};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentOrdinal, SegmentReader, TERMINATED};

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

#[derive(Debug, Clone)]
pub(crate) struct TopPosts {
    /// Only posts in these categories (sorted), read from the `category` fast field: a
    /// union of a board's category postings, intersected with a keyword's, cost more
    /// than looking at the category of each match.
    pub categories: Option<Arc<[u64]>>,
    pub sort: PostSort,
    /// Only hits ranked below this one (the cursor's row).
    pub after: Option<Ranked>,
    pub limit: usize,
    /// The segments keep their documents newest first (`schema::settings`).
    pub sorted: bool,
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
            categories: self.categories.clone(),
            category: Values::of(ff.u64("category")?),
            id: Values::of(ff.u64("id")?),
            created: Values::of(ff.i64("created")?),
            votes: Values::of(ff.i64("votes")?),
            kept: Vec::with_capacity(2 * self.limit.min(1024)),
            floor: None,
            newest_first: self.sorted && self.sort == PostSort::New,
            cut: None,
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

/// A fast field's values. Every document has exactly one value of each of Madang's
/// fast fields, so the column is read directly, without its optional-value index.
enum Values<T> {
    Full(Arc<dyn ColumnValues<T>>),
    Sparse(Column<T>),
}

impl<T: PartialOrd + Copy + std::fmt::Debug + Send + Sync + 'static + Default> Values<T> {
    fn of(c: Column<T>) -> Self {
        match c.get_cardinality() {
            Cardinality::Full => Self::Full(c.values),
            _ => Self::Sparse(c),
        }
    }

    fn get(&self, doc: DocId) -> T {
        match self {
            Self::Full(v) => v.get_val(doc),
            Self::Sparse(c) => c.first(doc).unwrap_or_default(),
        }
    }
}

pub(crate) struct SegmentTop {
    categories: Option<Arc<[u64]>>,
    category: Values<u64>,
    sort: PostSort,
    after: Option<Ranked>,
    limit: usize,
    id: Values<u64>,
    created: Values<i64>,
    votes: Values<i64>,
    /// Candidates, at most `2 × limit`; pruned to the best `limit` when full.
    kept: Vec<Ranked>,
    /// The worst hit kept at the last pruning: nothing at or below it can enter.
    floor: Option<Ranked>,
    /// A newest-first list over a segment sorted newest first: once `limit` hits are
    /// kept, the first older document ends the ranking, and the rest are only counted.
    newest_first: bool,
    /// Set once the ranking of this segment is over.
    cut: Option<()>,
    count: u64,
}

impl SegmentTop {
    /// `collect` for a newest-first list over a segment sorted newest first: documents
    /// arrive in the list's order but for ties of `created`, which are ordered by id
    /// when harvested.
    fn collect_newest_first(&mut self, doc: DocId) {
        let created = self.created.get(doc);
        if self.kept.len() >= self.limit
            && let Some(last) = self.kept.last()
            && KeyValue::Int(created) != last.0.key
        {
            self.cut = Some(());
            return;
        }
        let hit = Ranked(SearchHit {
            id: self.id.get(doc) as i64,
            key: KeyValue::Int(created),
        });
        if self.after.is_some_and(|a| hit >= a) {
            return;
        }
        self.kept.push(hit);
    }

    /// Keeps the best `limit` candidates. A binary heap would sift on nearly every
    /// document, because a segment's documents arrive oldest first and each is newer
    /// than the worst kept; collecting and selecting in bulk costs O(1) a document.
    fn prune(&mut self) {
        if self.kept.len() > self.limit {
            self.kept
                .select_nth_unstable_by(self.limit - 1, |a, b| b.cmp(a));
            self.kept.truncate(self.limit);
        }
        self.floor = self.kept.iter().min().copied();
    }
}

impl SegmentCollector for SegmentTop {
    type Fruit = Best;

    fn collect(&mut self, doc: DocId, score: Score) {
        if let Some(c) = &self.categories
            && c.binary_search(&self.category.get(doc)).is_err()
        {
            return;
        }
        self.count += 1;
        if self.cut.is_some() {
            return;
        }
        if self.newest_first {
            self.collect_newest_first(doc);
            return;
        }
        let key = match self.sort {
            // The index holds no view counts: the domain refuses `views` with a keyword.
            PostSort::New | PostSort::Views => KeyValue::Int(self.created.get(doc)),
            PostSort::Top => KeyValue::Int(self.votes.get(doc)),
            PostSort::Hot => KeyValue::Float(hot_rank(
                self.votes.get(doc),
                Timestamp(self.created.get(doc)),
            )),
            PostSort::Relevance => KeyValue::Float(f64::from(score)),
        };
        let hit = Ranked(SearchHit {
            id: self.id.get(doc) as i64,
            key,
        });
        if self.after.is_some_and(|a| hit >= a) || self.floor.is_some_and(|f| hit <= f) {
            return;
        }
        self.kept.push(hit);
        if self.kept.len() >= 2 * self.limit {
            self.prune();
        }
    }

    fn harvest(mut self) -> Best {
        self.prune();
        let mut hits = self.kept;
        hits.sort_unstable_by(|a, b| b.cmp(a));
        Best {
            hits,
            count: self.count,
        }
    }
}

/// Runs `query` with `top` over the segments in turn, and stops as soon as nothing left
/// can change the answer: this segment's ranking is over (a newest-first list over a
/// sorted segment) and more than `cap` matches are counted, so the total is "capped".
/// For a common keyword that is a few thousand documents instead of all its matches.
/// Every other order sees every match.
pub(crate) fn search(
    searcher: &Searcher,
    query: &dyn Query,
    top: &TopPosts,
    stats: &dyn Bm25StatisticsProvider,
    cap: u64,
) -> tantivy::Result<Best> {
    let scoring = if top.requires_scoring() {
        EnableScoring::enabled_from_statistics_provider(stats, searcher)
    } else {
        EnableScoring::disabled_from_searcher(searcher)
    };
    let weight = query.weight(scoring)?;
    let mut best = Best::default();
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let mut seg = top.for_segment(ord as SegmentOrdinal, reader)?;
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                let score = if top.requires_scoring() {
                    scorer.score()
                } else {
                    0.0
                };
                seg.collect(doc, score);
                if seg.cut.is_some() && best.count + seg.count > cap {
                    break;
                }
            }
            doc = scorer.advance();
        }
        best = best.merge(seg.harvest(), top.limit);
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use madang_domain::search::SearchDoc;
    use tantivy::query::AllQuery;

    use super::*;

    fn doc(id: i64, created: i64, votes: i64) -> SearchDoc {
        SearchDoc {
            id,
            category_id: 1,
            author_id: Some(1),
            title: "t".into(),
            content: "c".into(),
            created_at: Timestamp(created),
            vote_count: votes,
            sentiment: None,
        }
    }

    #[test]
    fn a_newest_first_search_stops_once_ranked_and_past_the_cap() {
        let docs: Vec<SearchDoc> = (1..=500).map(|i| doc(i, (i * 7919) % 211, 0)).collect();
        let searcher = crate::index::in_ram(&docs).unwrap();
        let mut want: Vec<Ranked> = docs
            .iter()
            .map(|d| {
                Ranked(SearchHit {
                    id: d.id,
                    key: KeyValue::Int(d.created_at.millis()),
                })
            })
            .collect();
        want.sort_unstable_by(|a, b| b.cmp(a));
        let top = TopPosts {
            categories: None,
            sort: PostSort::New,
            after: None,
            limit: 21,
            sorted: true,
        };
        let ids = |v: &[Ranked]| v.iter().map(|r| r.0.id).collect::<Vec<_>>();
        let got = search(&searcher, &AllQuery, &top, &crate::query::Fixed, 50).unwrap();
        assert_eq!(ids(&got.hits), ids(&want[..21]));
        assert!(got.count > 50 && got.count < 500, "{}", got.count);
        // Under the cap the count is exact; other orders always count everything.
        let got = search(&searcher, &AllQuery, &top, &crate::query::Fixed, 10_000).unwrap();
        assert_eq!(got.count, 500);
        let votes = TopPosts {
            sort: PostSort::Top,
            ..top.clone()
        };
        let got = search(&searcher, &AllQuery, &votes, &crate::query::Fixed, 50).unwrap();
        assert_eq!(got.count, 500);
    }

    #[test]
    fn keeps_the_best_in_order_past_many_prunings_and_counts_all() {
        // Created times out of id order and repeated, votes with many ties.
        let docs: Vec<SearchDoc> = (1..=500).map(|i| doc(i, (i * 7919) % 211, i % 5)).collect();
        let searcher = crate::index::in_ram(&docs).unwrap();
        assert!(crate::schema::sorted_newest_first(searcher.index()));
        for sort in [PostSort::New, PostSort::Top, PostSort::Hot] {
            let key = |d: &SearchDoc| match sort {
                PostSort::New => KeyValue::Int(d.created_at.millis()),
                PostSort::Top => KeyValue::Int(d.vote_count),
                _ => KeyValue::Float(hot_rank(d.vote_count, d.created_at)),
            };
            let mut want: Vec<Ranked> = docs
                .iter()
                .map(|d| {
                    Ranked(SearchHit {
                        id: d.id,
                        key: key(d),
                    })
                })
                .collect();
            want.sort_unstable_by(|a, b| b.cmp(a));
            // The index is sorted newest first; `sorted: false` ranks as for any index.
            for sorted in [true, false] {
                let top = TopPosts {
                    categories: None,
                    sort,
                    after: None,
                    limit: 21,
                    sorted,
                };
                let got = searcher.search(&AllQuery, &top).unwrap();
                assert_eq!(got.count, 500);
                let ids = |v: &[Ranked]| v.iter().map(|r| r.0.id).collect::<Vec<_>>();
                assert_eq!(ids(&got.hits), ids(&want[..21]), "{sort:?} {sorted}");
                // After the 21st: the next 21.
                let next = TopPosts {
                    after: Some(want[20]),
                    ..top.clone()
                };
                let got = searcher.search(&AllQuery, &next).unwrap();
                assert_eq!(got.count, 500);
                assert_eq!(ids(&got.hits), ids(&want[21..42]), "{sort:?} {sorted}");
            }
        }
    }
}
