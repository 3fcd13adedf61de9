//! Black-box tests of Madang's HTTP API. The same suite runs on SQLite (by default),
//! MariaDB and PostgreSQL (`MADANG_TEST_DATABASE_URL`, see helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod blocks;
mod board;
mod categories;
mod comments;
mod console;
mod deploy;
mod hardening;
mod helpers;
mod jobs;
mod limits;
mod mentions;
mod notifications;
mod outage;
mod posts;
mod reports;
mod robustness;
mod search;
mod seed;
mod seminars;
mod sentiment;
mod threads;
mod users;
mod web;
