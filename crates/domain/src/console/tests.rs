//! The console's rules, tested without a store.

use super::*;

#[test]
fn moderators_moderate_and_discipline_and_only_admins_do_the_rest() {
    use Permission::*;
    for p in [
        Moderate,
        Discipline,
        ChangeRole,
        EditCategories,
        EditSeminars,
    ] {
        assert!(can(Role::Admin, p));
        assert!(!can(Role::User, p));
    }
    assert!(can(Role::Moderator, Moderate));
    assert!(can(Role::Moderator, Discipline));
    assert!(!can(Role::Moderator, ChangeRole));
    assert!(!can(Role::Moderator, EditCategories));
    assert!(!can(Role::Moderator, EditSeminars));
}

#[test]
fn csrf_tokens_must_match_exactly() {
    let staff = Staff {
        user: User {
            id: 1,
            name: "m".into(),
            email: "m@x.kr".into(),
            role: Role::Moderator,
            state: UserState::Active,
            created_at: Timestamp(0),
        },
        session_id: 1,
        csrf: "abc".into(),
    };
    assert!(staff.check_csrf("abc").is_ok());
    assert!(staff.check_csrf("abd").is_err());
    assert!(staff.check_csrf("").is_err());
    assert!(staff.check_csrf("abcd").is_err());
}

#[test]
fn date_paths_cover_their_year_month_or_day() {
    let day = DatePath::new(Some(2026), Some(2), Some(28)).unwrap();
    let (a, b) = day.range().unwrap();
    assert_eq!(b.millis() - a.millis(), DAY_MS);
    assert_eq!(Day::containing(a, 0).to_string(), "2026-02-28");
    let (a, b) = DatePath::new(Some(2024), Some(2), None)
        .unwrap()
        .range()
        .unwrap();
    assert_eq!((b.millis() - a.millis()) / DAY_MS, 29);
    let (a, b) = DatePath::new(Some(2026), Some(12), None)
        .unwrap()
        .range()
        .unwrap();
    assert_eq!(Day::containing(b, 0).to_string(), "2027-01-01");
    assert_eq!((b.millis() - a.millis()) / DAY_MS, 31);
    assert!(DatePath::new(Some(2026), Some(2), Some(30)).is_err());
    assert!(DatePath::new(None, Some(2), None).is_err());
    assert!(DatePath::new(Some(2026), None, Some(2)).is_err());
    assert!(DatePath::default().range().is_none());
}

#[test]
fn drill_down_offers_only_dates_with_rows_around() {
    let t = |s: &str| {
        let d = Day::parse("d", s).unwrap();
        Timestamp(d.to_epoch_days() * DAY_MS + 5)
    };
    let span = Some((t("2024-11-30"), t("2026-02-02")));
    let years: Vec<_> = DatePath::default()
        .children(span)
        .iter()
        .filter_map(|p| p.year)
        .collect();
    assert_eq!(years, vec![2024, 2025, 2026]);
    let months: Vec<_> = DatePath::new(Some(2024), None, None)
        .unwrap()
        .children(span)
        .iter()
        .filter_map(|p| p.month)
        .collect();
    assert_eq!(months, vec![11, 12]);
    let days = DatePath::new(Some(2026), Some(2), None)
        .unwrap()
        .children(span);
    assert_eq!(days.len(), 2);
    assert!(DatePath::default().children(None).is_empty());
}

#[test]
fn list_queries_accept_only_what_the_spec_offers() {
    let mut raw = RawListQuery::default();
    raw.filters.insert("role".into(), "moderator".into());
    raw.sort = Some("-name".into());
    raw.search = Some("  Kim ".into());
    let q = ListQuery::parse(Model::User, &raw).unwrap();
    assert_eq!(q.filter("role"), Some("moderator"));
    assert_eq!((q.sort, q.descending), ("name", true));
    assert_eq!(q.search.as_deref(), Some("kim"));
    assert_eq!(q.page, 1);

    let bad = |f: &dyn Fn(&mut RawListQuery)| {
        let mut r = RawListQuery::default();
        f(&mut r);
        ListQuery::parse(Model::User, &r).is_err()
    };
    assert!(bad(&|r| {
        r.filters.insert("role".into(), "god".into());
    }));
    assert!(bad(&|r| {
        r.filters.insert("password".into(), "x".into());
    }));
    assert!(bad(&|r| r.sort = Some("email".into())));
    assert!(bad(&|r| r.page = Some(0)));
    assert!(bad(&|r| r.page = Some(10_000)));
    assert!(bad(&|r| r.month = Some(3)));

    let mut raw = RawListQuery::default();
    raw.filters.insert("category".into(), "12".into());
    assert!(ListQuery::parse(Model::Post, &raw).is_ok());
    raw.filters.insert("category".into(), "x".into());
    assert!(ListQuery::parse(Model::Post, &raw).is_err());
}

#[test]
fn every_sort_default_is_a_sortable_column_and_actions_belong_to_their_list() {
    for m in Model::ALL {
        let spec = m.spec();
        if m != Model::Job {
            assert!(
                spec.columns
                    .iter()
                    .any(|c| c.sortable && c.key == spec.default_sort),
                "{m:?}"
            );
        }
        for a in spec.actions {
            assert_eq!(a.model(), m);
        }
        assert_eq!(Model::from_slug(m.slug()), Some(m));
    }
}

#[test]
fn state_changes_name_only_what_moves() {
    let until = Timestamp(Day::parse("d", "2026-12-01").unwrap().to_epoch_days() * DAY_MS);
    let s = UserState::Suspended {
        until,
        reason: "spam".into(),
    };
    let c = state_changes(&UserState::Active, &s);
    assert_eq!(
        c,
        vec![
            FieldChange::new("state", "active", "suspended"),
            FieldChange::new("until", "", "2026-11-30"),
            FieldChange::new("reason", "", "spam"),
        ]
    );
    assert!(state_changes(&s, &s).is_empty());
    assert_eq!(state_changes(&s, &UserState::Active).len(), 3);
}

#[test]
fn seminar_changes_name_only_the_fields_that_move() {
    let s = Seminar {
        id: 7,
        name: "Rust".into(),
        capacity: 30,
        count: 4,
        time: "19:30".into(),
        online: true,
        participant_count: 3,
        created_at: Timestamp(0),
        updated_at: Timestamp(0),
    };
    let same = SeminarInput {
        name: Some("Rust".into()),
        capacity: Some(30),
        count: Some(4),
        time: Some("19:30".into()),
        online: Some(true),
    };
    assert!(seminar_changes(&s, &same.check(false).unwrap()).is_empty());
    let moved = SeminarInput {
        capacity: Some(40),
        online: Some(false),
        ..same
    };
    assert_eq!(
        seminar_changes(&s, &moved.check(false).unwrap()),
        vec![
            FieldChange::new("capacity", "30", "40"),
            FieldChange::new("online", "yes", "no"),
        ]
    );
}

#[test]
fn totals_past_the_cap_read_as_at_least() {
    assert_eq!(Total::from_capped(12), Total::Exact(12));
    assert_eq!(Total::from_capped(COUNT_CAP), Total::Exact(COUNT_CAP));
    assert_eq!(Total::from_capped(COUNT_CAP + 1), Total::AtLeast(COUNT_CAP));
}
