//! Board prefixes (말머리): the short labels a board offers before its posts' titles
//! (`[질문]`, `[정보]`, …). They are part of the category tree (read through its cache),
//! so checking a post's prefix costs no query.

use crate::categories::{Categories, Category, CategoryNode, CategoryTree, changed};
use crate::error::{Error, Result, Violation};
use crate::search::text::nfc;
use crate::users::fold_case;
use crate::validate::{char_len, not_blank};

/// Longest prefix name, in characters.
pub const PREFIX_NAME_MAX: usize = 20;
/// Most prefixes one board offers.
pub const PREFIXES_PER_BOARD: usize = 20;

/// 1–20 characters, not blank, NFC, without the brackets it is shown in (`[질문]` is
/// stored as `질문`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixName(String);

impl PrefixName {
    pub fn parse(s: &str) -> Result<Self, Violation> {
        let s = nfc(s.trim());
        let s = s
            .strip_prefix('[')
            .and_then(|x| x.strip_suffix(']'))
            .unwrap_or(&s)
            .trim()
            .to_owned();
        not_blank("name", &s)?;
        char_len("name", &s, 1, PREFIX_NAME_MAX)?;
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Prefixes of one board may not share a name, ignoring case.
    pub fn key(&self) -> String {
        fold_case(&self.0)
    }
}

/// Whether `prefix` may head a post of `board`: it must be one of the board's, and a
/// board that requires a prefix gets one.
pub fn check_post_prefix(
    tree: &CategoryTree,
    board: i64,
    prefix: Option<i64>,
) -> Result<(), Violation> {
    let Some(category) = tree.get(board) else {
        return Ok(()); // an unknown board is category_id's violation
    };
    match prefix {
        Some(p) if !category.prefixes.iter().any(|x| x.id == p) => Err(Violation::new(
            "prefix_id",
            "exists",
            "prefix_id does not name a prefix of the post's board",
        )),
        None if category.prefix_required => Err(Violation::new(
            "prefix_id",
            "required",
            "this board asks every post for a prefix",
        )),
        _ => Ok(()),
    }
}

/// Refuses another prefix on a board that offers [`PREFIXES_PER_BOARD`] already.
pub(crate) fn has_room(board: &Category) -> Result<()> {
    if board.prefixes.len() >= PREFIXES_PER_BOARD {
        return Err(Error::invalid(
            "name",
            "max_items",
            format!("a board offers at most {PREFIXES_PER_BOARD} prefixes"),
        ));
    }
    Ok(())
}

impl Categories {
    /// Adds a prefix at the end of a board's list (admins).
    #[tracing::instrument(name = "categories.add_prefix", skip_all)]
    pub async fn add_prefix(&self, board: i64, name: &str) -> Result<CategoryNode> {
        let tree = self.tree().await?;
        let category = tree.get(board).ok_or(Error::NotFound("category"))?;
        let name = PrefixName::parse(name).map_err(|v| Error::Validation(vec![v]))?;
        has_room(category)?;
        self.store
            .add_prefix(board, &name, self.clock.now())
            .await?;
        self.cache.invalidate(&changed()).await;
        self.tree()
            .await?
            .node(board)
            .ok_or(Error::NotFound("category"))
    }

    /// Removes a prefix; the board's posts that carried it keep none.
    #[tracing::instrument(name = "categories.delete_prefix", skip_all)]
    pub async fn delete_prefix(&self, prefix: i64) -> Result<()> {
        let tree = self.tree().await?;
        let board = tree
            .board_of_prefix(prefix)
            .ok_or(Error::NotFound("prefix"))?;
        if !self.store.delete_prefix(board, prefix).await? {
            return Err(Error::NotFound("prefix"));
        }
        self.cache.invalidate(&changed()).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::categories::Category;
    use crate::posts::PrefixRef;

    #[test]
    fn names_lose_their_brackets_and_are_bounded() {
        assert_eq!(PrefixName::parse(" [질문] ").unwrap().as_str(), "질문");
        assert_eq!(PrefixName::parse("정보").unwrap().as_str(), "정보");
        assert!(PrefixName::parse("[ ]").is_err());
        assert!(PrefixName::parse(&"가".repeat(21)).is_err());
    }

    #[test]
    fn a_post_takes_only_its_boards_prefixes_and_one_when_required() {
        let tree = CategoryTree::new(vec![
            Category {
                id: 1,
                name: "질문".into(),
                prefixes: vec![PrefixRef {
                    id: 10,
                    name: "질문".into(),
                }],
                prefix_required: true,
                ..Category::default()
            },
            Category {
                id: 2,
                name: "자유".into(),
                prefixes: vec![PrefixRef {
                    id: 20,
                    name: "잡담".into(),
                }],
                ..Category::default()
            },
        ]);
        assert!(check_post_prefix(&tree, 1, Some(10)).is_ok());
        assert_eq!(
            check_post_prefix(&tree, 1, None).unwrap_err().constraint,
            "required"
        );
        assert_eq!(
            check_post_prefix(&tree, 1, Some(20))
                .unwrap_err()
                .constraint,
            "exists"
        );
        assert!(check_post_prefix(&tree, 2, None).is_ok());
    }
}
