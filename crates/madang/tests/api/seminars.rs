use std::time::Duration;

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Executor;

use crate::helpers::{Member, TestApp, assert_error, detail_fields, spawn};

pub(crate) async fn with_role(app: &TestApp, name: &str, role: &str) -> Member {
    let m = app.member(name).await;
    let body = match role {
        "participant" => json!({"role": "participant", "university": "서울대학교"}),
        _ => json!({"role": "instructor", "company": "Madang", "year": 3}),
    };
    let (s, b) = app
        .post("/api/v1/users/me/roles", Some(&m.token), body)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    m
}

pub(crate) async fn seminar(app: &TestApp, instructor: &Member, name: &str, capacity: i64) -> i64 {
    let (s, b) = app
        .post(
            "/api/v1/seminars",
            Some(&instructor.token),
            json!({"name": name, "capacity": capacity, "count": 5, "time": "19:30"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_i64().unwrap()
}

pub(crate) async fn join(app: &TestApp, m: &Member, id: i64) -> (StatusCode, Value) {
    app.req(
        Method::POST,
        &format!("/api/v1/seminars/{id}/participants"),
        Some(&m.token),
        None,
    )
    .await
}

async fn active_rows(app: &TestApp, id: i64) -> i64 {
    let sql = format!(
        "SELECT COUNT(*) FROM seminar_members WHERE seminar_id = {id} AND role = 'participant' AND is_active = 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_one(&app.db)
        .await
        .unwrap();
    sqlx::Row::try_get::<i64, _>(&row, 0).unwrap()
}

#[tokio::test]
async fn role_profiles_are_added_once() {
    let app = spawn().await;
    let m = app.member("student").await;
    let (s, b) = app
        .post(
            "/api/v1/users/me/roles",
            Some(&m.token),
            json!({"role": "participant", "university": "KAIST"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(b["role"], "participant");
    assert_eq!(b["participant"]["university"], "KAIST");
    assert_eq!(b["participant"]["accepted"], true);
    assert!(b["instructor"].is_null());
    let (s, b) = app
        .post(
            "/api/v1/users/me/roles",
            Some(&m.token),
            json!({"role": "participant"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&b, "bad_request");
    let (s, b) = app
        .post(
            "/api/v1/users/me/roles",
            Some(&m.token),
            json!({"role": "instructor", "year": null}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "a user can hold both");
    assert!(b["instructor"]["year"].is_null());
    let (s, b) = app
        .post(
            "/api/v1/users/me/roles",
            Some(&m.token),
            json!({"role": "admin", "year": -1}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let mut f = detail_fields(&b);
    f.sort();
    assert_eq!(f, ["role", "year"]);
    assert_eq!(
        app.post(
            "/api/v1/users/me/roles",
            None,
            json!({"role": "participant"})
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn instructors_create_seminars_with_every_rule_checked() {
    let app = spawn().await;
    let plain = app.member("plain").await;
    let teacher = with_role(&app, "teacher", "instructor").await;
    let body = json!({"name": "Rust", "capacity": 10, "count": 3, "time": "09:00"});
    let (s, b) = app
        .post("/api/v1/seminars", Some(&plain.token), body.clone())
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_error(&b, "forbidden");
    let (s, b) = app
        .post(
            "/api/v1/seminars",
            Some(&teacher.token),
            json!({"name": " ", "capacity": 0, "count": -1, "time": "24:00"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let mut f = detail_fields(&b);
    f.sort();
    assert_eq!(f, ["capacity", "count", "name", "time"]);
    let (s, b) = app
        .post("/api/v1/seminars", Some(&teacher.token), json!({}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail_fields(&b).len(), 4);
    assert_eq!(app.count("SELECT COUNT(*) FROM seminars").await, 0);

    let (s, sem) = app
        .post("/api/v1/seminars", Some(&teacher.token), body)
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(sem["online"], true, "online defaults to true");
    assert_eq!(sem["time"], "09:00");
    assert_eq!(sem["participant_count"], 0);
    assert_eq!(sem["instructors"][0]["id"], teacher.id);
    assert_eq!(sem["instructors"][0]["company"], "Madang");
    assert_eq!(sem["participants"], json!([]));
    let (s, b) = app
        .post(
            "/api/v1/seminars",
            Some(&teacher.token),
            json!({"name": "Go", "capacity": 5, "count": 1, "time": "23:59", "online": false}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(b["online"], false);
}

#[tokio::test]
async fn integers_written_as_floats_and_a_null_join_body_are_taken() {
    let app = spawn().await;
    let teacher = with_role(&app, "teacher", "instructor").await;
    let student = with_role(&app, "student", "participant").await;
    // JSON Schema's `integer` includes 10.0; a fraction is refused in plain words.
    let (s, b) = app
        .post(
            "/api/v1/seminars",
            Some(&teacher.token),
            json!({"name": "Rust", "capacity": 2.5, "count": 3, "time": "09:00"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(detail_fields(&b), ["capacity"]);
    assert_eq!(
        b["error"]["details"][0]["message"],
        "capacity must be an integer"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM seminars").await, 0);
    let (s, sem) = app
        .post(
            "/api/v1/seminars",
            Some(&teacher.token),
            json!({"name": "Rust", "capacity": 10.0, "count": 3e0, "time": "09:00"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sem}");
    assert_eq!(sem["capacity"], 10);
    assert_eq!(sem["count"], 3);
    let id = sem["id"].as_i64().unwrap();

    // The join's body is optional, and its schema allows `null`.
    let (s, b) = app
        .post(
            &format!("/api/v1/seminars/{id}/participants"),
            Some(&student.token),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["participant_count"], 1);
    assert_eq!(active_rows(&app, id).await, 1);
}

#[tokio::test]
async fn joining_dropping_and_their_refusals() {
    let app = spawn().await;
    let teacher = with_role(&app, "teacher", "instructor").await;
    let other_teacher = with_role(&app, "teacher2", "instructor").await;
    let p = with_role(&app, "student", "participant").await;
    let p2 = with_role(&app, "student2", "participant").await;
    let outsider = app.member("outsider").await;
    let id = seminar(&app, &teacher, "Rust", 1).await;
    let other = seminar(&app, &other_teacher, "Go", 5).await;

    assert_eq!(join(&app, &p, 424242).await.0, StatusCode::NOT_FOUND);
    let (s, b) = join(&app, &outsider, id).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_error(&b, "forbidden");

    let (s, sem) = join(&app, &p, id).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(sem["participant_count"], 1);
    assert_eq!(sem["participants"][0]["id"], p.id);
    assert_eq!(sem["participants"][0]["is_active"], true);
    assert_eq!(sem["participants"][0]["university"], "서울대학교");
    assert!(sem["participants"][0]["dropped_at"].is_null());
    let (s, b) = join(&app, &p, id).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "already in it");
    assert_error(&b, "bad_request");
    let (s, b) = join(&app, &p2, id).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "full");
    assert!(b["error"]["message"].as_str().unwrap().contains("full"));

    let drop = format!("/api/v1/seminars/{id}/participants/me");
    let (s, sem) = app.delete(&drop, Some(&p.token), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(sem["participant_count"], 0);
    assert_eq!(sem["participants"][0]["is_active"], false);
    assert!(sem["participants"][0]["dropped_at"].is_string());
    assert_eq!(
        app.delete(&drop, Some(&p.token), None).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        join(&app, &p, id).await.0,
        StatusCode::BAD_REQUEST,
        "no rejoining after a drop"
    );
    assert_eq!(
        join(&app, &p2, id).await.0,
        StatusCode::CREATED,
        "the freed place is taken"
    );
    assert_eq!(
        app.delete(&drop, Some(&teacher.token), None).await.0,
        StatusCode::FORBIDDEN,
        "instructors cannot drop"
    );
    assert_eq!(
        app.delete(&drop, Some(&outsider.token), None).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.delete(
            "/api/v1/seminars/424242/participants/me",
            Some(&p.token),
            None
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    // An instructor already running a seminar cannot join another as instructor.
    let as_instructor = json!({"role": "instructor"});
    let (s, _) = app
        .req(
            Method::POST,
            &format!("/api/v1/seminars/{other}/participants"),
            Some(&teacher.token),
            Some(as_instructor.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let fresh = with_role(&app, "teacher3", "instructor").await;
    let (s, sem) = app
        .req(
            Method::POST,
            &format!("/api/v1/seminars/{other}/participants"),
            Some(&fresh.token),
            Some(as_instructor),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(sem["instructors"].as_array().unwrap().len(), 2);
    // An instructor joining as participant needs the participant role.
    assert_eq!(join(&app, &teacher, other).await.0, StatusCode::FORBIDDEN);

    // A participant whose registration is not accepted is refused.
    let sql = format!(
        "UPDATE participant_profiles SET accepted = 0 WHERE user_id = {}",
        p2.id
    );
    app.db.execute(sqlx::AssertSqlSafe(sql)).await.unwrap();
    assert_eq!(join(&app, &p2, other).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn only_instructors_update_and_capacity_stays_above_participants() {
    let app = spawn().await;
    let teacher = with_role(&app, "teacher", "instructor").await;
    let p1 = with_role(&app, "p1", "participant").await;
    let p2 = with_role(&app, "p2", "participant").await;
    let id = seminar(&app, &teacher, "Rust", 5).await;
    join(&app, &p1, id).await;
    join(&app, &p2, id).await;
    let path = format!("/api/v1/seminars/{id}");
    let (s, _) = app
        .req(
            Method::PATCH,
            &path,
            Some(&p1.token),
            Some(json!({"name": "mine"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = app
        .req(
            Method::PATCH,
            &path,
            Some(&teacher.token),
            Some(json!({"capacity": 1})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&b, "bad_request");
    let (s, b) = app
        .req(
            Method::PATCH,
            &path,
            Some(&teacher.token),
            Some(json!({"time": "7:00"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail_fields(&b), ["time"]);
    let (s, sem) = app
        .req(
            Method::PATCH,
            &path,
            Some(&teacher.token),
            Some(json!({"capacity": 2, "name": "Async Rust", "online": false})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (
            sem["capacity"].as_i64(),
            sem["name"].as_str(),
            sem["online"].as_bool()
        ),
        (Some(2), Some("Async Rust"), Some(false))
    );
    assert_eq!(sem["count"], 5, "unchanged fields stay");
    assert_eq!(
        app.req(
            Method::PATCH,
            "/api/v1/seminars/424242",
            Some(&teacher.token),
            Some(json!({"name": "x"}))
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_list_filters_by_name_orders_and_counts_active_participants() {
    let app = spawn().await;
    let t = with_role(&app, "teacher", "instructor").await;
    let p = with_role(&app, "student", "participant").await;
    let p2 = with_role(&app, "student2", "participant").await;
    let a = seminar(&app, &t, "Rust 입문", 10).await;
    let b = seminar(&app, &t, "Go", 10).await;
    let c = seminar(&app, &t, "RUST 심화", 10).await;
    join(&app, &p, a).await;
    join(&app, &p2, a).await;
    app.delete(
        &format!("/api/v1/seminars/{a}/participants/me"),
        Some(&p2.token),
        None,
    )
    .await;
    let ids = |v: &Value| {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    let (s, list) = app.get("/api/v1/seminars", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ids(&list), [c, b, a], "newest first");
    assert_eq!(
        list["data"][2]["participant_count"], 1,
        "active participants only"
    );
    assert_eq!(
        ids(&app.get("/api/v1/seminars?order=earliest", None).await.1),
        [a, b, c]
    );
    assert_eq!(
        ids(&app.get("/api/v1/seminars?name=rust", None).await.1),
        [c, a]
    );
    assert_eq!(
        ids(&app.get("/api/v1/seminars?name=%EC%9E%85", None).await.1),
        [a],
        "입"
    );
    assert_eq!(
        app.get("/api/v1/seminars?order=sideways", None).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let (s, d) = app.get(&format!("/api/v1/seminars/{a}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        d["participants"].as_array().unwrap().len(),
        2,
        "dropped participants stay listed"
    );
    assert_eq!(
        app.get("/api/v1/seminars/424242", None).await.0,
        StatusCode::NOT_FOUND
    );
}

async fn participants(app: &TestApp, n: usize, prefix: &str) -> Vec<Member> {
    let names: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
    let mut out = Vec::with_capacity(n);
    for chunk in names.chunks(25) {
        out.extend(join_all(chunk.iter().map(|name| with_role(app, name, "participant"))).await);
    }
    out
}

#[tokio::test]
async fn two_hundred_simultaneous_joins_fill_thirty_places_exactly() {
    let app = spawn().await;
    let t = with_role(&app, "teacher", "instructor").await;
    let id = seminar(&app, &t, "인기 세미나", 30).await;
    let crowd = participants(&app, 200, "p").await;
    let results = join_all(crowd.iter().map(|m| join(&app, m, id))).await;
    let admitted = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let refused = results
        .iter()
        .filter(|(s, b)| *s == StatusCode::BAD_REQUEST && b["error"]["code"] == "bad_request")
        .count();
    assert_eq!(
        (admitted, refused),
        (30, 170),
        "{:?}",
        results.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    assert_eq!(
        active_rows(&app, id).await,
        30,
        "the database holds exactly 30 active participants"
    );
    assert_eq!(
        app.get(&format!("/api/v1/seminars/{id}"), None).await.1["participant_count"],
        30
    );
}

#[tokio::test]
async fn lowering_capacity_while_joins_race_never_overfills() {
    let app = spawn().await;
    let t = with_role(&app, "teacher", "instructor").await;
    let id = seminar(&app, &t, "race", 30).await;
    let crowd = participants(&app, 40, "q").await;
    let path = format!("/api/v1/seminars/{id}");
    let patch = app.req(
        Method::PATCH,
        &path,
        Some(&t.token),
        Some(json!({"capacity": 10})),
    );
    let (joins, patched) = tokio::join!(join_all(crowd.iter().map(|m| join(&app, m, id))), patch);
    assert!(
        patched.0 == StatusCode::OK || patched.0 == StatusCode::BAD_REQUEST,
        "{patched:?}"
    );
    let (_, sem) = app.get(&path, None).await;
    let capacity = sem["capacity"].as_i64().unwrap();
    let active = active_rows(&app, id).await;
    let admitted = joins
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count() as i64;
    assert!(
        active <= capacity,
        "{active} active over capacity {capacity}"
    );
    assert_eq!(active, admitted);
    assert_eq!(sem["participant_count"], active);
    if patched.0 == StatusCode::OK {
        assert_eq!(capacity, 10);
    }
}

#[tokio::test]
async fn a_busy_seminar_does_not_block_joins_to_others() {
    let app = spawn().await;
    let crowd = participants(&app, 10, "r").await;
    let mut ids = Vec::new();
    for i in 0..10 {
        let ti = with_role(&app, &format!("t{i}"), "instructor").await;
        ids.push(seminar(&app, &ti, &format!("s{i}"), 5).await);
    }
    // Ten joins to ten seminars at once all succeed.
    let results = join_all(crowd.iter().zip(&ids).map(|(m, id)| join(&app, m, *id))).await;
    assert!(results.iter().all(|(s, _)| *s == StatusCode::CREATED));

    if app.engine == "sqlite" {
        // SQLite has one writer at a time for the whole file; its transactions are
        // short and serialised in the application, so there is no per-row lock to hold.
        return;
    }
    // Hold seminar A's row lock from outside, as a long join to A would.
    let (a, b) = (ids[0], ids[1]);
    let mut conn = app.db.acquire().await.unwrap();
    conn.execute("BEGIN").await.unwrap();
    conn.execute(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM seminars WHERE id = {a} FOR UPDATE"
    )))
    .await
    .unwrap();
    let extra = participants(&app, 2, "x").await;
    // A join to B goes through while A is locked (the bound only keeps a broken
    // build from hanging the suite).
    let to_b = tokio::time::timeout(Duration::from_secs(20), join(&app, &extra[0], b)).await;
    assert_eq!(
        to_b.expect("a join to another seminar must not wait for A's lock")
            .0,
        StatusCode::CREATED
    );
    // A join to A waits for the lock, and completes once it is released.
    let to_a = tokio::spawn({
        let (base, token) = (app.base.clone(), extra[1].token.clone());
        async move {
            reqwest::Client::new()
                .post(format!("{base}/api/v1/seminars/{a}/participants"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!to_a.is_finished(), "the join to A waits for A's lock");
    conn.execute("COMMIT").await.unwrap();
    assert_eq!(to_a.await.unwrap(), StatusCode::CREATED);
}
