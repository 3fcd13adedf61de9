//! What `/health/ready` asks of each part a node needs: the database (and its schema),
//! the search index, the job queue and, when configured, Redis.

use std::sync::Arc;

use async_trait::async_trait;
use madang_cache::RedisStore;
use madang_domain::ports::{JobQueue, Probe};
use madang_search::SearchIndex;
use madang_store::Db;

pub(crate) struct DbProbe(pub(crate) Db);

#[async_trait]
impl Probe for DbProbe {
    fn name(&self) -> &'static str {
        "database"
    }

    async fn check(&self) -> madang_domain::Result<()> {
        self.0.ping().await?;
        if self.0.schema_ready() {
            Ok(())
        } else {
            Err(madang_domain::Error::Unavailable(
                "migrations are pending".into(),
            ))
        }
    }
}

pub(crate) struct SearchProbe(pub(crate) SearchIndex);

#[async_trait]
impl Probe for SearchProbe {
    fn name(&self) -> &'static str {
        "search"
    }

    async fn check(&self) -> madang_domain::Result<()> {
        self.0.readiness()
    }
}

pub(crate) struct QueueProbe(pub(crate) Arc<dyn JobQueue>);

#[async_trait]
impl Probe for QueueProbe {
    fn name(&self) -> &'static str {
        "queue"
    }

    async fn check(&self) -> madang_domain::Result<()> {
        self.0.ping().await
    }
}

pub(crate) struct RedisProbe(pub(crate) RedisStore);

#[async_trait]
impl Probe for RedisProbe {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn check(&self) -> madang_domain::Result<()> {
        self.0
            .ping()
            .await
            .map_err(madang_domain::Error::Unavailable)
    }
}
