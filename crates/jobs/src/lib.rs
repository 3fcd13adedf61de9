//! Madang's background jobs.
//!
//! The domain defines the [`JobQueue`](madang_domain::ports::JobQueue) port; the
//! database adapter implements the embedded queue. This crate adds what runs jobs: the
//! worker loop and outbox relay ([`worker`]), cron schedules ([`cron`]), the Redis
//! queue for several nodes ([`redis_queue`]), and Madang's job handlers ([`handlers`]).

pub mod cron;
pub mod handlers;
pub mod redis_queue;
pub mod worker;

pub use cron::{Schedule, Scheduler};
pub use redis_queue::RedisQueue;
pub use worker::{Handler, Handlers, JobError, Ran, WorkerSettings, Workers};
