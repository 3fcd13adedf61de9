//! Wiring: adapters into use cases into the HTTP router, and the server's life.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use madang_cache::{
    CacheService, LocalStore, LocalViews, Passthrough, RedisSettings, RedisStore, RedisViews,
};
use madang_classify::Model;
use madang_classify::adapters::{BuiltIn, HttpClassifier, HttpSettings as ClassifierHttp};
use madang_domain::accounts::Accounts;
use madang_domain::blocks::Blocks;
use madang_domain::categories::Categories;
use madang_domain::comments::{CommentStores, Comments};
use madang_domain::console::{Console, ConsolePorts, ConsoleSettings};
use madang_domain::jobs::FollowUps;
use madang_domain::limits::Limits;
use madang_domain::maintenance::{DAY_MS, Maintenance, MaintenanceSettings};
use madang_domain::notifications::Notifications;
use madang_domain::ports::JobQueue;
use madang_domain::ports::{Cache, Classifier, Probe};
use madang_domain::posts::{PostPorts, Posts};
use madang_domain::reports::Reports;
use madang_domain::seminars::Seminars;
use madang_domain::sentiment::Sentiments;
use madang_domain::time::Clock;
use madang_domain::views::{ViewBuffer, Views};
use madang_domain::web_sessions::{MemberSessions, WebSessionSettings};
use madang_http::middleware::{Around, TrustedProxies, WorkRuntime};
use madang_http::{AppState, HttpSettings};
use madang_jobs::handlers::madang_handlers;
use madang_jobs::{RedisQueue, Scheduler, WorkerSettings, Workers};
use madang_search::{SearchIndex, SearchSettings};
use madang_store::{Db, DbConfig, EmbeddedQueue, MigrationError};
use madang_web::{WebSettings, WebState};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::{Argon2Hasher, JwtCodec, SystemClock};
use crate::config::{JobQueueKind, Settings};

mod wiring;
use crate::probes::{DbProbe, QueueProbe, RedisProbe, SearchProbe};
use crate::replicas::{ReadRouting, RecentWriters, ReplicaAwareCache};
use crate::views::flush_views;

/// The sentiment model built into the binary (`models/sentiment-ko-v1.bin`; see the
/// README for the command that reproduces it).
static DEFAULT_MODEL: &[u8] = include_bytes!("../../../../models/sentiment-ko-v1.bin");

/// The built-in model, or the file `path` names.
pub fn load_model(path: &str) -> anyhow::Result<Model> {
    let bytes = if path.is_empty() {
        DEFAULT_MODEL.to_vec()
    } else {
        std::fs::read(path).with_context(|| format!("cannot read the sentiment model {path}"))?
    };
    Model::from_bytes(&bytes).map_err(|e| {
        let source = if path.is_empty() { "built-in" } else { path };
        anyhow::anyhow!("the sentiment model ({source}) cannot be used: {e}")
    })
}

/// The assembled application: its state and the database behind it.
pub struct App {
    pub state: AppState,
    /// The view counter, flushed in the background.
    pub views: Arc<Views>,
    /// The staff console's use cases (served at `/admin`).
    pub console: Arc<Console>,
    /// Members' sessions in the web app (served at `/`).
    pub web_sessions: Arc<MemberSessions>,
    pub db: Db,
    pub settings: Settings,
    /// Where each request's reads go, when replicas are configured.
    read_routing: Option<Arc<dyn Around>>,
    pub jobs: Arc<dyn JobQueue>,
    pub workers: Arc<Workers>,
    /// This node's search index; opened by `serve`.
    pub search: SearchIndex,
    scheduler: Option<Scheduler>,
    /// Workers, the relay and the scheduler; shutdown waits for them.
    background: TaskTracker,
    stop: CancellationToken,
}

/// The search thread holds the pools through its feed; an app dropped without `drain`
/// (a runtime torn down, a test that ends) still lets it go, and with it the connections.
impl Drop for App {
    fn drop(&mut self) {
        self.search.stop();
    }
}

impl App {
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = Db::connect_lazy(&DbConfig {
            url: settings.database.url.expose().to_owned(),
            max_connections: settings.database.max_connections,
            acquire_timeout: Duration::from_millis(settings.database.acquire_timeout_ms),
            replicas: settings.replicas(),
        })
        .with_context(|| format!("the database at {}", settings.database.url))?;
        let window = settings.read_your_writes_window();
        let store = Arc::new(db.clone());
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let hasher = Arc::new(Argon2Hasher::new(
            settings.auth.password_hash_memory_kib,
            settings.auth.password_hash_iterations,
            settings.auth.password_hash_concurrency,
        )?);
        let tokens: Arc<dyn madang_domain::ports::TokenCodec> = Arc::new(JwtCodec::new(
            settings.auth.jwt_secret.expose(),
            settings.auth.access_token_ttl_secs,
            settings.auth.refresh_token_ttl_secs,
        ));
        let mut probes: Vec<Arc<dyn Probe>> = vec![Arc::new(DbProbe(db.clone()))];
        let cache = wiring::cache(&settings, &mut probes)?;
        let (cache, read_routing) =
            wiring::read_routing(&settings, &db, cache, &tokens, &clock, window)?;
        let search = SearchIndex::new(
            store.clone(),
            cache.clone(),
            SearchSettings {
                dir: settings.search.dir.clone().into(),
                poll: Duration::from_millis(settings.search.poll_ms.max(10)),
                writer_memory: 50_000_000,
            },
        );
        probes.push(Arc::new(SearchProbe(search.clone())));
        let classifier = wiring::classifier(&settings)?;
        let sentiments = Arc::new(Sentiments::new(classifier, store.clone(), cache.clone()));
        let jobs = wiring::job_queue(&settings, &db, &store, &clock, &mut probes)?;
        let maintenance = Arc::new(Maintenance::new(
            store.clone(),
            jobs.clone(),
            cache.clone(),
            clock.clone(),
            MaintenanceSettings {
                login_retention_ms: i64::from(settings.auth.login_history_retention_days) * DAY_MS,
                job_retention_ms: i64::from(settings.jobs.retention_days) * DAY_MS,
                ..MaintenanceSettings::default()
            },
        ));
        let tz =
            madang_jobs::cron::parse_zone(&settings.cron.timezone).map_err(anyhow::Error::msg)?;
        let notifications = Arc::new(Notifications::new(
            store.clone(),
            store.clone(),
            clock.clone(),
        ));
        let workers = wiring::workers(
            &settings,
            &jobs,
            &sentiments,
            (&maintenance, &notifications),
            tz,
            &clock,
        );
        let scheduler = wiring::scheduler(&settings, tz, &store, &clock)?;
        let follow_ups = FollowUps::madang();
        let render = wiring::metrics(db.clone());
        let limits = wiring::limits(&settings)?;
        let accounts = Arc::new(
            Accounts::new(
                store.clone(),
                store.clone(),
                hasher,
                tokens.clone(),
                cache.clone(),
                clock.clone(),
                limits.clone(),
            )
            .with_refresh_grace_ms(settings.auth.refresh_reuse_grace_secs.saturating_mul(1000)),
        );
        let web_sessions = Arc::new(MemberSessions::new(
            store.clone(),
            accounts.clone(),
            tokens.clone(),
            clock.clone(),
            WebSessionSettings::default(),
        ));
        let console = wiring::console(&store, &accounts, &jobs, tokens, &cache, &clock);
        let view_buffer = wiring::view_buffer(&settings)?;
        let views = Arc::new(Views::new(
            view_buffer,
            store.clone(),
            cache.clone(),
            clock.clone(),
            // The anonymous readers' keys are hashed with a key of their own, derived
            // from the server secret.
            format!("madang-views\0{}", settings.auth.jwt_secret.expose()).into_bytes(),
            settings.board.views.is_on(),
        ));
        let state = AppState {
            limits,
            accounts,
            categories: Arc::new(Categories::new(store.clone(), cache.clone(), clock.clone())),
            posts: Arc::new(Posts::new(PostPorts {
                posts: store.clone(),
                search: Arc::new(search.clone()),
                categories: store.clone(),
                pins: store.clone(),
                bookmarks: store.clone(),
                blocks: store.clone(),
                users: store.clone(),
                views: views.clone(),
                cache: cache.clone(),
                follow_ups: follow_ups.clone(),
                clock: clock.clone(),
            })),
            comments: Arc::new(Comments::new(
                CommentStores {
                    comments: store.clone(),
                    posts: store.clone(),
                    blocks: store.clone(),
                    users: store.clone(),
                },
                cache.clone(),
                follow_ups,
                clock.clone(),
                settings.board.best_comment_votes,
            )),
            notifications,
            blocks: Arc::new(Blocks::new(store.clone(), clock.clone())),
            reports: Arc::new(Reports::new(
                store.clone(),
                cache.clone(),
                clock.clone(),
                settings.board.report_hide_threshold,
            )),
            seminars: Arc::new(Seminars::new(store.clone(), cache, clock)),
            sentiments,
            maintenance,
            probes: Arc::new(probes),
            metrics: Arc::new(render),
        };
        Ok(Self {
            state,
            views,
            console,
            web_sessions,
            db,
            settings,
            read_routing,
            jobs,
            workers,
            search,
            scheduler,
            background: TaskTracker::new(),
            stop: CancellationToken::new(),
        })
    }

    /// Starts the outbox relay, `workers` job workers and (unless turned off) the cron
    /// scheduler. They run until [`App::drain`].
    pub fn start_background(&mut self, workers: usize) {
        self.workers.spawn(
            &self.background,
            self.stop.clone(),
            self.db.outbox_signal(),
            workers,
        );
        if let Some(s) = self.scheduler.take() {
            self.background.spawn(s.run(self.stop.clone()));
        }
        self.background.spawn(flush_views(
            self.views.clone(),
            Duration::from_millis(self.settings.board.view_flush_ms.max(10)),
            self.stop.clone(),
        ));
        if self.db.has_replicas() {
            let (db, stop) = (self.db.clone(), self.stop.clone());
            let every = Duration::from_millis(self.settings.database.replica_check_ms);
            self.background.spawn(async move {
                while !stop.is_cancelled() {
                    db.check_replicas().await;
                    tokio::select! {
                        () = stop.cancelled() => break,
                        () = tokio::time::sleep(every) => {}
                    }
                }
            });
        }
    }

    /// Stops background work from taking anything new, waits up to the grace period
    /// for running jobs to finish, and closes the pools.
    pub async fn drain(&self) {
        self.search.stop();
        self.stop.cancel();
        self.background.close();
        let grace = Duration::from_secs(self.settings.http.shutdown_grace_secs);
        if tokio::time::timeout(grace, self.background.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                "background work still running at shutdown was dropped; its jobs run again after their lease"
            );
        }
        self.db.close().await;
    }

    /// `madang worker`: jobs and schedules only, until `shutdown` resolves.
    pub async fn work(
        mut self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        self.start_background(self.settings.jobs.workers.max(1));
        shutdown.await;
        self.drain().await;
        Ok(())
    }

    pub fn router(&self) -> axum::Router {
        self.router_on(None)
    }

    /// The proxies whose `X-Forwarded-For` is believed, for the router's client
    /// addresses and the server's per-client cap alike. Checked when the settings were
    /// loaded, so the parse cannot fail here.
    fn trusted_proxies(&self) -> TrustedProxies {
        TrustedProxies::parse(&self.settings.http.trusted_proxies).unwrap_or_default()
    }

    /// The router, serving admitted requests on `work` when the connections are held
    /// by another runtime.
    fn router_on(&self, work: Option<WorkRuntime>) -> axum::Router {
        madang_http::router_with(
            self.state.clone(),
            &HttpSettings {
                body_limit: self.settings.http.body_limit_bytes,
                request_timeout: Duration::from_secs(self.settings.http.request_timeout_secs),
                max_concurrent_requests: self.settings.http.max_concurrent_requests,
                metrics_on_main: self.settings.http.metrics_listen.is_empty(),
                trusted_proxies: self.trusted_proxies(),
                around: self.read_routing.clone(),
                work_runtime: work,
                page_errors: Some(Arc::new(madang_web::error_page)),
                body_timeout: Duration::from_secs(self.settings.http.body_timeout_secs),
                body_min_bytes_per_sec: self.settings.http.body_min_bytes_per_sec,
            },
            madang_admin::router(self.console.clone()).merge(madang_web::router(WebState {
                app: self.state.clone(),
                sessions: self.web_sessions.clone(),
                settings: Arc::new(WebSettings {
                    public_url: Some(self.settings.http.public_url.clone())
                        .filter(|u| !u.is_empty()),
                }),
            })),
        )
    }

    /// Applies migrations. A database that cannot be reached yet is retried in the
    /// background, so Madang starts (and answers 503) while it is down; an edited
    /// migration stops start-up.
    pub async fn migrate_at_start(&self) -> anyhow::Result<()> {
        if !self.settings.database.auto_migrate {
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
        mut self,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        self.start_background(self.settings.jobs.workers);
        self.search
            .start()
            .with_context(|| format!("opening the search index in {}", self.settings.search.dir))?;
        if !self.search.wait_ready(Duration::from_secs(10)).await {
            tracing::warn!(
                "search index still building; keyword searches answer 503 until it is ready"
            );
        }
        let grace = Duration::from_secs(self.settings.http.shutdown_grace_secs);
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        // The connections live on a runtime of their own (`http_threads`), and the
        // requests they admit are served on this one: see `madang_http::middleware::hand_over`.
        let front = Front::start(self.settings.http.http_threads)?;
        let work = front
            .handle()
            .map(|_| WorkRuntime(tokio::runtime::Handle::current()));
        let app = self.router_on(work);
        let connections = madang_http::server::ConnectionSettings {
            header_timeout: Duration::from_secs(self.settings.http.header_timeout_secs),
            max_per_client: self.settings.http.max_connections_per_client,
            trusted_proxies: self.trusted_proxies(),
        };
        let mut stop = stop_rx.clone();
        let graceful = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        let server = match front.handle() {
            Some(rt) => {
                let listener = listener.into_std()?;
                rt.spawn(async move {
                    let listener = TcpListener::from_std(listener)?;
                    madang_http::server::serve(listener, app, connections, graceful).await
                })
            }
            None => tokio::spawn(madang_http::server::serve(
                listener,
                app,
                connections,
                graceful,
            )),
        };
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        if !self.settings.http.metrics_listen.is_empty() {
            let listener = TcpListener::bind(&self.settings.http.metrics_listen).await?;
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
            r = server => r??,
            _ = async move {
                let _ = stopped.wait_for(|s| *s).await;
                tokio::time::sleep(grace).await;
            } => tracing::warn!("shutdown grace period over; dropping unfinished requests"),
        }
        // Connections still open past the grace period go with the front runtime.
        drop(front);
        // Drain background work (jobs) before the pools close.
        self.drain().await;
        Ok(())
    }
}

/// The runtime that holds the HTTP connections, when it is not the main one. Dropped
/// (also on an early return) without waiting, as a runtime inside another must be.
struct Front(Option<tokio::runtime::Runtime>);

impl Front {
    fn start(threads: usize) -> anyhow::Result<Self> {
        if threads == 0 {
            return Ok(Self(None));
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("madang-http")
            .enable_all()
            .build()?;
        Ok(Self(Some(rt)))
    }

    fn handle(&self) -> Option<&tokio::runtime::Handle> {
        self.0.as_ref().map(tokio::runtime::Runtime::handle)
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
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
