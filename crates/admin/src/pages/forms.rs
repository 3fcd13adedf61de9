//! The forms of a change page: an action on the one object, and the edit of its settings.

use super::*;

/// A one-button (or few-field) form that starts an action on this object.
pub(super) fn object_action(
    s: &Session,
    model: Model,
    action: Action,
    id: i64,
) -> (&'static str, FormView) {
    let lang = s.ctx.lang;
    let back = format!("/admin/{}/{id}", model.slug());
    let fields = action_fields(lang, action, &ActionInput::default());
    let bulk = Bulk {
        model,
        action,
        ids: &[id],
        back: &back,
    };
    let mut f = action_form(s, &bulk, "review", fields, None);
    let one = match action {
        Action::DeletePosts | Action::DeleteComments => "delete_one",
        Action::RestorePosts | Action::RestoreComments => "restore_one",
        Action::Suspend => "suspend_one",
        Action::Ban => "ban_one",
        Action::Reinstate => "reinstate_one",
        Action::SetRole => "set_role_one",
        Action::PinPosts => "pin_one",
        Action::UnpinPosts => "unpin_one",
        Action::DismissReports => "dismiss_one",
        Action::RemoveReported => "remove_one",
        Action::SuspendAuthor => "suspend_author_one",
        Action::BanAuthor => "ban_author_one",
    };
    f.submit = lang.t(one);
    f.danger = matches!(
        action,
        Action::DeletePosts
            | Action::DeleteComments
            | Action::Ban
            | Action::RemoveReported
            | Action::SuspendAuthor
            | Action::BanAuthor
    );
    (lang.t(one), f)
}

/// The change form of an object's editable settings, at `/admin/{model}/{id}/edit`,
/// with the errors of a refused save beside their fields.
pub(super) fn edit_form(
    s: &Session,
    model: Model,
    id: i64,
    title: &'static str,
    fields: Vec<InputView>,
    refused: Option<Error>,
) -> (&'static str, FormView) {
    let mut form = FormView {
        action: format!("/admin/{}/{id}/edit", model.slug()),
        submit: s.ctx.lang.t("save"),
        danger: false,
        hidden: vec![("csrf".into(), s.staff.csrf.clone())],
        fields,
        error: None,
    };
    if let Some(e) = refused {
        place_errors(&mut form, e);
    }
    (title, form)
}
