//! Ports: what the use cases need from the outside world, named after that need.
//! The store adapter implements the storage ports for every engine; the binary
//! provides hashing, tokens and the clock.

use async_trait::async_trait;

use crate::categories::{Category, CategoryName};
use crate::comments::{Comment, CommentVersion, NewComment};
use crate::console::{
    Applied, AuditEntry, AuditRecord, CommentRecord, ListQuery, Listing, Model, StaffChange,
};
use crate::error::Result;
use crate::listing::{Page, PageRequest};
use crate::posts::{
    ContentRef, NewPost, PostDetail, PostEdit, PostFilter, PostSummary, PostVersion,
};
use crate::time::Timestamp;
use crate::users::{Email, LoginRecord, PublicProfile, Role, User, UserName, UserState};

/// A new account, already checked and hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: UserName,
    pub email: Email,
    pub password_hash: String,
    pub role: Role,
    pub now: Timestamp,
}

/// One log-in attempt, for the user's login history.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    pub user_id: i64,
    pub succeeded: bool,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub now: Timestamp,
}

#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts a user; a taken name or email is `Error::Conflict` naming the field.
    async fn insert_user(&self, new: &NewUser) -> Result<User>;
    /// An account that has not resigned.
    async fn user(&self, id: i64) -> Result<Option<User>>;
    /// The account whose name has `name_key` or whose email has `email_key`.
    async fn user_by_key(&self, name_key: &str, email_key: &str) -> Result<Option<User>>;
    /// A user and their password hash, found as [`user_by_key`](Self::user_by_key) does.
    async fn credentials(&self, name_key: &str, email_key: &str) -> Result<Option<(User, String)>>;
    /// The id and name of every moderator and admin who has not resigned.
    async fn staff_names(&self) -> Result<Vec<(i64, String)>>;
    /// The members (not resigned) with these name keys, as (key, id).
    async fn ids_by_name_keys(&self, keys: &[String]) -> Result<Vec<(String, i64)>>;

    async fn password_hash(&self, id: i64) -> Result<Option<String>>;
    async fn update_profile(
        &self,
        id: i64,
        name: Option<&UserName>,
        email: Option<&Email>,
        now: Timestamp,
    ) -> Result<User>;
    /// Sets a new hash and revokes every session of the member (API, web app and
    /// console) but `keep`, in one transaction.
    async fn update_password(
        &self,
        id: i64,
        hash: &str,
        keep: SessionRef,
        now: Timestamp,
    ) -> Result<()>;
    /// Resignation: erases name, email, password and login history, revokes sessions.
    /// Posts and comments stay, shown without an author.
    async fn erase_user(&self, id: i64, now: Timestamp) -> Result<()>;
    async fn record_login(&self, attempt: &LoginAttempt) -> Result<()>;
    async fn logins(&self, user_id: i64, page: &PageRequest) -> Result<Page<LoginRecord>>;
    async fn public_profile(&self, id: i64) -> Result<Option<PublicProfile>>;
    async fn set_role(&self, id: i64, role: Role, now: Timestamp) -> Result<()>;
    async fn set_state(&self, id: i64, state: &UserState, now: Timestamp) -> Result<()>;
}

/// One session of a member, of any kind: the one a password change is made from
/// stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionRef {
    /// An API session (a refresh-token family).
    Api(i64),
    /// A web-app session (`member_sessions`).
    Member(i64),
    /// A staff console session (`console_sessions`).
    Console(i64),
}

/// What presenting a refresh token led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was live, or was spent within the grace window (another tab
    /// refreshing at the same moment): it is spent and the new one joins the session.
    Rotated { user_id: i64, session_id: i64 },
    /// The token had been rotated already, before the grace window: its whole
    /// session is now revoked.
    Reused,
    /// Unknown, expired or revoked.
    Invalid,
}

/// Log-in sessions (refresh-token families).
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn open_session(
        &self,
        user_id: i64,
        refresh_hash: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<i64>;
    /// Spends `old_hash` for `new_hash`. A token spent less than `grace_ms` ago is
    /// spent again rather than taken for a stolen copy.
    async fn rotate_refresh(
        &self,
        old_hash: &str,
        new_hash: &str,
        expires_at: Timestamp,
        now: Timestamp,
        grace_ms: i64,
    ) -> Result<Rotation>;
    async fn revoke_sessions(&self, user_id: i64, now: Timestamp) -> Result<()>;
    /// The user behind a live session, or `None` if the session was revoked or the
    /// user resigned. Read fresh on every authenticated request.
    async fn session_user(&self, session_id: i64, user_id: i64) -> Result<Option<User>>;
}

#[async_trait]
pub trait CategoryStore: Send + Sync {
    async fn all_categories(&self) -> Result<Vec<Category>>;
    /// A sibling with the same name is `Error::Conflict` on `name`.
    async fn create_category(
        &self,
        name: &CategoryName,
        parent: Option<i64>,
        now: Timestamp,
    ) -> Result<i64>;
    async fn update_category(
        &self,
        id: i64,
        name: &CategoryName,
        parent: Option<i64>,
    ) -> Result<()>;
    /// `Error::Conflict` while the category holds posts or children.
    async fn delete_category(&self, id: i64) -> Result<()>;
    async fn set_prefix_required(&self, id: i64, required: bool) -> Result<()>;
    /// Adds a prefix after the board's others; a taken name is `Error::Conflict` on
    /// `name`.
    async fn add_prefix(
        &self,
        board: i64,
        name: &crate::prefixes::PrefixName,
        now: Timestamp,
    ) -> Result<i64>;
    /// Deletes the prefix and clears it from the posts that carry it, in one
    /// transaction; `false` if the board has no such prefix.
    async fn delete_prefix(&self, board: i64, prefix: i64) -> Result<bool>;
}

/// What a pin asked for came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinOutcome {
    Pinned,
    /// Pinned already, in that scope.
    Unchanged,
    /// The scope holds its most pins already.
    Full,
    /// No such active post.
    Missing,
}

/// Pinned notices (공지), each written with its audit entry in one transaction.
#[async_trait]
pub trait PinStore: Send + Sync {
    /// Pins an active post in the first free slot of its scope (`site`, or its board),
    /// moving it there if it is pinned in the other scope.
    async fn pin_post(
        &self,
        post_id: i64,
        scope: crate::posts::PinScope,
        audit: &crate::console::AuditRecord,
    ) -> Result<PinOutcome>;
    /// `false` if the post was not pinned.
    async fn unpin_post(&self, post_id: i64, audit: &crate::console::AuditRecord) -> Result<bool>;
    /// The site's pins, and `board`'s when given, as list items in pin order (site
    /// first).
    async fn pinned_posts(&self, board: Option<i64>) -> Result<Vec<PostSummary>>;
}

/// Members' bookmarks (스크랩).
#[async_trait]
pub trait BookmarkStore: Send + Sync {
    /// Adds (`on`) or removes the bookmark; `false` if the post is missing, or
    /// deleted when adding. A second add is no change: one row per member and post.
    async fn set_bookmark(
        &self,
        user_id: i64,
        post_id: i64,
        on: bool,
        now: Timestamp,
    ) -> Result<bool>;
    async fn bookmarked(&self, user_id: i64, post_id: i64) -> Result<bool>;
    /// The member's bookmarks of active posts, newest bookmark first.
    async fn bookmarks(
        &self,
        user_id: i64,
        page: &PageRequest,
    ) -> Result<Page<crate::posts::Bookmark>>;
}

#[async_trait]
pub trait PostStore: Send + Sync {
    /// Inserts the post and its first version in one transaction.
    async fn insert_post(&self, new: &NewPost) -> Result<i64>;
    async fn post(&self, id: i64, include_deleted: bool) -> Result<Option<PostDetail>>;
    async fn post_ref(&self, id: i64) -> Result<Option<ContentRef>>;
    async fn post_voted(&self, post_id: i64, user_id: i64) -> Result<bool>;
    /// Stores a new version if the post is active and `author_id` wrote it; returns
    /// the post as that edit left it (read in the same transaction).
    async fn update_post(
        &self,
        id: i64,
        author_id: i64,
        edit: &PostEdit,
    ) -> Result<Option<PostDetail>>;
    async fn post_versions(&self, id: i64) -> Result<Vec<PostVersion>>;
    /// Soft delete; `false` if it was missing or deleted already.
    async fn delete_post(&self, id: i64, now: Timestamp) -> Result<bool>;
    /// Sets or clears the caller's vote; the post's count afterwards, or `None` if
    /// the post is missing or deleted.
    async fn set_post_vote(
        &self,
        post_id: i64,
        user_id: i64,
        on: bool,
        now: Timestamp,
    ) -> Result<Option<i64>>;
    async fn list_posts(
        &self,
        filter: &PostFilter,
        page: &PageRequest,
    ) -> Result<Page<PostSummary>>;
    /// The active ones of these posts as list items, each with its whole content (for a
    /// search's excerpt), in no particular order.
    async fn post_summaries(&self, ids: &[i64]) -> Result<Vec<(PostSummary, String)>>;
    /// The active posts with ids in `from..=to` and when each last changed, by id
    /// (the sitemap's pages).
    async fn post_stamps(&self, from: i64, to: i64) -> Result<Vec<(i64, Timestamp)>>;
    /// The highest post id given so far (0 before the first post).
    async fn last_post_id(&self) -> Result<i64>;
}

#[async_trait]
pub trait CommentStore: Send + Sync {
    /// Inserts the comment, its first version and the post's counters (and, for a
    /// reply, its thread's) in one transaction; `None` if the post is missing or
    /// deleted, or a reply's thread is not the post's.
    async fn insert_comment(&self, new: &NewComment) -> Result<Option<i64>>;
    /// The comment a reply would answer, deleted or not.
    async fn reply_target(&self, id: i64) -> Result<Option<crate::comments::ReplyTarget>>;
    async fn comment(&self, id: i64) -> Result<Option<Comment>>;
    async fn comment_ref(&self, id: i64) -> Result<Option<ContentRef>>;
    /// Stores a new version; returns the comment as that edit left it.
    async fn update_comment(
        &self,
        id: i64,
        author_id: i64,
        content: &str,
        now: Timestamp,
        follow_up: &[&'static str],
        mentions: &[i64],
    ) -> Result<Option<Comment>>;
    async fn comment_versions(&self, id: i64) -> Result<Vec<CommentVersion>>;
    /// Soft delete; the comment's post id, or `None` if it was missing or deleted already.
    async fn delete_comment(&self, id: i64, now: Timestamp) -> Result<Option<i64>>;
    async fn set_comment_vote(
        &self,
        comment_id: i64,
        user_id: i64,
        on: bool,
        now: Timestamp,
    ) -> Result<Option<i64>>;
    /// Which of `ids` the user has voted for.
    async fn comments_voted(&self, ids: &[i64], user_id: i64) -> Result<Vec<i64>>;
    /// A post's threads, oldest first, each top-level comment (a placeholder if it is
    /// deleted but has replies) followed by up to `REPLIES_SHOWN` of its replies, oldest
    /// first. Paged and totalled by top-level comment.
    async fn comments_of_post(&self, post_id: i64, page: &PageRequest) -> Result<Page<Comment>>;
    /// Up to `limit` active comments of the post with at least `min_votes` votes, most
    /// voted first (then oldest).
    async fn best_comments(&self, post_id: i64, min_votes: i64, limit: u32)
    -> Result<Vec<Comment>>;
    async fn comments_of_user(&self, user_id: i64, page: &PageRequest) -> Result<Page<Comment>>;
}

/// Slow salted password hashing, run off the request threads.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    async fn hash(&self, password: &crate::users::Password) -> Result<String>;
    /// Compares in constant time. With no hash (unknown user) it still spends the
    /// time of a real check, so the answer does not reveal which names exist.
    async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool>;
}

/// Claims of a verified access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessClaims {
    pub user_id: i64,
    pub session_id: i64,
}

/// A fresh refresh token and the hash it is stored under.
pub struct RefreshSecret {
    pub token: String,
    pub hash: String,
}

/// Issues and checks tokens.
pub trait TokenCodec: Send + Sync {
    fn issue_access(&self, claims: AccessClaims, now: Timestamp) -> Result<String>;
    /// `Error::Unauthorized` for a bad, forged or expired token.
    fn verify_access(&self, token: &str, now: Timestamp) -> Result<AccessClaims>;
    fn access_ttl_secs(&self) -> i64;
    fn refresh_ttl_secs(&self) -> i64;
    fn new_refresh(&self) -> RefreshSecret;
    fn hash_refresh(&self, token: &str) -> String;
}

/// A backend whose reachability decides readiness (database, cache, queue).
#[async_trait]
pub trait Probe: Send + Sync {
    fn name(&self) -> &'static str;
    async fn check(&self) -> Result<()>;
}

/// Seminars and role profiles. Joins, drops and capacity changes are settled under
/// a lock on the seminar row, so the capacity holds under any concurrency.
#[async_trait]
pub trait SeminarStore: Send + Sync {
    /// `false` if the user holds the profile already.
    async fn add_participant_profile(
        &self,
        user_id: i64,
        university: &str,
        now: Timestamp,
    ) -> Result<bool>;
    async fn add_instructor_profile(
        &self,
        user_id: i64,
        company: &str,
        year: Option<i64>,
        now: Timestamp,
    ) -> Result<bool>;
    async fn profiles(&self, user_id: i64) -> Result<crate::seminars::Profiles>;
    /// Inserts the seminar with `instructor_id` as its instructor.
    async fn insert_seminar(
        &self,
        instructor_id: i64,
        s: &crate::seminars::SeminarChange,
        now: Timestamp,
    ) -> Result<i64>;
    async fn seminar_exists(&self, id: i64) -> Result<bool>;
    async fn seminar(&self, id: i64) -> Result<Option<crate::seminars::SeminarDetail>>;
    async fn update_seminar(
        &self,
        id: i64,
        by: i64,
        s: &crate::seminars::SeminarChange,
        now: Timestamp,
    ) -> Result<crate::seminars::UpdateOutcome>;
    async fn join_seminar(
        &self,
        id: i64,
        user_id: i64,
        role: crate::seminars::MemberRole,
        now: Timestamp,
    ) -> Result<crate::seminars::JoinOutcome>;
    async fn drop_seminar(
        &self,
        id: i64,
        user_id: i64,
        now: Timestamp,
    ) -> Result<crate::seminars::DropOutcome>;
    async fn list_seminars(
        &self,
        filter: &crate::seminars::SeminarFilter,
        page: &PageRequest,
    ) -> Result<Page<crate::seminars::Seminar>>;
}

/// A cache of serialised read models, shared by every node when it is remote.
/// Failures are the adapter's to absorb: a cache that cannot answer is a miss.
#[async_trait]
pub trait Cache: Send + Sync {
    /// The value stored for `entry`, or what `load` produces (stored for next time).
    /// Concurrent misses of one entry on one node run `load` once.
    async fn get_or_load<'a>(
        &self,
        entry: &crate::cache::Entry,
        load: crate::cache::Loader<'a>,
    ) -> Result<Vec<u8>>;
    /// Makes every value stored under these scopes stale, on every node.
    async fn invalidate(&self, scopes: &[String]);
}

/// Classifies the sentiment of a text.
#[async_trait]
pub trait Classifier: Send + Sync {
    async fn classify(&self, text: &str) -> Result<crate::sentiment::Labelled>;
}

/// Where labels are kept.
#[async_trait]
pub trait SentimentStore: Send + Sync {
    /// The latest version of a post that is not deleted, and its text to classify.
    async fn post_text(&self, id: i64) -> Result<Option<(i64, String)>>;
    async fn comment_text(&self, id: i64) -> Result<Option<(i64, String)>>;
    /// Sets the label if the post is still at `version`; `false` otherwise.
    async fn set_post_sentiment(
        &self,
        id: i64,
        version: i64,
        s: &crate::posts::Sentiment,
    ) -> Result<bool>;
    async fn set_comment_sentiment(
        &self,
        id: i64,
        version: i64,
        s: &crate::posts::Sentiment,
    ) -> Result<bool>;
}

/// A job queue: the embedded one in the database, or a broker shared by several nodes.
/// Jobs always enter through the outbox (see [`crate::jobs`]); `relay` moves them in.
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// For logs, metrics and readiness: `embedded`, `redis`.
    fn name(&self) -> &'static str;
    /// Enqueues a job outside any other write (schedules, operators): one outbox row,
    /// relayed at once. Answers the job's id.
    async fn enqueue(&self, job: &crate::jobs::NewJob) -> Result<i64>;
    /// Moves committed outbox entries into the queue; answers how many it moved.
    async fn relay(&self) -> Result<usize>;
    /// Reserves the next due job for `visibility`, or a job whose lease expired.
    async fn reserve(
        &self,
        worker: &str,
        visibility: std::time::Duration,
    ) -> Result<Option<crate::jobs::Lease>>;
    /// Extends a lease still held; `false` when it was lost (the job went to another worker).
    async fn extend(
        &self,
        lease: &crate::jobs::Lease,
        visibility: std::time::Duration,
    ) -> Result<bool>;
    async fn complete(&self, lease: &crate::jobs::Lease) -> Result<()>;
    async fn fail(
        &self,
        lease: &crate::jobs::Lease,
        error: &str,
        outcome: crate::jobs::Outcome,
    ) -> Result<()>;
    async fn job(&self, id: i64) -> Result<Option<crate::jobs::Job>>;
    /// Newest first; `state: None` lists every state still kept.
    async fn list(
        &self,
        state: Option<crate::jobs::JobState>,
        limit: u32,
    ) -> Result<Vec<crate::jobs::Job>>;
    /// Puts a dead job back in the queue with its attempts reset; `false` if it is not dead.
    async fn retry(&self, id: i64) -> Result<bool>;
    async fn retry_all_dead(&self) -> Result<u64>;
    async fn stats(&self) -> Result<crate::jobs::JobStats>;
    /// Forgets completed jobs finished before `before`; answers how many.
    async fn purge_done(&self, before: Timestamp) -> Result<u64>;
    /// Can the queue be reached (for readiness)?
    async fn ping(&self) -> Result<()>;
}

/// The outbox table, for queues that live outside the database.
#[async_trait]
pub trait Outbox: Send + Sync {
    async fn add(&self, job: &crate::jobs::NewJob) -> Result<i64>;
    /// The oldest committed entries, as (id, job, created_at).
    async fn pending(&self, limit: u32) -> Result<Vec<(i64, crate::jobs::NewJob, Timestamp)>>;
    async fn remove(&self, ids: &[i64]) -> Result<()>;
    async fn count(&self) -> Result<u64>;
}

/// What the scheduled maintenance jobs read and fix.
#[async_trait]
pub trait MaintenanceStore: Send + Sync {
    /// Brings the query planner's statistics up to date where the engine leaves that
    /// to the application (SQLite).
    async fn refresh_statistics(&self) -> Result<()>;
    /// Live posts after `after` in (created_at, id) order.
    async fn hot_batch(
        &self,
        after: (Timestamp, i64),
        limit: u32,
    ) -> Result<Vec<crate::maintenance::HotRow>>;
    /// Sets a rank computed from `vote_count`, unless a vote changed the count since.
    async fn set_hot_rank(&self, id: i64, vote_count: i64, rank: f64) -> Result<bool>;
    /// Deletes up to `limit` login history rows older than `before`.
    async fn purge_login_history(&self, before: Timestamp, limit: u32) -> Result<u64>;
    /// Drops the search change log's entries older than `before` (a node whose index
    /// stopped before them rebuilds it); answers how many went.
    async fn purge_search_changes(&self, before: Timestamp) -> Result<u64>;
    /// Deletes web-app and console sessions that expired or were ended before
    /// `before` (a session row is written at every log-in).
    async fn purge_ended_sessions(&self, before: Timestamp) -> Result<u64>;
    /// Stored and actual counters of posts with id above `after`, by id.
    async fn post_counters(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<crate::maintenance::PostCounters>>;
    /// Recounts one post's comments, votes and threads under its row lock and stores
    /// them with the rank `rank` gives for the vote count; answers what it stored.
    async fn fix_post_counters(
        &self,
        id: i64,
        rank: &(dyn Fn(i64, Timestamp) -> f64 + Send + Sync),
    ) -> Result<crate::maintenance::PostCounts>;
    /// Stored and actual vote counts of comments with id above `after`, by id.
    async fn comment_counters(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<crate::maintenance::CommentCounters>>;
    async fn fix_comment_votes(&self, id: i64) -> Result<i64>;
    /// Recounts a top-level comment's live replies and stores the count.
    async fn fix_comment_replies(&self, id: i64) -> Result<i64>;
    /// Every category's stored and actual count of active posts.
    async fn category_counters(&self) -> Result<Vec<crate::maintenance::CategoryCounter>>;
    /// Recounts one category's active posts under its row lock and stores the count.
    async fn fix_category_count(&self, id: i64) -> Result<i64>;
    /// Users, posts, comments and votes created in each window between consecutive
    /// `bounds` ([b0, b1), [b1, b2), …), one `DailyCounts` per window.
    async fn count_created(
        &self,
        bounds: &[Timestamp],
    ) -> Result<Vec<crate::maintenance::DailyCounts>>;
    async fn save_daily(
        &self,
        day: crate::maintenance::Day,
        counts: &crate::maintenance::DailyCounts,
        now: Timestamp,
    ) -> Result<()>;
    /// Stored days in [from, to], oldest first, at most `limit`; the latest `limit`
    /// days when no bound is given.
    async fn daily(
        &self,
        from: Option<crate::maintenance::Day>,
        to: Option<crate::maintenance::Day>,
        limit: u32,
    ) -> Result<Vec<crate::maintenance::DailyStats>>;
}

/// Claims of cron ticks, so that each tick of a schedule runs once across all nodes.
#[async_trait]
pub trait CronStore: Send + Sync {
    /// Claims tick `slot` of schedule `name` and enqueues `job` in the same transaction.
    async fn claim_tick(
        &self,
        name: &str,
        slot: Timestamp,
        job: &crate::jobs::NewJob,
    ) -> Result<crate::jobs::Tick>;
}

/// The staff console's own storage: its sessions, its lists, and audited writes.
#[async_trait]
pub trait ConsoleStore: Send + Sync {
    async fn open_session(
        &self,
        user_id: i64,
        token_hash: &str,
        csrf: &str,
        expires: Timestamp,
        now: Timestamp,
    ) -> Result<i64>;
    /// The live session under this token hash, with its member (not erased).
    async fn session(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(i64, User, String)>>;
    async fn close_session(&self, id: i64, now: Timestamp) -> Result<()>;
    /// One page of a list (every model but jobs), with its capped total; `now`
    /// decides which suspensions are still in force.
    async fn list(&self, q: &ListQuery, now: Timestamp) -> Result<Listing>;
    /// The first and last creation time of a model's rows, for the date drill-down.
    async fn span(&self, model: Model) -> Result<Option<(Timestamp, Timestamp)>>;
    async fn comment(&self, id: i64) -> Result<Option<CommentRecord>>;
    /// Applies a change with its audit entries (the first about the changed object), in
    /// one transaction.
    async fn apply(&self, change: &StaffChange, audits: &[AuditRecord]) -> Result<Applied>;
    /// Entries about one object, newest first.
    async fn history(
        &self,
        object_type: &str,
        object_id: i64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>>;
    /// The newest entries.
    async fn recent(&self, limit: u32) -> Result<Vec<AuditEntry>>;
}
