pub mod categories;
pub mod comments;
pub mod ops;
pub mod posts;
pub mod seminars;
pub mod sentiment;
pub mod stats;
pub mod users;
