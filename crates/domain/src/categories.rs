//! Categories: a tree of any depth. The store keeps flat rows; the tree, tiers,
//! descendants and cycle checks are computed here from the whole (small) set.

use std::collections::HashMap;
use std::sync::Arc;

use crate::cache::{Entry, read_through, scope};
use crate::error::{Error, Result, Violation};
use crate::ports::{Cache, CategoryStore};
use crate::posts::PrefixRef;
use crate::time::Clock;
use crate::users::fold_case;
use crate::validate::{Violations, char_len, not_blank, positive_id, visible};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryName(String);

impl CategoryName {
    pub const MAX: usize = 50;

    pub fn parse(field: &str, s: &str) -> Result<Self, Violation> {
        let s = crate::search::text::nfc(s.trim());
        not_blank(field, &s)?;
        visible(field, &s)?;
        char_len(field, &s, 1, Self::MAX)?;
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Sibling categories may not share a name, ignoring case.
    pub fn key(&self) -> String {
        fold_case(&self.0)
    }
}

/// A stored category row, with its board's prefixes.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Category {
    pub id: i64,
    pub name: String,
    pub parent_id: Option<i64>,
    /// The board's prefixes (말머리), in the order it shows them.
    pub prefixes: Vec<PrefixRef>,
    /// Whether every post of the board carries one.
    pub prefix_required: bool,
}

/// A category with its place in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryNode {
    pub id: i64,
    pub name: String,
    pub parent_id: Option<i64>,
    /// 1 for a root, 2 for its children, and so on.
    pub tier: u32,
    pub prefixes: Vec<PrefixRef>,
    pub prefix_required: bool,
    pub children: Vec<CategoryNode>,
}

/// All categories, indexed for tree questions.
#[derive(Debug, Clone, Default)]
pub struct CategoryTree {
    rows: Vec<Category>,
    children: HashMap<Option<i64>, Vec<usize>>,
    by_id: HashMap<i64, usize>,
}

impl CategoryTree {
    pub fn new(mut rows: Vec<Category>) -> Self {
        rows.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        let mut children: HashMap<Option<i64>, Vec<usize>> = HashMap::new();
        let mut by_id = HashMap::new();
        for (i, c) in rows.iter().enumerate() {
            children.entry(c.parent_id).or_default().push(i);
            by_id.insert(c.id, i);
        }
        Self {
            rows,
            children,
            by_id,
        }
    }

    pub fn get(&self, id: i64) -> Option<&Category> {
        self.by_id.get(&id).map(|&i| &self.rows[i])
    }

    /// The board offering prefix `id`.
    pub fn board_of_prefix(&self, id: i64) -> Option<i64> {
        self.rows
            .iter()
            .find(|c| c.prefixes.iter().any(|p| p.id == id))
            .map(|c| c.id)
    }

    /// Depth of a category, 1 for a root.
    pub fn tier(&self, id: i64) -> u32 {
        let mut tier = 0;
        let mut cur = Some(id);
        while let Some(c) = cur.and_then(|id| self.get(id)) {
            tier += 1;
            cur = c.parent_id;
            if tier as usize > self.rows.len() {
                break; // a cycle in stored data: never loop forever
            }
        }
        tier
    }

    /// The category and every category below it.
    pub fn subtree_ids(&self, id: i64) -> Vec<i64> {
        let mut out = Vec::new();
        let mut stack = vec![id];
        while let Some(cur) = stack.pop() {
            if out.contains(&cur) {
                continue;
            }
            out.push(cur);
            if let Some(kids) = self.children.get(&Some(cur)) {
                stack.extend(kids.iter().map(|&i| self.rows[i].id));
            }
        }
        out
    }

    /// Whether making `parent` the parent of `id` would put `id` below itself.
    pub fn would_cycle(&self, id: i64, parent: i64) -> bool {
        self.subtree_ids(id).contains(&parent)
    }

    pub fn roots(&self) -> Vec<CategoryNode> {
        self.nodes(None, 1)
    }

    fn nodes(&self, parent: Option<i64>, tier: u32) -> Vec<CategoryNode> {
        self.children
            .get(&parent)
            .map(|kids| {
                kids.iter()
                    .map(|&i| {
                        let c = &self.rows[i];
                        self.node_at(c, tier)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn node(&self, id: i64) -> Option<CategoryNode> {
        let c = self.get(id)?;
        Some(self.node_at(c, self.tier(id)))
    }

    fn node_at(&self, c: &Category, tier: u32) -> CategoryNode {
        CategoryNode {
            id: c.id,
            name: c.name.clone(),
            parent_id: c.parent_id,
            tier,
            prefixes: c.prefixes.clone(),
            prefix_required: c.prefix_required,
            children: self.nodes(Some(c.id), tier + 1),
        }
    }
}

/// What a category create or update asks for, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct CategoryInput {
    pub name: Option<String>,
    /// `Some(None)` moves the category to the top level.
    pub parent_id: Option<Option<i64>>,
    /// Whether the board's posts must carry a prefix.
    pub prefix_required: Option<bool>,
}

/// Category use cases.
pub struct Categories {
    pub(crate) store: Arc<dyn CategoryStore>,
    pub(crate) cache: Arc<dyn Cache>,
    pub(crate) clock: Arc<dyn Clock>,
}

/// The whole tree, read through the cache.
pub async fn load_tree(store: &dyn CategoryStore, cache: &dyn Cache) -> Result<CategoryTree> {
    let rows = read_through(cache, Entry::categories(), || store.all_categories()).await?;
    Ok(CategoryTree::new(rows))
}

pub(crate) fn changed() -> Vec<String> {
    vec![scope::CATEGORIES.to_owned(), scope::NAMES.to_owned()]
}

impl Categories {
    pub fn new(
        store: Arc<dyn CategoryStore>,
        cache: Arc<dyn Cache>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            cache,
            clock,
        }
    }

    #[tracing::instrument(name = "categories.tree", skip_all)]
    pub async fn tree(&self) -> Result<CategoryTree> {
        load_tree(self.store.as_ref(), self.cache.as_ref()).await
    }

    #[tracing::instrument(name = "categories.create", skip_all)]
    pub async fn create(&self, input: CategoryInput) -> Result<CategoryNode> {
        let mut v = Violations::new();
        let name = match input.name.as_deref() {
            Some(n) => v.check(CategoryName::parse("name", n)),
            None => {
                v.add("name", "required", "name is required");
                None
            }
        };
        let parent = input
            .parent_id
            .flatten()
            .and_then(|p| v.check(positive_id("parent_id", p)));
        let tree = self.tree().await?;
        if let Some(p) = parent
            && tree.get(p).is_none()
        {
            v.add("parent_id", "exists", "parent_id does not name a category");
        }
        v.into_result()?;
        let name = name
            .ok_or_else(|| Error::internal(crate::error::Message("name checked above".into())))?;
        let id = self
            .store
            .create_category(&name, parent, self.clock.now())
            .await?;
        self.cache.invalidate(&changed()).await;
        let tree = self.tree().await?;
        tree.node(id).ok_or(Error::NotFound("category"))
    }

    #[tracing::instrument(name = "categories.update", skip_all)]
    pub async fn update(&self, id: i64, input: CategoryInput) -> Result<CategoryNode> {
        let tree = self.tree().await?;
        let current = tree.get(id).ok_or(Error::NotFound("category"))?.clone();
        let mut v = Violations::new();
        let name = match input.name.as_deref() {
            Some(n) => v.check(CategoryName::parse("name", n)),
            None => None,
        };
        let parent = match input.parent_id {
            None => current.parent_id,
            Some(None) => None,
            Some(Some(p)) => {
                if tree.get(p).is_none() {
                    v.add("parent_id", "exists", "parent_id does not name a category");
                } else if tree.would_cycle(id, p) {
                    v.add(
                        "parent_id",
                        "no_cycle",
                        "a category cannot be moved below itself",
                    );
                }
                Some(p)
            }
        };
        v.into_result()?;
        let name = name.unwrap_or_else(|| CategoryName(current.name.clone()));
        self.store.update_category(id, &name, parent).await?;
        if let Some(required) = input.prefix_required {
            self.store.set_prefix_required(id, required).await?;
        }
        self.cache.invalidate(&changed()).await;
        self.tree()
            .await?
            .node(id)
            .ok_or(Error::NotFound("category"))
    }

    #[tracing::instrument(name = "categories.delete", skip_all)]
    pub async fn delete(&self, id: i64) -> Result<()> {
        self.store.delete_category(id).await?;
        self.cache.invalidate(&changed()).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> CategoryTree {
        CategoryTree::new(vec![
            Category {
                id: 1,
                name: "root".into(),
                parent_id: None,
                ..Category::default()
            },
            Category {
                id: 2,
                name: "child".into(),
                parent_id: Some(1),
                ..Category::default()
            },
            Category {
                id: 3,
                name: "grandchild".into(),
                parent_id: Some(2),
                ..Category::default()
            },
            Category {
                id: 4,
                name: "other".into(),
                parent_id: None,
                ..Category::default()
            },
        ])
    }

    #[test]
    fn tiers_and_subtrees() {
        let t = tree();
        assert_eq!(t.tier(1), 1);
        assert_eq!(t.tier(3), 3);
        let mut sub = t.subtree_ids(1);
        sub.sort();
        assert_eq!(sub, vec![1, 2, 3]);
        assert_eq!(t.subtree_ids(4), vec![4]);
    }

    #[test]
    fn cycles_are_detected() {
        let t = tree();
        assert!(t.would_cycle(1, 3));
        assert!(t.would_cycle(2, 2));
        assert!(!t.would_cycle(3, 4));
    }

    #[test]
    fn roots_nest_children() {
        let roots = tree().roots();
        assert_eq!(roots.len(), 2);
        let root = roots.iter().find(|n| n.id == 1).unwrap();
        assert_eq!(root.children[0].children[0].tier, 3);
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            CategoryName::parse("name", " 자유게시판 ")
                .unwrap()
                .as_str(),
            "자유게시판"
        );
        assert!(CategoryName::parse("name", "   ").is_err());
        assert!(CategoryName::parse("name", &"a".repeat(51)).is_err());
    }
}
