//! The console's words in Korean and English.
//!
//! A table rather than a translation framework: the console has a few hundred short
//! strings, known at compile time, and a missing Korean entry falls back to English.

pub use madang_http::pages::Lang;

/// The console's words in a language.
pub trait Words {
    /// The text for `key`; `?` when there is none (a bug shows, rather than a blank).
    fn t(self, key: &str) -> &'static str;
}

impl Words for Lang {
    fn t(self, key: &str) -> &'static str {
        let Some((en, ko)) = lookup(key) else {
            return "?";
        };
        match self {
            Lang::En => en,
            Lang::Ko => ko,
        }
    }
}

fn lookup(key: &str) -> Option<(&'static str, &'static str)> {
    WORDS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, ko)| (*en, *ko))
}

/// key, English, Korean.
static WORDS: &[(&str, &str, &str)] = &[
    // Chrome
    ("console", "Staff console", "관리자 콘솔"),
    ("dashboard", "Dashboard", "대시보드"),
    ("log_in", "Log in", "로그인"),
    ("log_out", "Log out", "로그아웃"),
    ("password_change", "Change password", "비밀번호 변경"),
    ("username", "Name or email", "이름 또는 이메일"),
    ("password", "Password", "비밀번호"),
    ("current_password", "Current password", "현재 비밀번호"),
    ("password1", "New password", "새 비밀번호"),
    ("password2", "New password again", "새 비밀번호 확인"),
    (
        "password_changed",
        "Your password was changed; your other sessions ended.",
        "비밀번호를 바꿨습니다. 다른 세션은 모두 종료되었습니다.",
    ),
    (
        "bad_login",
        "Wrong name or password, or no staff role.",
        "이름이나 비밀번호가 틀렸거나 스태프 권한이 없습니다.",
    ),
    (
        "throttled",
        "Too many failed log-ins. Try again in a few minutes.",
        "로그인 실패가 너무 많습니다. 몇 분 뒤 다시 시도하세요.",
    ),
    ("language", "Language", "언어"),
    ("save", "Save", "저장"),
    ("go", "Go", "실행"),
    ("search", "Search", "검색"),
    ("filter", "Filter", "필터"),
    ("all", "All", "전체"),
    (
        "subcategories",
        "Categories under {name}",
        "{name}의 하위 카테고리",
    ),
    ("history", "History", "변경 이력"),
    ("back", "Back", "돌아가기"),
    ("cancel", "Cancel", "취소"),
    ("next", "Next", "다음"),
    ("previous", "Previous", "이전"),
    ("page", "Page", "페이지"),
    ("of", "of", "/"),
    ("selected", "selected", "개 선택"),
    (
        "select_all",
        "Select all on this page",
        "이 페이지 모두 선택",
    ),
    ("action", "Action", "작업"),
    ("choose_action", "Choose an action", "작업 선택"),
    ("rows", "rows", "건"),
    ("more_than", "more than", "이상"),
    ("no_rows", "Nothing matches.", "해당 항목이 없습니다."),
    ("changed_n", "objects changed", "건 변경됨"),
    ("done", "Done", "완료"),
    ("read_only", "read-only", "읽기 전용"),
    (
        "forbidden",
        "Your role may not do this.",
        "이 작업을 할 권한이 없습니다.",
    ),
    ("not_found", "Not found.", "찾을 수 없습니다."),
    (
        "bad_request",
        "The request cannot be used.",
        "요청을 처리할 수 없습니다.",
    ),
    (
        "unavailable",
        "The service is busy or the database cannot be reached. Try again shortly.",
        "서비스가 바쁘거나 데이터베이스에 연결할 수 없습니다. 잠시 뒤 다시 시도하세요.",
    ),
    ("error", "Something went wrong.", "문제가 생겼습니다."),
    (
        "stale_form",
        "The form expired or did not come from the console. Reload and try again.",
        "양식이 만료되었거나 콘솔에서 보낸 것이 아닙니다. 새로 고친 뒤 다시 시도하세요.",
    ),
    ("confirm_title", "Are you sure?", "정말 실행할까요?"),
    (
        "confirm_intro",
        "These objects will change exactly as listed:",
        "다음 항목이 아래와 같이 바뀝니다:",
    ),
    (
        "confirm_fields",
        "Fill in the details for:",
        "다음 항목에 적용할 내용을 입력하세요:",
    ),
    ("confirm_yes", "Yes, I'm sure", "예, 실행합니다"),
    ("review", "Review changes", "변경 내용 확인"),
    ("unchanged", "no change", "변경 없음"),
    ("note_already", "already so", "이미 그 상태"),
    (
        "note_deleted",
        "deleted: restore it first",
        "삭제된 글: 먼저 복구하세요",
    ),
    ("pin_posts", "Pin as notices", "공지로 고정"),
    ("unpin_posts", "Unpin", "공지 해제"),
    ("scope", "Where", "위치"),
    ("pin_board", "At the top of its board", "게시판 공지"),
    ("pin_site", "At the top of every list", "전체 공지"),
    ("pin_one", "Pin as a notice", "공지로 고정"),
    ("unpin_one", "Unpin", "공지 해제"),
    ("pin", "Pin", "공지 고정"),
    ("unpin", "Unpin", "공지 해제"),
    ("note_missing", "not found", "없음"),
    ("note_self", "not yourself", "자기 자신은 안 됨"),
    ("note_staff", "staff: admins only", "스태프: 관리자만 가능"),
    (
        "nothing_to_do",
        "Nothing would change.",
        "바뀌는 것이 없습니다.",
    ),
    ("date_all", "All dates", "전체 기간"),
    ("utc_note", "Times are UTC.", "시각은 UTC 기준입니다."),
    // Models
    ("users", "Users", "회원"),
    ("posts", "Posts", "게시글"),
    ("comments", "Comments", "댓글"),
    ("categories", "Categories", "카테고리"),
    ("logins", "Login history", "로그인 기록"),
    ("seminars", "Seminars", "세미나"),
    ("enrolments", "Enrolments", "수강 등록"),
    ("jobs", "Jobs", "작업 큐"),
    ("audit", "Audit log", "감사 로그"),
    ("user", "User", "회원"),
    ("post", "Post", "게시글"),
    ("comment", "Comment", "댓글"),
    ("reports", "Reports", "신고"),
    ("target", "Content", "대상"),
    ("reporters", "Reporters", "신고자"),
    ("reasons", "Reasons", "사유"),
    ("held", "Held", "블라인드"),
    ("author_removals", "Removals", "삭제 이력"),
    ("author_since", "Joined", "가입일"),
    ("author_state", "Author's state", "작성자 상태"),
    ("report_status", "State", "처리"),
    ("first_reported", "Reported", "신고일"),
    ("target_type", "Content type", "대상 종류"),
    ("reports_of", "Reports", "신고 내역"),
    ("reporter", "Reporter", "신고자"),
    ("detail", "Detail", "상세 내용"),
    ("outcome", "Outcome", "처리 결과"),
    ("category", "Category", "카테고리"),
    // Columns and fields
    ("id", "ID", "ID"),
    ("name", "Name", "이름"),
    ("email", "Email", "이메일"),
    ("role", "Role", "역할"),
    ("state", "State", "상태"),
    (
        "until",
        "Suspended until (last day, UTC)",
        "정지 마지막 날 (UTC)",
    ),
    ("reason", "Reason", "사유"),
    ("created_at", "Created", "작성 시각"),
    ("updated_at", "Updated", "수정 시각"),
    ("deleted_at", "Deleted", "삭제 시각"),
    ("title", "Title", "제목"),
    ("content", "Content", "내용"),
    ("author", "Author", "작성자"),
    ("status", "Status", "상태"),
    ("sentiment", "Sentiment", "감성"),
    ("votes", "Votes", "추천"),
    ("views", "Views", "조회"),
    ("prefix", "Prefix", "말머리"),
    ("prefixes", "Prefixes", "말머리"),
    ("prefix_required", "Prefix required", "말머리 필수"),
    ("add_prefix", "Add a prefix", "말머리 추가"),
    ("delete_prefix", "Remove a prefix", "말머리 삭제"),
    ("pinned", "Pinned", "공지"),
    ("version", "Version", "버전"),
    ("versions", "Version history", "수정 이력"),
    ("parent", "Parent", "상위 카테고리"),
    ("top_level", "Top level", "최상위"),
    ("user_agent", "User agent", "사용자 에이전트"),
    ("ip", "IP", "IP"),
    ("succeeded", "Succeeded", "성공"),
    ("capacity", "Capacity", "정원"),
    ("participants", "Participants", "참가자"),
    ("online", "Online", "온라인"),
    ("start_time", "Starts", "시작 시간"),
    ("count", "Sessions", "회차"),
    ("time", "Start time (HH:MM)", "시작 시간 (HH:MM)"),
    ("members", "Instructors and participants", "강사와 참가자"),
    ("seminar", "Seminar", "세미나"),
    ("member_role", "Member role", "참여 역할"),
    ("active", "Active", "활성"),
    ("joined_at", "Joined", "등록 시각"),
    ("dropped_at", "Dropped", "취소 시각"),
    ("kind", "Kind", "종류"),
    ("job_state", "State", "상태"),
    ("attempts", "Attempts", "시도"),
    ("last_error", "Last error", "마지막 오류"),
    ("actor", "Who", "수행자"),
    ("object", "Object", "대상"),
    ("object_type", "Object type", "대상 종류"),
    ("changes", "Changes", "변경 내용"),
    ("field", "Field", "항목"),
    ("from", "From", "이전"),
    ("to", "To", "이후"),
    ("when", "When", "시각"),
    ("recent_logins", "Recent log-ins", "최근 로그인"),
    ("logins_of", "All log-ins", "로그인 기록 전체"),
    // Filter values and tags
    ("yes", "Yes", "예"),
    ("no", "No", "아니요"),
    ("moderator", "Moderator", "운영자"),
    ("admin", "Admin", "관리자"),
    ("suspended", "Suspended", "정지"),
    ("banned", "Banned", "차단"),
    ("deleted", "Deleted", "삭제됨"),
    ("positive", "Positive", "긍정"),
    ("negative", "Negative", "부정"),
    ("none", "Unlabelled", "미분류"),
    ("30_or_more", "30 or more", "30명 이상"),
    ("under_30", "Under 30", "30명 미만"),
    ("instructor", "Instructor", "강사"),
    ("participant", "Participant", "참가자"),
    ("queued", "Queued", "대기"),
    ("running", "Running", "실행 중"),
    ("dead", "Failed", "실패"),
    ("restore", "Restored", "복구"),
    ("delete", "Deleted", "삭제"),
    ("suspend", "Suspended", "정지"),
    ("ban", "Banned", "차단"),
    ("reinstate", "Reinstated", "복권"),
    ("change", "Changed", "변경"),
    ("open", "Open", "대기"),
    ("resolved", "Resolved", "처리 완료"),
    ("spam", "Spam", "스팸·광고"),
    ("abuse", "Abuse", "욕설·비방"),
    ("illegal", "Illegal", "불법 정보"),
    ("other", "Other", "기타"),
    ("dismissed", "Dismissed", "기각"),
    ("removed", "Removed", "삭제"),
    ("dismiss", "Dismissed reports", "신고 기각"),
    ("remove", "Removed on reports", "신고로 삭제"),
    // Actions
    (
        "delete_posts",
        "Soft-delete selected posts",
        "선택한 게시글 삭제",
    ),
    (
        "restore_posts",
        "Restore selected posts",
        "선택한 게시글 복구",
    ),
    (
        "delete_comments",
        "Soft-delete selected comments",
        "선택한 댓글 삭제",
    ),
    (
        "restore_comments",
        "Restore selected comments",
        "선택한 댓글 복구",
    ),
    (
        "suspend_users",
        "Suspend selected users",
        "선택한 회원 정지",
    ),
    ("ban_users", "Ban selected users", "선택한 회원 차단"),
    (
        "reinstate_users",
        "Reinstate selected users",
        "선택한 회원 복권",
    ),
    (
        "set_role_users",
        "Change role of selected users",
        "선택한 회원 역할 변경",
    ),
    (
        "dismiss_reports",
        "Dismiss the reports of selected content",
        "선택한 신고 기각",
    ),
    (
        "remove_reported",
        "Remove selected content",
        "선택한 신고 대상 삭제",
    ),
    (
        "suspend_author",
        "Remove selected content and suspend its authors",
        "선택한 대상 삭제 후 작성자 정지",
    ),
    (
        "ban_author",
        "Remove selected content and ban its authors",
        "선택한 대상 삭제 후 작성자 차단",
    ),
    ("dismiss_one", "Dismiss the reports", "신고 기각"),
    ("remove_one", "Remove the content", "대상 삭제"),
    (
        "suspend_author_one",
        "Remove and suspend the author",
        "삭제 후 작성자 정지",
    ),
    (
        "ban_author_one",
        "Remove and ban the author",
        "삭제 후 작성자 차단",
    ),
    ("delete_one", "Soft-delete", "삭제"),
    ("restore_one", "Restore", "복구"),
    ("suspend_one", "Suspend", "정지"),
    ("ban_one", "Ban", "차단"),
    ("reinstate_one", "Reinstate", "복권"),
    ("set_role_one", "Change role", "역할 변경"),
    ("rename", "Rename", "이름 변경"),
    ("settings", "Settings", "설정"),
    // Search placeholders
    (
        "search_users",
        "Name or email contains",
        "이름 또는 이메일 포함",
    ),
    (
        "search_posts",
        "Title or content contains",
        "제목 또는 내용 포함",
    ),
    (
        "search_by_author",
        "Author name (exact)",
        "작성자 이름 (정확히)",
    ),
    ("search_name", "Name contains", "이름 포함"),
    (
        "search_window",
        "The search reads the first {n} posts of this selection in the list's order; choose a year, month or day to search further.",
        "검색은 현재 목록 순서로 처음 {n}개의 게시글만 살펴봅니다. 더 찾으려면 연·월·일을 고르세요.",
    ),
    ("search_by_user", "User name (exact)", "회원 이름 (정확히)"),
    (
        "search_by_actor",
        "Staff name (exact)",
        "스태프 이름 (정확히)",
    ),
    // Dashboard
    ("last_14_days", "Last 14 days (UTC)", "최근 14일 (UTC)"),
    ("new_users", "New users", "신규 회원"),
    ("failed_jobs", "Failed jobs", "실패한 작업"),
    (
        "recent_activity",
        "Recent staff activity",
        "최근 스태프 활동",
    ),
    ("job_queue", "Job queue", "작업 큐"),
    ("outbox", "Outbox", "대기열(아웃박스)"),
    ("total", "Total", "합계"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_has_both_languages_and_keys_are_unique() {
        let mut keys = std::collections::HashSet::new();
        for (k, en, ko) in WORDS {
            assert!(keys.insert(*k), "duplicate key {k}");
            assert!(!en.is_empty() && !ko.is_empty(), "{k}");
        }
        assert_eq!(Lang::En.t("users"), "Users");
        assert_eq!(Lang::Ko.t("users"), "회원");
        assert_eq!(Lang::Ko.t("no-such-key"), "?");
    }

    #[test]
    fn every_column_filter_and_action_of_the_console_has_words() {
        use madang_domain::console::{Action, Choices, Model};
        for m in Model::ALL {
            assert!(lookup(m.slug()).is_some(), "{}", m.slug());
            let spec = m.spec();
            for c in spec.columns {
                assert!(lookup(c.key).is_some(), "column {}", c.key);
            }
            for f in spec.filters {
                assert!(lookup(f.key).is_some(), "filter {}", f.key);
                if let Choices::Fixed(values) = f.choices {
                    for v in values {
                        assert!(lookup(v).is_some(), "choice {v}");
                    }
                }
            }
            if let Some(s) = spec.search {
                assert!(lookup(s).is_some(), "{s}");
            }
        }
        for a in Action::ALL {
            assert!(lookup(crate::pages::action_label(a)).is_some(), "{a:?}");
        }
    }
}
