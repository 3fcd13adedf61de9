//! `madang`: the board service and its operator commands.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use madang::app::{App, shutdown_signal};
use madang::config::Settings;
use madang::domain_error;
use madang_domain::Timestamp;
use madang_domain::accounts::SignUp;
use madang_domain::users::{Role, UserState};
use madang_store::MigrationState;

mod search_cli;

#[derive(Parser)]
#[command(name = "madang", version, about = "Madang, a community board service")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the default), with job workers and cron schedules.
    Serve,
    /// Run job workers and cron schedules only, without the HTTP API.
    Worker,
    /// Inspect and revive background jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Apply pending database migrations.
    Migrate {
        /// List applied and pending migrations instead of applying them.
        #[arg(long)]
        status: bool,
    },
    /// Operator commands on accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Fill the database with a generated board (for benchmarks and demos). Adds to what
    /// is there; Ctrl-C stops it after the batches in hand, leaving only whole posts.
    Seed(SeedArgs),
    /// This node's search index: status and rebuild.
    Search {
        #[command(subcommand)]
        command: search_cli::SearchCommand,
    },
    /// The built-in sentiment model: train, evaluate, try.
    Classify {
        #[command(subcommand)]
        command: ClassifyCommand,
    },
}

#[derive(clap::Args)]
struct SeedArgs {
    #[arg(long, default_value_t = 1_000)]
    users: u64,
    #[arg(long, default_value_t = 10_000)]
    posts: u64,
    #[arg(long, default_value_t = 50_000)]
    comments: u64,
    #[arg(long, default_value_t = 50_000)]
    votes: u64,
    /// Korean sentences: a TSV file with a header line and the text in its second column.
    #[arg(long, default_value = "../shared/data/sentiment/train.tsv")]
    corpus: std::path::PathBuf,
    /// Creation times spread over this many days up to now.
    #[arg(long, default_value_t = 1_095)]
    days: u32,
    /// The random seed: the same seed on an empty database gives the same board.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Posts (with their comments and votes) per transaction.
    #[arg(long, default_value_t = 200)]
    batch: usize,
}

#[derive(Subcommand)]
enum ClassifyCommand {
    /// Train a model on a labelled TSV file (id, document, label with a header line).
    Train {
        #[arg(long)]
        data: std::path::PathBuf,
        #[arg(long)]
        out: std::path::PathBuf,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value_t = 4)]
        epochs: usize,
        #[arg(long, default_value = "madang-sentiment-ko-v1")]
        name: String,
    },
    /// Accuracy, precision, recall, F1, the confusion matrix and the speed on a TSV file.
    Eval {
        #[arg(long)]
        data: std::path::PathBuf,
        /// A model file; the built-in model by default.
        #[arg(long, default_value = "")]
        model: String,
    },
    /// Classify one text.
    Predict {
        text: String,
        #[arg(long, default_value = "")]
        model: String,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// The newest jobs (dead-lettered ones with --failed).
    List {
        #[arg(long)]
        failed: bool,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Put a dead-lettered job back in the queue, or all of them.
    Retry {
        #[arg(required_unless_present = "all_failed", conflicts_with = "all_failed")]
        id: Option<i64>,
        #[arg(long)]
        all_failed: bool,
    },
    /// Jobs per state.
    Stats,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an admin account. The password comes from MADANG_ADMIN_PASSWORD or a prompt.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
    },
    /// Give a user (by name or email) a role: user, moderator or admin.
    SetRole {
        #[arg(long)]
        user: String,
        #[arg(long)]
        role: String,
    },
    /// Suspend a user for some days.
    Suspend {
        #[arg(long)]
        user: String,
        #[arg(long)]
        days: u32,
        #[arg(long)]
        reason: String,
    },
    /// Ban a user.
    Ban {
        #[arg(long)]
        user: String,
        #[arg(long)]
        reason: String,
    },
    /// Lift a suspension or ban.
    Reinstate {
        #[arg(long)]
        user: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::Classify { command }) = cli.command {
        return classify(command);
    }
    let settings = Settings::load().context("cannot load the configuration")?;
    madang::telemetry::init(&settings);
    let app = App::build(settings)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            app.migrate_at_start().await?;
            let listener = tokio::net::TcpListener::bind(&app.settings.http.listen)
                .await
                .with_context(|| format!("cannot listen on {}", app.settings.http.listen))?;
            tracing::info!(listen = %app.settings.http.listen, engine = app.db.engine().name(), "madang is serving");
            app.serve(listener, shutdown_signal()).await?;
            tracing::info!("madang stopped");
        }
        Command::Worker => {
            app.migrate_at_start().await?;
            tracing::info!(
                queue = app.jobs.name(),
                engine = app.db.engine().name(),
                "madang worker started"
            );
            app.work(shutdown_signal()).await?;
            tracing::info!("madang worker stopped");
        }
        Command::Jobs { command } => {
            app.db.migrate().await?;
            jobs(&app, command).await?;
        }
        Command::Migrate { status: false } => {
            app.db.migrate().await?;
            println!("migrations are up to date");
        }
        Command::Migrate { status: true } => {
            for m in app.db.migration_status().await? {
                let state = match m.state {
                    MigrationState::Applied => "applied",
                    MigrationState::Pending => "pending",
                    MigrationState::Edited => "EDITED since applied",
                };
                println!("{:>4}  {:<24}  {}", m.version, state, m.description);
            }
        }
        Command::Admin { command } => {
            app.db.migrate().await?;
            admin(&app, command).await?;
        }
        Command::Seed(args) => {
            app.db.migrate().await?;
            seed(&app, args).await?;
        }
        Command::Search { command } => {
            app.db.migrate().await?;
            search_cli::run(&app, command).await?;
        }
        Command::Classify { .. } => unreachable!("handled before the application is built"),
    }
    Ok(())
}

async fn jobs(app: &App, command: JobsCommand) -> anyhow::Result<()> {
    use madang_domain::jobs::JobState;
    let q = &app.jobs;
    match command {
        JobsCommand::List { failed, limit } => {
            let state = failed.then_some(JobState::Dead);
            let jobs = q.list(state, limit).await.map_err(domain_error)?;
            println!(
                "{:>8}  {:<24}  {:<8}  {:>8}  {:<24}  last error",
                "id", "kind", "state", "attempts", "updated"
            );
            for j in jobs {
                println!(
                    "{:>8}  {:<24}  {:<8}  {:>4}/{:<3}  {:<24}  {}",
                    j.id,
                    j.kind,
                    j.state.as_str(),
                    j.attempts,
                    j.max_attempts,
                    madang_http::dto::rfc3339(j.updated_at),
                    j.last_error.unwrap_or_default()
                );
            }
        }
        JobsCommand::Retry { id: Some(id), .. } => {
            if q.retry(id).await.map_err(domain_error)? {
                println!("job {id} is queued again");
            } else {
                anyhow::bail!("job {id} is not dead-lettered (or does not exist)");
            }
        }
        JobsCommand::Retry { id: None, .. } => {
            let n = q.retry_all_dead().await.map_err(domain_error)?;
            println!("{n} dead-lettered jobs queued again");
        }
        JobsCommand::Stats => {
            let s = q.stats().await.map_err(domain_error)?;
            println!("queue    {}", q.name());
            println!("outbox   {}", s.outbox);
            println!("queued   {}", s.queued);
            println!("running  {}", s.running);
            println!("done     {}", s.done);
            println!("dead     {}", s.dead);
        }
    }
    Ok(())
}

async fn seed(app: &App, args: SeedArgs) -> anyhow::Result<()> {
    use indicatif::{ProgressBar, ProgressStyle};
    use madang::seed::{SEED_PASSWORD, SeedOptions};
    use madang_domain::ports::PasswordHasher as _;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let opts = SeedOptions {
        users: args.users,
        posts: args.posts,
        comments: args.comments,
        votes: args.votes,
        corpus: args.corpus,
        days: args.days,
        seed: args.seed,
        batch: args.batch,
    };
    // Every seeded user shares one password, hashed once: hashing each would take
    // longer than the rest of the seed.
    let s = &app.settings;
    let hasher = madang::auth::Argon2Hasher::new(
        s.auth.password_hash_memory_kib,
        s.auth.password_hash_iterations,
        1,
    )?;
    let password = madang_domain::users::Password::parse("password", SEED_PASSWORD)
        .map_err(|v| anyhow::anyhow!("{}", v.message))?;
    let hash = hasher.hash(&password).await.map_err(domain_error)?;
    let model = madang::app::load_model(&s.classifier.model)?;

    let stop = Arc::new(AtomicBool::new(false));
    let on_signal = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nstopping: writing the batches in hand (Ctrl-C again to abort them)");
            on_signal.store(true, Ordering::SeqCst);
            if tokio::signal::ctrl_c().await.is_ok() {
                // The open transactions roll back: still no half-written post.
                std::process::exit(130);
            }
        }
    });
    let bar = ProgressBar::new(opts.posts);
    bar.set_style(ProgressStyle::with_template(
        "{elapsed_precise} [{bar:30}] {human_pos}/{human_len} posts, {per_sec}, eta {eta} · {msg}",
    )?);
    let started = std::time::Instant::now();
    let now = app.state.accounts.now();
    let r = madang::seed::seed(&app.db, &opts, hash, model, now, stop, &bar).await;
    bar.finish_and_clear();
    let r = r?;
    let took = started.elapsed().as_secs_f64();
    let rows = r.users + 2 * r.posts + r.versions + 2 * r.comments + r.votes;
    println!(
        "{}seeded {} users, {} posts ({} versions), {} comments, {} votes in {:.1} s ({:.0} rows/s) on {}",
        if r.interrupted { "interrupted: " } else { "" },
        r.users,
        r.posts,
        r.versions,
        r.comments,
        r.votes,
        took,
        rows as f64 / took,
        app.db.engine().name()
    );
    println!("every seeded user's password is {SEED_PASSWORD}");
    Ok(())
}

async fn admin(app: &App, command: AdminCommand) -> anyhow::Result<()> {
    let accounts = &app.state.accounts;
    match command {
        AdminCommand::Create { name, email } => {
            let password = match std::env::var("MADANG_ADMIN_PASSWORD") {
                Ok(p) => p,
                Err(_) => rpassword::prompt_password("password for the new admin: ")?,
            };
            let input = SignUp {
                name: Some(name),
                email: Some(email),
                password1: Some(password.clone()),
                password2: Some(password),
            };
            let user = accounts
                .sign_up(input, Role::Admin)
                .await
                .map_err(domain_error)?;
            println!("created admin {} (id {})", user.name, user.id);
        }
        AdminCommand::SetRole { user, role } => {
            let role = Role::parse(&role).context("role must be user, moderator or admin")?;
            let u = accounts.find(&user).await.map_err(domain_error)?;
            accounts.set_role(u.id, role).await.map_err(domain_error)?;
            println!("{} is now {}", u.name, role.as_str());
        }
        AdminCommand::Suspend { user, days, reason } => {
            let u = accounts.find(&user).await.map_err(domain_error)?;
            let until: Timestamp = accounts.now().plus_secs(i64::from(days) * 86_400);
            accounts
                .set_state(u.id, UserState::Suspended { until, reason })
                .await
                .map_err(domain_error)?;
            println!("{} is suspended for {days} days", u.name);
        }
        AdminCommand::Ban { user, reason } => {
            let u = accounts.find(&user).await.map_err(domain_error)?;
            accounts
                .set_state(u.id, UserState::Banned { reason })
                .await
                .map_err(domain_error)?;
            println!("{} is banned", u.name);
        }
        AdminCommand::Reinstate { user } => {
            let u = accounts.find(&user).await.map_err(domain_error)?;
            accounts
                .set_state(u.id, UserState::Active)
                .await
                .map_err(domain_error)?;
            println!("{} is reinstated", u.name);
        }
    }
    Ok(())
}

fn read_examples(path: &std::path::Path) -> anyhow::Result<Vec<madang_classify::Example>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let examples = madang_classify::read_tsv(&text);
    anyhow::ensure!(
        !examples.is_empty(),
        "{} holds no labelled rows",
        path.display()
    );
    Ok(examples)
}

fn classify(command: ClassifyCommand) -> anyhow::Result<()> {
    use indicatif::{ProgressBar, ProgressStyle};
    use madang_classify::{Evaluation, Model, TrainOptions};
    match command {
        ClassifyCommand::Train {
            data,
            out,
            seed,
            epochs,
            name,
        } => {
            let examples = read_examples(&data)?;
            let opts = TrainOptions {
                seed,
                epochs,
                ..TrainOptions::default()
            };
            let bar = ProgressBar::new(epochs as u64)
                .with_message(format!("training on {} examples", examples.len()));
            bar.set_style(ProgressStyle::with_template(
                "{msg} [{bar:30}] epoch {pos}/{len} {elapsed}",
            )?);
            let model = Model::train(&name, &examples, &opts, |done, _| {
                bar.set_position(done as u64)
            });
            bar.finish();
            // Written to a temporary file first: an interrupted run leaves no half model.
            let tmp = out.with_extension("partial");
            std::fs::write(&tmp, model.to_bytes())
                .with_context(|| format!("cannot write {}", tmp.display()))?;
            std::fs::rename(&tmp, &out)?;
            println!(
                "wrote {} ({} bytes)",
                out.display(),
                std::fs::metadata(&out)?.len()
            );
        }
        ClassifyCommand::Eval { data, model } => {
            let model = madang::app::load_model(&model)?;
            let examples = read_examples(&data)?;
            let started = std::time::Instant::now();
            let e = Evaluation::of(&model, &examples);
            let batch = started.elapsed();
            let mut each: Vec<std::time::Duration> = examples
                .iter()
                .take(5000)
                .map(|ex| {
                    let t = std::time::Instant::now();
                    std::hint::black_box(model.positive_probability(&ex.text));
                    t.elapsed()
                })
                .collect();
            each.sort();
            println!("model      {}", model.name);
            println!("examples   {}", e.total());
            println!("accuracy   {:.4}", e.accuracy());
            println!("precision  {:.4}", e.precision());
            println!("recall     {:.4}", e.recall());
            println!("f1         {:.4}", e.f1());
            println!("confusion  predicted positive / negative");
            println!("  positive {:>8} {:>8}", e.true_positive, e.false_negative);
            println!("  negative {:>8} {:>8}", e.false_positive, e.true_negative);
            println!(
                "speed      median {:.1} µs per review (one core), {:.0} reviews/s over the whole file",
                each[each.len() / 2].as_secs_f64() * 1e6,
                e.total() as f64 / batch.as_secs_f64()
            );
        }
        ClassifyCommand::Predict { text, model } => {
            let model = madang::app::load_model(&model)?;
            let p = f64::from(model.positive_probability(&text));
            let (label, score) = if p >= 0.5 {
                ("positive", p)
            } else {
                ("negative", 1.0 - p)
            };
            println!("{label} {score:.4} ({})", model.name);
        }
    }
    Ok(())
}
