//! Wiring: adapters into use cases into the HTTP router, and the server's life.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use madang_cache::{CacheService, LocalStore, Passthrough, RedisSettings, RedisStore};
use madang_classify::Model;
use madang_classify::adapters::{BuiltIn, HttpClassifier, HttpSettings as ClassifierHttp};
use madang_domain::accounts::Accounts;
use madang_domain::categories::Categories;
use madang_domain::comments::Comments;
use madang_domain::ports::{Cache, Classifier, Probe};
use madang_domain::posts::Posts;
use madang_domain::seminars::Seminars;
use madang_domain::sentiment::{LabelRequests, Sentiments};
use madang_domain::time::Clock;
use madang_http::{AppState, HttpSettings};
use madang_store::{Db, DbConfig, MigrationError};
use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;

use crate::auth::{Argon2Hasher, JwtCodec, SystemClock};
use crate::config::Settings;

/// The sentiment model built into the binary (`models/sentiment-ko-v1.bin`; see the
/// README for the command that reproduces it).
static DEFAULT_MODEL: &[u8] = include_bytes!("../../../models/sentiment-ko-v1.bin");

/// The built-in model, or the file `path` names.
pub fn load_model(path: &str) -> anyhow::Result<Model> {
    let bytes = if path.is_empty() {
        DEFAULT_MODEL.to_vec()
    } else {
        std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("cannot read the sentiment model {path}: {e}"))?
    };
    Model::from_bytes(&bytes).map_err(|e| {
        let source = if path.is_empty() { "built-in" } else { path };
        anyhow::anyhow!("the sentiment model ({source}) cannot be used: {e}")
    })
}

/// Labels posts and comments in tasks of their own, off the request path; shutdown
/// waits for them.
struct SpawnedLabels {
    sentiments: Arc<Sentiments>,
    tracker: TaskTracker,
}

impl LabelRequests for SpawnedLabels {
    fn post_written(&self, id: i64, version: i64, text: String) {
        let s = self.sentiments.clone();
        self.tracker.spawn(async move {
            if let Err(e) = s.label_post(id, version, &text).await {
                tracing::warn!(post = id, error = %e, "labelling failed");
            }
        });
    }

    fn comment_written(&self, id: i64, version: i64, text: String) {
        let s = self.sentiments.clone();
        self.tracker.spawn(async move {
            if let Err(e) = s.label_comment(id, version, &text).await {
                tracing::warn!(comment = id, error = %e, "labelling failed");
            }
        });
    }
}

/// The assembled application: its state and the database behind it.
pub struct App {
    pub state: AppState,
    pub db: Db,
    pub settings: Settings,
    background: TaskTracker,
}

struct DbProbe(Db);

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

struct RedisProbe(RedisStore);

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

impl App {
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = Db::connect_lazy(&DbConfig {
            url: settings.database_url.clone(),
            max_connections: settings.database_max_connections,
            acquire_timeout: Duration::from_millis(settings.database_acquire_timeout_ms),
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let store = Arc::new(db.clone());
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let hasher = Arc::new(Argon2Hasher::new(
            settings.password_hash_memory_kib,
            settings.password_hash_iterations,
            settings.password_hash_concurrency,
        )?);
        let tokens = Arc::new(JwtCodec::new(
            &settings.jwt_secret,
            settings.access_token_ttl_secs,
            settings.refresh_token_ttl_secs,
        ));
        let mut probes: Vec<Arc<dyn Probe>> = vec![Arc::new(DbProbe(db.clone()))];
        let cache: Arc<dyn Cache> = if settings.cache == "off" {
            Arc::new(Passthrough)
        } else if settings.redis_url.is_empty() {
            Arc::new(CacheService::local(LocalStore::new(
                settings.cache_max_bytes,
            )))
        } else {
            let redis = RedisStore::new(RedisSettings {
                url: settings.redis_url.clone(),
                op_timeout: Duration::from_millis(settings.redis_timeout_ms),
                prefix: settings.redis_prefix.clone(),
            })
            .map_err(anyhow::Error::msg)?;
            probes.push(Arc::new(RedisProbe(redis.clone())));
            Arc::new(CacheService::redis(redis))
        };
        let builtin: Arc<dyn Classifier> =
            Arc::new(BuiltIn::new(load_model(&settings.classifier_model)?));
        let classifier: Arc<dyn Classifier> = if settings.classifier_url.is_empty() {
            builtin
        } else {
            let http = ClassifierHttp {
                url: settings.classifier_url.clone(),
                timeout: Duration::from_millis(settings.classifier_timeout_ms),
                retries: 2,
                failure_threshold: 5,
                open_for: Duration::from_secs(30),
            };
            Arc::new(HttpClassifier::new(http, builtin).map_err(anyhow::Error::msg)?)
        };
        let sentiments = Arc::new(Sentiments::new(classifier, store.clone(), cache.clone()));
        let background = TaskTracker::new();
        let labels: Arc<dyn LabelRequests> = Arc::new(SpawnedLabels {
            sentiments: sentiments.clone(),
            tracker: background.clone(),
        });
        let prometheus = crate::telemetry::metrics();
        let process = metrics_process::Collector::default();
        process.describe();
        let pools = db.clone();
        // Gauges that are read, not counted, are refreshed when scraped.
        let render = move || {
            process.collect();
            pools.record_pool_metrics();
            prometheus.render()
        };
        let state = AppState {
            accounts: Arc::new(Accounts::new(
                store.clone(),
                store.clone(),
                hasher,
                tokens,
                cache.clone(),
                clock.clone(),
            )),
            categories: Arc::new(Categories::new(store.clone(), cache.clone(), clock.clone())),
            posts: Arc::new(Posts::new(
                store.clone(),
                store.clone(),
                cache.clone(),
                labels.clone(),
                clock.clone(),
            )),
            comments: Arc::new(Comments::new(
                store.clone(),
                store.clone(),
                cache.clone(),
                labels,
                clock.clone(),
            )),
            seminars: Arc::new(Seminars::new(store.clone(), cache, clock)),
            sentiments,
            probes: Arc::new(probes),
            metrics: Arc::new(render),
        };
        Ok(Self {
            state,
            db,
            settings,
            background,
        })
    }

    pub fn router(&self) -> axum::Router {
        madang_http::router(
            self.state.clone(),
            &HttpSettings {
                body_limit: self.settings.body_limit_bytes,
                request_timeout: Duration::from_secs(self.settings.request_timeout_secs),
                max_concurrent_requests: self.settings.max_concurrent_requests,
                metrics_on_main: self.settings.metrics_listen.is_empty(),
            },
        )
    }

    /// Applies migrations. A database that cannot be reached yet is retried in the
    /// background, so Madang starts (and answers 503) while it is down; an edited
    /// migration stops start-up.
    pub async fn migrate_at_start(&self) -> anyhow::Result<()> {
        if !self.settings.auto_migrate {
            return Ok(());
        }
        match self.db.migrate().await {
            Ok(()) => Ok(()),
            Err(MigrationError::Unavailable(e)) => {
                tracing::error!(error = %e, "database unreachable at start; migrations will be retried");
                self.db.set_schema_ready(false);
                let db = self.db.clone();
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        match db.migrate().await {
                            Ok(()) => {
                                db.set_schema_ready(true);
                                tracing::info!("database reachable; migrations applied");
                                break;
                            }
                            Err(MigrationError::Unavailable(_)) => continue,
                            Err(e) => {
                                tracing::error!(error = %e, "migrations failed");
                                break;
                            }
                        }
                    }
                });
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Serves on `listener` until `shutdown` resolves, then lets in-flight requests
    /// finish (up to the configured grace period) and closes the pools.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let router = self.router();
        let grace = Duration::from_secs(self.settings.shutdown_grace_secs);
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let server = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        if !self.settings.metrics_listen.is_empty() {
            let listener = TcpListener::bind(&self.settings.metrics_listen).await?;
            let mut stop = stop_rx.clone();
            let metrics = madang_http::metrics_router(self.state.clone());
            tokio::spawn(async move {
                let _ = axum::serve(listener, metrics)
                    .with_graceful_shutdown(async move {
                        let _ = stop.wait_for(|s| *s).await;
                    })
                    .await;
            });
        }
        let mut stopped = stop_rx.clone();
        tokio::select! {
            r = server => r?,
            _ = async move {
                let _ = stopped.wait_for(|s| *s).await;
                tokio::time::sleep(grace).await;
            } => tracing::warn!("shutdown grace period over; dropping unfinished requests"),
        }
        // Drain background work (labelling) before the pools close.
        self.background.close();
        if tokio::time::timeout(grace, self.background.wait())
            .await
            .is_err()
        {
            tracing::warn!("background work still running at shutdown was dropped");
        }
        self.db.close().await;
        Ok(())
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
