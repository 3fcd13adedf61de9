//! Bookmarks (스크랩): a member keeps posts to read again. Private to the member;
//! a bookmark of a post that is later deleted drops out of the list.

use crate::accounts::Actor;
use crate::error::{Error, Result};
use crate::listing::{Page, PageRequest};

use super::{Bookmark, Posts};

impl Posts {
    /// Adds or removes the member's bookmark of a post, idempotently; answers whether
    /// the post is bookmarked now. A post that is missing (or deleted, to add) is 404.
    #[tracing::instrument(name = "posts.bookmark", skip_all)]
    pub async fn bookmark(&self, actor: &Actor, id: i64, on: bool) -> Result<bool> {
        if self
            .bookmarks
            .set_bookmark(actor.id, id, on, self.clock.now())
            .await?
        {
            Ok(on)
        } else {
            Err(Error::NotFound("post"))
        }
    }

    #[tracing::instrument(name = "posts.bookmarked", skip_all)]
    pub async fn bookmarked(&self, actor: &Actor, id: i64) -> Result<bool> {
        self.bookmarks.bookmarked(actor.id, id).await
    }

    /// The member's bookmarks, newest first.
    #[tracing::instrument(name = "posts.bookmarks", skip_all)]
    pub async fn bookmarks(
        &self,
        actor: &Actor,
        page: Option<i64>,
        size: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<Page<Bookmark>> {
        let page = PageRequest::parse(page, size, cursor, "bookmarks.new")?;
        self.bookmarks.bookmarks(actor.id, &page).await
    }
}
