//! `madang`: the board service and its operator commands.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use madang::app::{App, shutdown_signal};
use madang::config::Settings;
use madang_domain::accounts::SignUp;
use madang_domain::users::{Role, UserState};
use madang_domain::{Error, Timestamp};
use madang_store::MigrationState;

#[derive(Parser)]
#[command(name = "madang", version, about = "Madang, a community board service")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve,
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

fn domain(e: Error) -> anyhow::Error {
    match e {
        Error::Validation(v) => {
            let lines: Vec<String> = v
                .iter()
                .map(|v| format!("  {}: {}", v.field, v.message))
                .collect();
            anyhow::anyhow!("invalid input:\n{}", lines.join("\n"))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load().context("cannot load the configuration")?;
    madang::telemetry::init(&settings);
    let app = App::build(settings)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            app.migrate_at_start().await?;
            let listener = tokio::net::TcpListener::bind(&app.settings.listen)
                .await
                .with_context(|| format!("cannot listen on {}", app.settings.listen))?;
            tracing::info!(listen = %app.settings.listen, engine = app.db.engine().name(), "madang is serving");
            app.serve(listener, shutdown_signal()).await?;
            tracing::info!("madang stopped");
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
    }
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
            let user = accounts.sign_up(input, Role::Admin).await.map_err(domain)?;
            println!("created admin {} (id {})", user.name, user.id);
        }
        AdminCommand::SetRole { user, role } => {
            let role = Role::parse(&role).context("role must be user, moderator or admin")?;
            let u = accounts.find(&user).await.map_err(domain)?;
            accounts.set_role(u.id, role).await.map_err(domain)?;
            println!("{} is now {}", u.name, role.as_str());
        }
        AdminCommand::Suspend { user, days, reason } => {
            let u = accounts.find(&user).await.map_err(domain)?;
            let until: Timestamp = accounts.now().plus_secs(i64::from(days) * 86_400);
            accounts
                .set_state(u.id, UserState::Suspended { until, reason })
                .await
                .map_err(domain)?;
            println!("{} is suspended for {days} days", u.name);
        }
        AdminCommand::Ban { user, reason } => {
            let u = accounts.find(&user).await.map_err(domain)?;
            accounts
                .set_state(u.id, UserState::Banned { reason })
                .await
                .map_err(domain)?;
            println!("{} is banned", u.name);
        }
        AdminCommand::Reinstate { user } => {
            let u = accounts.find(&user).await.map_err(domain)?;
            accounts
                .set_state(u.id, UserState::Active)
                .await
                .map_err(domain)?;
            println!("{} is reinstated", u.name);
        }
    }
    Ok(())
}
