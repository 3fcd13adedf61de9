//! A board's prefixes (말머리) from the console: added, removed and made required by
//! admins, each change in the audit log. The rules are the API's
//! ([`crate::prefixes`]): the same name type, the same limit per board.

use super::*;
use crate::prefixes::has_room;

impl Console {
    /// Adds a prefix at the end of `board`'s list.
    #[tracing::instrument(name = "console.add_prefix", skip_all)]
    pub async fn add_prefix(&self, staff: &Staff, board: i64, name: &str) -> Result<bool> {
        staff.ensure(Permission::EditCategories)?;
        let name = PrefixName::parse(name).map_err(|v| Error::Validation(vec![v]))?;
        let tree = self.category_tree().await?;
        let cat = tree.get(board).ok_or(Error::NotFound("category"))?;
        has_room(cat)?;
        let changes = vec![FieldChange::new("prefix", "", name.as_str())];
        let repr = format!("#{board} {}", cat.name);
        self.write(
            staff,
            "change",
            &StaffChange::AddPrefix { board, name },
            repr,
            changes,
        )
        .await
    }

    /// Removes the prefix `id` of `board`; another board's prefix is not found here.
    #[tracing::instrument(name = "console.delete_prefix", skip_all)]
    pub async fn delete_prefix(&self, staff: &Staff, board: i64, id: i64) -> Result<bool> {
        staff.ensure(Permission::EditCategories)?;
        let tree = self.category_tree().await?;
        if tree.board_of_prefix(id) != Some(board) {
            return Err(Error::NotFound("prefix"));
        }
        let cat = tree.get(board).ok_or(Error::NotFound("category"))?;
        let name = cat
            .prefixes
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let changes = vec![FieldChange::new("prefix", name, "")];
        let repr = format!("#{board} {}", cat.name);
        self.write(
            staff,
            "change",
            &StaffChange::DeletePrefix { board, id },
            repr,
            changes,
        )
        .await
    }

    /// Whether every post of `board` must carry a prefix (`yes` or `no`).
    #[tracing::instrument(name = "console.set_prefix_required", skip_all)]
    pub async fn set_prefix_required(
        &self,
        staff: &Staff,
        board: i64,
        value: &str,
    ) -> Result<bool> {
        staff.ensure(Permission::EditCategories)?;
        let required = match value {
            "yes" => true,
            "no" => false,
            _ => {
                return Err(Error::invalid(
                    "prefix_required",
                    "one_of",
                    "prefix_required must be yes or no",
                ));
            }
        };
        let tree = self.category_tree().await?;
        let cat = tree.get(board).ok_or(Error::NotFound("category"))?;
        if cat.prefix_required == required {
            return Ok(false);
        }
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let changes = vec![FieldChange::new(
            "prefix_required",
            yes_no(cat.prefix_required),
            yes_no(required),
        )];
        let repr = format!("#{board} {}", cat.name);
        self.write(
            staff,
            "change",
            &StaffChange::SetPrefixRequired { board, required },
            repr,
            changes,
        )
        .await
    }
}
