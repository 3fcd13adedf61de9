//! A category's change page beyond its name: the board's prefixes (말머리), whether
//! its posts must carry one, and the forms that change them. Every form posts to the
//! category's edit URL with an `op` naming what it changes.

use madang_domain::categories::Category;

use super::*;
use crate::pages::forms::edit_form;

/// What a category's edit form changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CategoryOp {
    Rename,
    AddPrefix,
    DeletePrefix,
    PrefixRequired,
}

impl CategoryOp {
    pub(super) fn of(form: &FormData) -> Self {
        match form.get("op") {
            Some("add_prefix") => Self::AddPrefix,
            Some("delete_prefix") => Self::DeletePrefix,
            Some("prefix_required") => Self::PrefixRequired,
            _ => Self::Rename,
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Self::Rename => "rename",
            Self::AddPrefix => "add_prefix",
            Self::DeletePrefix => "delete_prefix",
            Self::PrefixRequired => "prefix_required",
        }
    }
}

/// The prefix rows of a category's page.
pub(super) fn prefix_fields(lang: Lang, cat: &Category) -> Vec<(&'static str, CellView)> {
    let names: Vec<String> = cat
        .prefixes
        .iter()
        .map(|p| format!("[{}]", p.name))
        .collect();
    vec![
        (
            "prefixes",
            CellView::of(
                &if names.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(names.join(" "))
                },
                lang,
            ),
        ),
        (
            "prefix_required",
            CellView::of(
                &Cell::Tag(if cat.prefix_required { "yes" } else { "no" }.into()),
                lang,
            ),
        ),
    ]
}

/// The forms of a category's page; a refused one comes back as sent, with its errors.
pub(super) fn category_forms(
    s: &Session,
    cat: &Category,
    edit: Option<(&FormData, Error)>,
) -> Vec<(&'static str, FormView)> {
    let lang = s.ctx.lang;
    let (sent, err) = edit.unzip();
    let refused_op = sent.map(CategoryOp::of);
    let value = |op: CategoryOp, key: &str, stored: &str| -> String {
        match sent {
            Some(f) if refused_op == Some(op) => f.get(key).unwrap_or("").to_owned(),
            _ => stored.to_owned(),
        }
    };
    let mut err = err;
    let mut take_err = |op: CategoryOp| {
        if refused_op == Some(op) {
            err.take()
        } else {
            None
        }
    };
    let form = |title, op: CategoryOp, fields, e| {
        let (title, mut f) = edit_form(s, Model::Category, cat.id, title, fields, e);
        f.hidden.push(("op".into(), op.slug().into()));
        (title, f)
    };
    let yes_no = |name: &'static str, current: &str| {
        let mut v = InputView::new(lang, name, "select", current);
        v.options = ["yes", "no"]
            .iter()
            .map(|o| ((*o).to_owned(), lang.t(o).to_owned(), *o == current))
            .collect();
        v
    };
    let mut forms = vec![form(
        lang.t("rename"),
        CategoryOp::Rename,
        vec![InputView::new(
            lang,
            "name",
            "text",
            &value(CategoryOp::Rename, "name", &cat.name),
        )],
        take_err(CategoryOp::Rename),
    )];
    forms.push(form(
        lang.t("add_prefix"),
        CategoryOp::AddPrefix,
        vec![InputView::new(
            lang,
            "name",
            "text",
            &value(CategoryOp::AddPrefix, "name", ""),
        )],
        take_err(CategoryOp::AddPrefix),
    ));
    if !cat.prefixes.is_empty() {
        let current = value(CategoryOp::DeletePrefix, "prefix", "");
        let mut pick = InputView::new(lang, "prefix", "select", &current);
        pick.options = cat
            .prefixes
            .iter()
            .map(|p| {
                let id = p.id.to_string();
                let selected = id == current;
                (id, format!("[{}]", p.name), selected)
            })
            .collect();
        forms.push(form(
            lang.t("delete_prefix"),
            CategoryOp::DeletePrefix,
            vec![pick],
            take_err(CategoryOp::DeletePrefix),
        ));
    }
    let required = value(
        CategoryOp::PrefixRequired,
        "prefix_required",
        if cat.prefix_required { "yes" } else { "no" },
    );
    forms.push(form(
        lang.t("prefix_required"),
        CategoryOp::PrefixRequired,
        vec![yes_no("prefix_required", &required)],
        take_err(CategoryOp::PrefixRequired),
    ));
    forms
}

/// Applies a category edit form; whether anything changed.
pub(super) async fn edit_category(
    st: &AdminState,
    s: &Session,
    id: i64,
    form: &FormData,
) -> Result<bool, Error> {
    match CategoryOp::of(form) {
        CategoryOp::Rename => {
            let name = form.get("name").unwrap_or("");
            st.console.rename_category(&s.staff, id, name).await
        }
        CategoryOp::AddPrefix => {
            let name = form.get("name").unwrap_or("");
            st.console.add_prefix(&s.staff, id, name).await
        }
        CategoryOp::DeletePrefix => {
            s.staff.ensure(Permission::EditCategories)?;
            let prefix = form
                .get("prefix")
                .and_then(|p| p.parse::<i64>().ok())
                .filter(|p| *p > 0)
                .ok_or_else(|| Error::invalid("prefix", "required", "choose a prefix"))?;
            st.console.delete_prefix(&s.staff, id, prefix).await
        }
        CategoryOp::PrefixRequired => {
            let v = form.get("prefix_required").unwrap_or("");
            st.console.set_prefix_required(&s.staff, id, v).await
        }
    }
}
