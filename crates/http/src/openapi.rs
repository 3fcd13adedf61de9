//! The OpenAPI document, generated from the handlers' annotations, and the
//! interactive docs page (Swagger UI, its assets compiled into the binary).

use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::routes::{categories, comments, ops, posts, users};

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
        comments::of_post, comments::create, comments::edit, comments::versions, comments::delete,
        comments::vote, comments::unvote,
        ops::live, ops::ready,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "users"), (name = "auth"), (name = "categories"), (name = "posts"), (name = "comments"),
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

/// `/openapi.json` and `/docs`.
pub fn docs<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().merge(SwaggerUi::new("/docs").url("/openapi.json", ApiDoc::openapi()))
}
