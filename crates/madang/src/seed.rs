//! `madang seed`: fills a database with a realistic board for benchmarks and demos.
//!
//! Korean text comes from a corpus of real sentences (the sentiment training set, one
//! review per line), English text from a small vocabulary. Activity is skewed the way
//! boards are: a few users write most posts, a few posts draw most comments and votes,
//! and most posts have none. Creation times spread over `--days` days up to now, in id
//! order, with comments and votes after their post. Some posts carry an edit history.
//!
//! Generation runs on one thread and hands batches of posts, each with all its comments
//! and votes, to writer tasks that insert a batch in one transaction
//! ([`Db::seed_batch`]); interrupting stops the generator and lets the batches in hand
//! commit, so no post is ever half written.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use anyhow::Context as _;
use madang_classify::Model;
use madang_domain::Timestamp;
use madang_domain::categories::CategoryName;
use madang_domain::ports::CategoryStore;
use madang_domain::search::{hot_rank, post_search_text};
use madang_store::{
    Db, Engine, SeedBatch, SeedComment, SeedIds, SeedPost, SeedUser, SeedVersion, SeedVote,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The password of every seeded user (`u{id}`, `u{id}@seed.madang.test`).
pub const SEED_PASSWORD: &str = "madang-seed-password";

#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub users: u64,
    pub posts: u64,
    pub comments: u64,
    pub votes: u64,
    pub corpus: PathBuf,
    pub days: u32,
    pub seed: u64,
    /// Posts per transaction.
    pub batch: usize,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SeedReport {
    pub users: u64,
    pub posts: u64,
    pub versions: u64,
    pub comments: u64,
    pub votes: u64,
    pub interrupted: bool,
}

/// Three tiers: five boards, four sections each, three topics each.
const TREE: [(&str, [&str; 4]); 5] = [
    (
        "영화",
        ["한국 영화", "해외 영화", "애니메이션", "다큐멘터리"],
    ),
    ("드라마", ["방영 중", "종영", "해외 드라마", "예능"]),
    ("자유게시판", ["일상", "유머", "고민 상담", "지역"]),
    ("개발", ["Rust", "데이터베이스", "웹", "인프라"]),
    ("취미", ["사진", "여행", "요리", "운동"]),
];
const TOPICS: [&str; 3] = ["잡담", "질문", "정보"];
/// Share of posts per board: the first boards are the busy ones.
const BOARD_WEIGHTS: [f64; 5] = [0.35, 0.25, 0.2, 0.12, 0.08];

const ENGLISH: &[&str] = &[
    "rust", "database", "release", "server", "review", "movie", "question", "update", "index",
    "query", "latency", "cache", "weekend", "travel", "camera", "recipe", "coffee", "music",
    "drama", "episode", "season", "actor", "story", "ending", "build", "deploy", "memory",
    "thread", "async", "pool", "board", "comment", "vote", "search", "korean", "seoul", "busan",
    "night", "morning", "great", "terrible", "boring", "amazing", "slow", "fast", "simple",
    "strange", "today", "tomorrow", "finally", "again", "really", "the", "a", "is", "was", "and",
    "but", "with", "for", "about", "this", "that", "my", "your", "new", "old", "best",
];

/// The category a post goes to: tier 1, 2 or 3 of a board.
struct Tree {
    boards: Vec<(i64, Vec<Section>)>,
}

/// A tier-2 category and its tier-3 children.
type Section = (i64, Vec<i64>);

impl Tree {
    fn pick(&self, rng: &mut StdRng) -> i64 {
        let mut u: f64 = rng.random();
        let mut board = &self.boards[0];
        for (i, w) in BOARD_WEIGHTS.iter().enumerate().take(self.boards.len()) {
            board = &self.boards[i];
            if u < *w {
                break;
            }
            u -= w;
        }
        let tier: f64 = rng.random();
        if tier < 0.05 || board.1.is_empty() {
            return board.0;
        }
        let section = &board.1[rng.random_range(0..board.1.len())];
        if tier < 0.2 || section.1.is_empty() {
            return section.0;
        }
        section.1[rng.random_range(0..section.1.len())]
    }
}

fn category_name(s: &str) -> anyhow::Result<CategoryName> {
    CategoryName::parse("name", s).map_err(|v| anyhow::anyhow!("{s}: {}", v.message))
}

/// The category tree: created when the database has none, else the existing one.
async fn tree(db: &Db, now: Timestamp) -> anyhow::Result<Tree> {
    let existing = db.all_categories().await.map_err(crate::domain_error)?;
    if existing.is_empty() {
        let mut boards = Vec::new();
        for (board, sections) in TREE {
            let b = db
                .create_category(&category_name(board)?, None, now)
                .await
                .map_err(crate::domain_error)?;
            let mut ss = Vec::new();
            for section in sections {
                let s = db
                    .create_category(&category_name(section)?, Some(b), now)
                    .await
                    .map_err(crate::domain_error)?;
                let mut ts = Vec::new();
                for topic in TOPICS {
                    ts.push(
                        db.create_category(&category_name(topic)?, Some(s), now)
                            .await
                            .map_err(crate::domain_error)?,
                    );
                }
                ss.push((s, ts));
            }
            boards.push((b, ss));
        }
        return Ok(Tree { boards });
    }
    let children = |p: Option<i64>| -> Vec<i64> {
        existing
            .iter()
            .filter(|c| c.parent_id == p)
            .map(|c| c.id)
            .collect()
    };
    let boards = children(None)
        .into_iter()
        .map(|b| {
            let sections = children(Some(b))
                .into_iter()
                .map(|s| (s, children(Some(s))))
                .collect();
            (b, sections)
        })
        .collect();
    Ok(Tree { boards })
}

/// Korean sentences, one per corpus line (the `document` column of a TSV file with a
/// header line), without empty or very long ones.
fn read_corpus(path: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the corpus {} (pass --corpus PATH to a TSV file of sentences)",
            path.display()
        )
    })?;
    let sentences: Vec<String> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').nth(1))
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.chars().count() <= 140)
        .map(str::to_owned)
        .collect();
    anyhow::ensure!(
        sentences.len() >= 100,
        "the corpus {} holds too few sentences",
        path.display()
    );
    Ok(sentences)
}

/// Draws the text and the shape of the board.
struct Generator {
    rng: StdRng,
    corpus: Vec<String>,
    tree: Tree,
    model: Model,
    users: (i64, u64),
    start_ms: i64,
    span_ms: i64,
    now_ms: i64,
    posts: u64,
    /// Each post's share of attention, drawn up front so that the totals come out as
    /// asked; and comments and votes per unit of it.
    weights: Vec<f32>,
    comment_rate: f64,
    vote_rate: f64,
    next_post: i64,
    next_comment: i64,
    made: u64,
    vote_debt: u64,
}

impl Generator {
    fn sentence(&mut self) -> &str {
        let i = self.rng.random_range(0..self.corpus.len());
        &self.corpus[i]
    }

    fn english(&mut self, words: usize) -> String {
        let mut s = String::new();
        for i in 0..words {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(ENGLISH[self.rng.random_range(0..ENGLISH.len())]);
        }
        s
    }

    /// 1–2 sentences for most texts, up to 20 for some.
    fn body(&mut self, english: bool) -> String {
        let u: f64 = self.rng.random();
        let n = if u < 0.4 {
            self.rng.random_range(1..=2)
        } else if u < 0.85 {
            self.rng.random_range(3..=6)
        } else {
            self.rng.random_range(7..=20)
        };
        let mut s = String::new();
        for i in 0..n {
            if i > 0 {
                s.push(if i % 4 == 0 { '\n' } else { ' ' });
            }
            if english {
                let words = self.rng.random_range(4..14);
                s.push_str(&self.english(words));
                s.push('.');
            } else {
                let t = self.sentence().to_owned();
                s.push_str(&t);
            }
        }
        s
    }

    fn title(&mut self, english: bool) -> String {
        if english {
            let words = self.rng.random_range(2..8);
            return self.english(words);
        }
        self.sentence().chars().take(40).collect()
    }

    /// A user, most often one of the few heavy ones.
    fn user(&mut self) -> i64 {
        let u: f64 = self.rng.random();
        self.users.0 + ((u.powi(3) * self.users.1 as f64) as i64).min(self.users.1 as i64 - 1)
    }

    /// `mean` rounded up or down at random, so that the sum over many is right.
    fn count(&mut self, mean: f64) -> u64 {
        let floor = mean.floor();
        floor as u64 + u64::from(self.rng.random::<f64>() < mean - floor)
    }

    fn batch(&mut self, size: usize) -> SeedBatch {
        let mut b = SeedBatch::default();
        let slot = self.span_ms / self.posts.max(1) as i64;
        for _ in 0..size {
            if self.made == self.posts {
                break;
            }
            let id = self.next_post;
            self.next_post += 1;
            let created =
                self.start_ms + self.made as i64 * slot + self.rng.random_range(0..slot.max(1));
            self.made += 1;
            let english = self.rng.random::<f64>() < 0.15;
            let author = self.user();
            let category = self.tree.pick(&mut self.rng);
            let mut versions = vec![SeedVersion {
                title: self.title(english),
                content: self.body(english),
                created_at: created,
            }];
            // One post in twenty was edited, up to three times.
            if self.rng.random::<f64>() < 0.05 {
                let edits = self.rng.random_range(1..=3);
                let mut at = created;
                for _ in 0..edits {
                    at = (at + self.rng.random_range(60_000..86_400_000)).min(self.now_ms);
                    let prev = &versions[versions.len() - 1];
                    let mut content = prev.content.clone();
                    content.push_str("\n\n");
                    content.push_str(&self.body(english));
                    versions.push(SeedVersion {
                        title: prev.title.clone(),
                        content,
                        created_at: at,
                    });
                }
            }
            let last = &versions[versions.len() - 1];
            let sentiment = {
                let text = format!("{} {}", last.title, last.content);
                let p = f64::from(self.model.positive_probability(&text));
                Some(if p >= 0.5 {
                    ("positive".to_owned(), p)
                } else {
                    ("negative".to_owned(), 1.0 - p)
                })
            };
            let search_text = post_search_text(&last.title, &last.content);
            let weight = f64::from(self.weights[(self.made - 1) as usize]);
            let comments = self.count(weight * self.comment_rate);
            // A post cannot have more votes than there are users: what a hot post could
            // not take goes to the posts after it, so the total still comes out as asked.
            let wanted = self.count(weight * self.vote_rate) + self.vote_debt;
            let votes = wanted.min(self.users.1);
            self.vote_debt = wanted - votes;
            let mut times: Vec<i64> = (0..comments).map(|_| self.after(created)).collect();
            times.sort_unstable();
            for at in times {
                let author = self.user();
                let english = english || self.rng.random::<f64>() < 0.05;
                let content = if self.rng.random::<f64>() < 0.7 {
                    if english {
                        let words = self.rng.random_range(3..16);
                        self.english(words)
                    } else {
                        self.sentence().to_owned()
                    }
                } else {
                    self.body(english)
                };
                b.comments.push(SeedComment {
                    id: self.next_comment,
                    post_id: id,
                    author_id: author,
                    content,
                    created_at: at,
                });
                self.next_comment += 1;
            }
            // Distinct voters: a walk through the users with a step coprime to their
            // number visits each at most once.
            let n = self.users.1;
            let step = coprime_step(n, &mut self.rng);
            let mut who = self.rng.random_range(0..n);
            for _ in 0..votes {
                b.votes.push(SeedVote {
                    post_id: id,
                    user_id: self.users.0 + who as i64,
                    created_at: self.after(created),
                });
                who = (who + step) % n;
            }
            b.posts.push(SeedPost {
                id,
                category_id: category,
                author_id: author,
                search_text,
                comment_count: comments as i64,
                vote_count: votes as i64,
                hot_rank: hot_rank(votes as i64, Timestamp(created)),
                sentiment,
                created_at: created,
                versions,
            });
        }
        b
    }

    /// A moment after `t`: mostly within hours, some days later, never in the future.
    fn after(&mut self, t: i64) -> i64 {
        let u: f64 = self.rng.random::<f64>().max(1e-9);
        let delay = (-u.ln() * 3.0 * 3_600_000.0) as i64;
        (t + 1_000 + delay).min(self.now_ms)
    }
}

/// How much attention each post draws: nothing for many, a little for most, a heavy
/// (Pareto, α = 1.1) tail for one in two hundred: the hot posts.
fn weights(n: u64, rng: &mut StdRng) -> Vec<f32> {
    (0..n)
        .map(|_| {
            let u: f64 = rng.random();
            let w = if u < 0.3 {
                0.0
            } else if u < 0.995 {
                1.0
            } else {
                let p: f64 = rng.random::<f64>().max(1e-9);
                (20.0 / p.powf(1.0 / 1.1)).min(20_000.0)
            };
            w as f32
        })
        .collect()
}

fn coprime_step(n: u64, rng: &mut StdRng) -> u64 {
    fn gcd(a: u64, b: u64) -> u64 {
        if b == 0 { a } else { gcd(b, a % b) }
    }
    if n <= 2 {
        return 1;
    }
    loop {
        let s = rng.random_range(1..n);
        if gcd(s, n) == 1 {
            return s;
        }
    }
}

/// Seeds `db`. `stop` set (Ctrl-C) ends it after the batches in hand are written.
pub async fn seed(
    db: &Db,
    opts: &SeedOptions,
    password_hash: String,
    model: Model,
    now: Timestamp,
    stop: Arc<AtomicBool>,
    progress: &indicatif::ProgressBar,
) -> anyhow::Result<SeedReport> {
    anyhow::ensure!(opts.users >= 1, "--users must be at least 1");
    anyhow::ensure!(opts.batch >= 1, "--batch must be at least 1");
    let corpus = read_corpus(&opts.corpus)?;
    let tree = tree(db, now).await?;
    anyhow::ensure!(!tree.boards.is_empty(), "the category tree is empty");
    let SeedIds {
        user: first_user,
        post: first_post,
        comment: first_comment,
    } = db.seed_next_ids().await.map_err(crate::domain_error)?;

    let span_ms = i64::from(opts.days.max(1)) * 86_400_000;
    let start_ms = now.millis() - span_ms;
    // Users join over the first half of the span.
    progress.set_message("users");
    let mut report = SeedReport::default();
    let mut rng = StdRng::seed_from_u64(opts.seed);
    report.users = seed_users(
        db,
        opts,
        first_user,
        &password_hash,
        (start_ms, span_ms),
        &mut rng,
    )
    .await?;

    let weights = weights(opts.posts, &mut rng);
    let total: f64 = weights.iter().map(|w| f64::from(*w)).sum::<f64>().max(1e-9);
    let generator = Generator {
        comment_rate: opts.comments as f64 / total,
        vote_rate: opts.votes as f64 / total,
        weights,
        rng,
        corpus,
        tree,
        model,
        users: (first_user, opts.users),
        start_ms,
        span_ms,
        now_ms: now.millis(),
        posts: opts.posts,
        next_post: first_post,
        next_comment: first_comment,
        made: 0,
        vote_debt: 0,
    };
    // The generator runs on its own thread; SQLite takes one writer, the server
    // engines two, so that one batch is sent while the next is generated.
    let writers = if db.engine() == Engine::Sqlite { 1 } else { 2 };
    let (tx, rx) = tokio::sync::mpsc::channel::<SeedBatch>(writers * 2);
    let batch_size = opts.batch;
    let gen_stop = stop.clone();
    let producer = tokio::task::spawn_blocking(move || {
        let mut g = generator;
        while !gen_stop.load(Ordering::SeqCst) {
            let b = g.batch(batch_size);
            if b.posts.is_empty() || tx.blocking_send(b).is_err() {
                break;
            }
        }
    });
    let (written, failure) = write_batches(db, rx, writers, progress, &stop).await;
    producer.await?;
    [report.posts, report.versions, report.comments, report.votes] = written;
    report.interrupted = stop.load(Ordering::SeqCst);
    // Counters and statistics for what was written, however the seed ended.
    progress.set_message("counters and statistics");
    let finished = db.seed_finish().await.map_err(crate::domain_error);
    if let Some(e) = failure {
        return Err(e.context(format!(
            "seeding stopped after {} whole posts",
            report.posts
        )));
    }
    finished?;
    Ok(report)
}

/// The members, joining over the first half of the span, written a thousand at a time;
/// how many were written.
async fn seed_users(
    db: &Db,
    opts: &SeedOptions,
    first_user: i64,
    password_hash: &str,
    (start_ms, span_ms): (i64, i64),
    rng: &mut StdRng,
) -> anyhow::Result<u64> {
    let mut written = 0;
    let mut batch = Vec::new();
    for i in 0..opts.users {
        let id = first_user + i as i64;
        batch.push(SeedUser {
            id,
            name: format!("u{id}"),
            email: format!("u{id}@seed.madang.test"),
            password_hash: password_hash.to_owned(),
            created_at: start_ms + rng.random_range(0..span_ms / 2),
        });
        if batch.len() == 1000 || i + 1 == opts.users {
            db.seed_users(&batch).await.map_err(crate::domain_error)?;
            written += batch.len() as u64;
            batch.clear();
        }
    }
    Ok(written)
}

/// Writes the generated batches with `writers` tasks at once: the rows written of each
/// kind (posts, versions, comments, votes), and the first failure, after which
/// `stop` ends the generator and the other writers drain what was sent.
async fn write_batches(
    db: &Db,
    rx: tokio::sync::mpsc::Receiver<SeedBatch>,
    writers: usize,
    progress: &indicatif::ProgressBar,
    stop: &AtomicBool,
) -> ([u64; 4], Option<anyhow::Error>) {
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let written = Arc::new([
        AtomicU64::new(0),
        AtomicU64::new(0),
        AtomicU64::new(0),
        AtomicU64::new(0),
    ]);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..writers {
        let (db, rx, written, progress) =
            (db.clone(), rx.clone(), written.clone(), progress.clone());
        tasks.spawn(async move {
            loop {
                let Some(b) = rx.lock().await.recv().await else {
                    return Ok::<(), anyhow::Error>(());
                };
                db.seed_batch(&b).await.map_err(crate::domain_error)?;
                let versions: usize = b.posts.iter().map(|p| p.versions.len()).sum();
                written[0].fetch_add(b.posts.len() as u64, Ordering::Relaxed);
                written[1].fetch_add(versions as u64, Ordering::Relaxed);
                written[2].fetch_add(b.comments.len() as u64, Ordering::Relaxed);
                written[3].fetch_add(b.votes.len() as u64, Ordering::Relaxed);
                progress.inc(b.posts.len() as u64);
                progress.set_message(format!(
                    "{} comments, {} votes",
                    written[2].load(Ordering::Relaxed),
                    written[3].load(Ordering::Relaxed)
                ));
            }
        });
    }
    let mut failure = None;
    while let Some(r) = tasks.join_next().await {
        if let Err(e) = r.map_err(anyhow::Error::from).and_then(|r| r) {
            // One writer failed: stop generating, let the others drain, report it.
            stop.store(true, Ordering::SeqCst);
            failure.get_or_insert(e);
        }
    }
    (
        written.each_ref().map(|n| n.load(Ordering::Relaxed)),
        failure,
    )
}
