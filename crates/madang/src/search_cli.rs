//! `madang search`: the status of this node's search index, and rebuilding it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressStyle};
use madang::app::App;
use madang_domain::search::SearchFeed;
use tokio::runtime::Handle;

#[derive(clap::Subcommand)]
pub enum SearchCommand {
    /// The index's size, document count, and lag behind the database.
    Status {
        /// Print it as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Rebuild this node's index from the database (the node must be stopped). Ctrl-C
    /// stops it and leaves the previous index as it was.
    Reindex,
}

pub async fn run(app: &App, command: SearchCommand) -> anyhow::Result<()> {
    let feed: Arc<dyn SearchFeed> = Arc::new(app.db.clone());
    let dir = std::path::PathBuf::from(&app.settings.search.dir);
    let rt = Handle::current();
    match command {
        SearchCommand::Status { json } => {
            let s = tokio::task::spawn_blocking(move || {
                madang_search::status(feed.as_ref(), &rt, &dir)
            })
            .await??;
            if json {
                println!("{}", serde_json::to_string(&s)?);
                return Ok(());
            }
            println!("index        {}", s.dir.display());
            println!("built        {}", if s.built { "yes" } else { "no" });
            println!("documents    {}", s.documents);
            println!(
                "size         {:.1} MiB ({} bytes)",
                s.bytes as f64 / 1_048_576.0,
                s.bytes
            );
            println!("applied      change {}", s.applied);
            println!("lag          {} changes behind the database", s.lag);
            if s.built && !s.current {
                println!(
                    "note         posts were bulk-written since it was built: a node rebuilds it at start"
                );
            }
        }
        SearchCommand::Reindex => {
            let stop = Arc::new(AtomicBool::new(false));
            let on_signal = stop.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    eprintln!("\nstopping the rebuild; the previous index stays");
                    on_signal.store(true, Ordering::SeqCst);
                }
            });
            let bar = ProgressBar::new(0);
            bar.set_style(ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {human_pos}/{human_len} posts, {per_sec}, eta {eta}",
            )?);
            let started = std::time::Instant::now();
            let (b, d) = (bar.clone(), dir.clone());
            let mark = tokio::task::spawn_blocking(move || {
                let progress = |done: u64, total: u64| {
                    b.set_length(total);
                    b.set_position(done);
                };
                madang_search::reindex(feed.as_ref(), &rt, &d, &progress, &stop)
            })
            .await?;
            bar.finish_and_clear();
            let mark = mark?;
            println!(
                "search index rebuilt in {:.1} s at change {} ({})",
                started.elapsed().as_secs_f64(),
                mark.applied,
                dir.display()
            );
        }
    }
    Ok(())
}
