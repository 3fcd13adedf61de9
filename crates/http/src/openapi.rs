//! The OpenAPI document, generated from the handlers' annotations, and the
//! interactive docs page (Swagger UI, its assets compiled into the binary).

use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::routes::{
    blocks, board, categories, comments, notifications, ops, posts, reports, seminars, users,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Madang", description = "Community board service API (v1)."),
    paths(
        users::sign_up, users::token, users::refresh, users::logout, users::me, users::update_me,
        users::change_password, users::resign, users::logins, users::profile, users::user_posts,
        users::user_comments,
        categories::tree, categories::create, categories::update, categories::delete,
        posts::list, posts::create, posts::get, posts::edit, posts::versions, posts::versions_csv, posts::delete,
        posts::vote, posts::unvote,
        board::pin, board::unpin, board::bookmark, board::unbookmark, board::my_bookmarks,
        categories::add_prefix, categories::delete_prefix,
        comments::of_post, comments::create, comments::edit, comments::versions, comments::delete,
        comments::vote, comments::unvote,
        reports::report_post, reports::report_comment, reports::my_reports, reports::modlog,
        notifications::list, notifications::unread_count, notifications::read, notifications::read_all,
        notifications::settings, notifications::set_settings,
        blocks::block, blocks::unblock, blocks::mine,
        seminars::add_role, seminars::create, seminars::list, seminars::get, seminars::update, seminars::join,
        seminars::drop_out,
        crate::routes::sentiment::analyse,
        crate::routes::stats::daily,
        ops::live, ops::ready, ops::metrics,
    ),
    components(schemas(crate::dto::PostSortParam, crate::dto::PinScopeParam, crate::dto::ReportReasonParam)),
    modifiers(&BearerAuth, &CommonErrors),
    tags(
        (name = "users"), (name = "auth"), (name = "categories"), (name = "posts"), (name = "comments"), (name = "reports"), (name = "notifications"), (name = "seminars"), (name = "sentiment"), (name = "stats"),
        (name = "operations"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Documents the error answers any operation can give, so each handler's annotation
/// lists only what is particular to it.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, ResponseBuilder, content::ContentBuilder, path::HttpMethod};
        let error = |description: &str| -> RefOr<utoipa::openapi::Response> {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        };
        for item in api.paths.paths.values_mut() {
            for method in [
                HttpMethod::Get,
                HttpMethod::Post,
                HttpMethod::Put,
                HttpMethod::Patch,
                HttpMethod::Delete,
            ] {
                let op = match method {
                    HttpMethod::Get => item.get.as_mut(),
                    HttpMethod::Post => item.post.as_mut(),
                    HttpMethod::Put => item.put.as_mut(),
                    HttpMethod::Patch => item.patch.as_mut(),
                    HttpMethod::Delete => item.delete.as_mut(),
                    _ => None,
                };
                let Some(op) = op else { continue };
                let has_body = op.request_body.is_some();
                let mut common = vec![
                    (
                        "400",
                        "malformed request: bad JSON, path or query syntax, or cursor",
                    ),
                    (
                        "500",
                        "unexpected failure; the cause is logged, never shown",
                    ),
                    (
                        "503",
                        "the database is unreachable; retry after `Retry-After` seconds",
                    ),
                    // Answered by the HTTP layer before any handler, to any request.
                    ("414", "the request target (path and query) is over 8 KiB"),
                    ("431", "the request's headers are over 32 KiB or 100 fields"),
                ];
                if op.security.is_some()
                    || has_body
                    || op.parameters.as_ref().is_some_and(|p| !p.is_empty())
                {
                    common.push(("401", "missing, invalid or expired token (also when a token is sent where one is optional)"));
                    common.push((
                        "422",
                        "a value breaks a rule; every violation is listed in `details`",
                    ));
                }
                if has_body {
                    common.push((
                        "408",
                        "the body did not arrive in time (10 s, plus 1 s for every 16 KiB)",
                    ));
                    common.push(("413", "the body is over the configured limit"));
                    common.push(("415", "the body is not of a supported content type"));
                }
                for (code, description) in common {
                    op.responses
                        .responses
                        .entry(code.to_owned())
                        .or_insert_with(|| error(description));
                }
            }
        }
    }
}

/// `/openapi.json` and `/docs`.
pub fn docs<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().merge(SwaggerUi::new("/docs").url("/openapi.json", ApiDoc::openapi()))
}
