//! The web app's words in Korean and English.
//!
//! A table, as in the console: a few hundred short strings known at compile time.
//! Korean is the default language of the board; English follows `Accept-Language`
//! or the toggle.

pub use madang_http::pages::Lang;

/// The web app's words in a language.
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

/// A field's failure in the page's language. English keeps the use case's own
/// words; Korean says it from the field and the broken rule, with the limit the
/// English message names (`must be at most 200 characters` → `200자`).
pub fn field_message(lang: Lang, field: &str, constraint: &str, message: &str) -> String {
    if lang == Lang::En {
        return message.to_owned();
    }
    let label = match lookup(field_label(field)) {
        Some((_, ko)) => ko,
        None => return message.to_owned(),
    };
    // The limit is the message's last number ("password1 must be at least 8 …").
    let number: String = message
        .split(|c: char| !c.is_ascii_digit())
        .rfind(|s| !s.is_empty())
        .unwrap_or("")
        .to_owned();
    match (field, constraint) {
        ("password2", "matches" | "must_match") => "두 비밀번호가 서로 다릅니다.".to_owned(),
        ("current_password" | "password", "matches") => "비밀번호가 맞지 않습니다.".to_owned(),
        ("name", "taken") => "이미 쓰이는 이름입니다.".to_owned(),
        ("name", "confusable") => "운영진의 이름과 너무 비슷한 이름입니다.".to_owned(),
        ("email", "taken") => "이미 가입된 이메일입니다.".to_owned(),
        (_, "required" | "not_blank") => format!("{label}{} 입력하세요.", josa(label, "을", "를")),
        (_, "max_length") if !number.is_empty() => {
            format!(
                "{label}{} {number}자 이하로 써 주세요.",
                josa(label, "은", "는")
            )
        }
        (_, "min_length") if !number.is_empty() => {
            format!(
                "{label}{} {number}자 이상으로 써 주세요.",
                josa(label, "은", "는")
            )
        }
        (_, "email") => "이메일 주소 형식이 아닙니다.".to_owned(),
        (_, "pattern") => format!("{label}에 쓸 수 없는 문자가 있습니다."),
        (_, "exists") => format!("없는 {label}입니다."),
        (_, "no_nul") => format!("{label}에 쓸 수 없는 문자(NUL)가 있습니다."),
        (_, "visible") => format!("{label}에 보이는 글자를 하나 이상 써 주세요."),
        (_, "range" | "positive" | "one_of" | "integer") => {
            format!("{label} 값이 올바르지 않습니다.")
        }
        (_, "time") => format!(
            "{label}{} 19:30처럼 HH:MM으로 써 주세요.",
            josa(label, "은", "는")
        ),
        _ => message.to_owned(),
    }
}

/// The particle that follows `word`: `with_final` after a syllable that ends in a
/// consonant (받침), `without` otherwise (제목은, 내용을, 이메일을, 비밀번호를).
fn josa(word: &str, with_final: &'static str, without: &'static str) -> &'static str {
    match word.chars().last() {
        Some(c @ '가'..='힣') if (u32::from(c) - 0xAC00) % 28 != 0 => with_final,
        Some('가'..='힣') => without,
        // Not Hangul (a Latin name): read as its letters usually end, in a vowel sound.
        _ => without,
    }
}

/// The word that names a form field.
fn field_label(field: &str) -> &str {
    match field {
        "category_id" => "board",
        "keyword" | "q" => "search_placeholder",
        "password1" | "password2" => "password",
        "count" => "sessions",
        "time" => "start_time",
        "company" => "affiliation",
        f => f,
    }
}

/// The table by key: a page looks up a hundred words or more.
static INDEX: std::sync::LazyLock<
    std::collections::HashMap<&'static str, (&'static str, &'static str)>,
> = std::sync::LazyLock::new(|| WORDS.iter().map(|(k, en, ko)| (*k, (*en, *ko))).collect());

fn lookup(key: &str) -> Option<(&'static str, &'static str)> {
    INDEX.get(key).copied()
}

/// key, English, Korean.
static WORDS: &[(&str, &str, &str)] = &[
    // Chrome
    ("site", "Madang", "마당"),
    ("tagline", "A community board", "함께 이야기하는 게시판"),
    ("skip", "Skip to content", "본문으로 건너뛰기"),
    ("boards", "Boards", "게시판"),
    ("breadcrumbs", "You are here", "현재 위치"),
    ("all_boards", "All boards", "전체 게시판"),
    ("home", "Home", "홈"),
    ("search", "Search", "검색"),
    ("search_label", "Search posts", "게시글 검색"),
    ("search_placeholder", "Words to find", "검색어"),
    ("search_in_board", "Search this board", "이 게시판에서 검색"),
    ("log_in", "Log in", "로그인"),
    ("log_out", "Log out", "로그아웃"),
    ("sign_up", "Sign up", "회원가입"),
    ("my_page", "My page", "내 정보"),
    ("seminars", "Seminars", "세미나"),
    ("language", "Language", "언어"),
    ("main_nav", "Main", "주 메뉴"),
    ("account_nav", "Account", "계정"),
    ("footer", "Madang community board", "마당 커뮤니티 게시판"),
    // Lists
    ("tabs", "Order", "정렬"),
    ("sort_new", "Newest", "최신"),
    ("sort_top", "Most liked", "추천"),
    ("sort_hot", "Popular", "인기"),
    ("sort_views", "Most read", "조회"),
    ("all_prefixes", "All", "전체"),
    ("sort_relevance", "Best match", "정확도"),
    ("no", "No.", "번호"),
    ("title", "Title", "제목"),
    ("author", "Author", "글쓴이"),
    ("date", "Date", "날짜"),
    ("votes", "Likes", "추천"),
    ("comments", "Comments", "댓글"),
    ("board", "Board", "게시판"),
    ("newest_posts", "Newest posts", "최신 글"),
    ("no_posts", "No posts yet.", "아직 글이 없습니다."),
    ("no_results", "Nothing matched.", "검색 결과가 없습니다."),
    ("results", "results", "건"),
    ("results_capped", "more than", "이상"),
    ("pages", "Pages", "페이지"),
    ("next", "Next", "다음"),
    ("previous", "Previous", "이전"),
    ("first_page", "First", "처음"),
    ("write", "Write", "글쓰기"),
    ("resigned", "(resigned member)", "(탈퇴한 회원)"),
    ("feed", "Atom feed", "Atom 피드"),
    ("sub_boards", "Sub-boards", "하위 게시판"),
    // Post
    ("edited", "edited", "수정됨"),
    ("edit", "Edit", "수정"),
    ("delete", "Delete", "삭제"),
    (
        "deleted_note",
        "This post is deleted; only staff see it.",
        "삭제된 글입니다. 스태프에게만 보입니다.",
    ),
    ("delete_confirm", "Delete this post?", "이 글을 삭제할까요?"),
    ("vote", "Like", "추천"),
    ("unvote", "Undo like", "추천 취소"),
    ("vote_login", "Log in to like", "로그인하고 추천하기"),
    ("history", "History", "수정 이력"),
    ("versions", "Versions", "버전"),
    ("version", "Version", "버전"),
    ("csv", "Download as CSV", "CSV로 내려받기"),
    (
        "diff",
        "Changes from the version before",
        "이전 버전과 비교",
    ),
    ("first_version", "First version", "처음 쓴 글"),
    ("added", "added", "추가"),
    ("removed", "removed", "삭제"),
    ("comment_form", "Write a comment", "댓글 쓰기"),
    ("comment_submit", "Post comment", "댓글 등록"),
    ("block", "Block", "차단"),
    ("unblock", "Unblock", "차단 해제"),
    (
        "blocked_note",
        "You block this member: their posts and comments are hidden from your lists, and they never notify you.",
        "차단한 회원입니다. 이 회원의 글과 댓글은 내 목록에 보이지 않고, 알림도 오지 않습니다.",
    ),
    (
        "comment_blocked",
        "A comment by a member you block.",
        "차단한 회원의 댓글입니다.",
    ),
    ("notifications", "Notifications", "알림"),
    ("unread", "unread", "읽지 않음"),
    ("read_all", "Mark all read", "모두 읽음으로 표시"),
    (
        "no_notifications",
        "No notifications yet.",
        "아직 알림이 없습니다.",
    ),
    ("someone", "Someone", "누군가"),
    (
        "notice_comment",
        "{who} commented on your post.",
        "{who}님이 내 글에 댓글을 남겼습니다.",
    ),
    (
        "notice_reply",
        "{who} replied to your comment.",
        "{who}님이 내 댓글에 답글을 남겼습니다.",
    ),
    (
        "notice_mention",
        "{who} mentioned you.",
        "{who}님이 나를 언급했습니다.",
    ),
    (
        "notice_removed_post",
        "A moderator removed your post.",
        "운영자가 내 글을 삭제했습니다.",
    ),
    (
        "notice_removed_comment",
        "A moderator removed your comment.",
        "운영자가 내 댓글을 삭제했습니다.",
    ),
    (
        "notice_report",
        "Your report was decided.",
        "내 신고가 처리되었습니다.",
    ),
    (
        "outcome_dismissed",
        "Dismissed: nothing was wrong",
        "기각: 문제가 없다고 판단했습니다",
    ),
    (
        "outcome_removed",
        "The content was removed",
        "대상을 삭제했습니다",
    ),
    (
        "outcome_suspended",
        "Removed, and the author suspended",
        "삭제하고 작성자를 정지했습니다",
    ),
    (
        "outcome_banned",
        "Removed, and the author banned",
        "삭제하고 작성자를 차단했습니다",
    ),
    ("reply", "Reply", "답글"),
    ("reply_to", "Write a reply", "답글 쓰기"),
    ("reply_submit", "Post reply", "답글 등록"),
    (
        "comment_deleted",
        "This comment was deleted.",
        "삭제된 댓글입니다.",
    ),
    (
        "comment_login",
        "Log in to comment.",
        "댓글을 쓰려면 로그인하세요.",
    ),
    ("no_comments", "No comments yet.", "아직 댓글이 없습니다."),
    (
        "comment_offline",
        "The connection broke; reload the page to see whether your comment went through.",
        "연결이 끊겼습니다. 댓글이 등록됐는지 새로고침해서 확인하세요.",
    ),
    (
        "new_comments",
        "New comments. Show them",
        "새 댓글이 있습니다. 보기",
    ),
    ("comment_pages", "Comment pages", "댓글 페이지"),
    ("back_to_post", "Back to the post", "글로 돌아가기"),
    ("back_to_list", "Back to the list", "목록으로"),
    // Forms
    ("content", "Content", "내용"),
    ("choose_board", "Choose a board", "게시판을 고르세요"),
    ("prefix", "Prefix", "말머리"),
    ("no_prefix", "No prefix", "말머리 없음"),
    ("notice", "Notice", "공지"),
    ("views", "Views", "조회"),
    ("bookmark", "Bookmark", "스크랩"),
    ("unbookmark", "Remove bookmark", "스크랩 취소"),
    ("my_bookmarks", "My bookmarks", "내 스크랩"),
    (
        "no_bookmarks",
        "Nothing bookmarked yet.",
        "스크랩한 글이 없습니다.",
    ),
    ("report", "Report", "신고"),
    ("report_reason", "Why are you reporting this?", "신고 사유"),
    ("reason_spam", "Spam or advertising", "스팸·광고"),
    ("reason_abuse", "Abuse or harassment", "욕설·비방"),
    ("reason_illegal", "Illegal content", "불법 정보"),
    ("reason_other", "Something else", "기타"),
    (
        "report_detail",
        "What should a moderator know? (optional)",
        "운영자에게 알릴 내용 (선택)",
    ),
    ("report_send", "Send the report", "신고하기"),
    (
        "reported",
        "Your report was received. A moderator will look at it.",
        "신고가 접수되었습니다. 운영자가 확인합니다.",
    ),
    ("pin", "Pin", "공지로 고정"),
    ("unpin", "Unpin", "공지 해제"),
    ("pin_board", "in this board", "이 게시판"),
    ("pin_site", "site-wide", "전체 공지"),
    ("best", "Best", "베스트"),
    ("new_mark", "New", "새 글"),
    ("publish", "Publish", "등록"),
    ("save", "Save", "저장"),
    ("cancel", "Cancel", "취소"),
    ("new_post", "New post", "새 글 쓰기"),
    ("edit_post", "Edit post", "글 수정"),
    (
        "draft_kept",
        "Your text was kept. Log in to send it.",
        "쓰던 내용은 그대로 있습니다. 로그인하면 이어서 보낼 수 있습니다.",
    ),
    (
        "draft_back",
        "You are logged in again; check your text and send it.",
        "다시 로그인했습니다. 내용을 확인하고 보내세요.",
    ),
    (
        "form_errors",
        "Please fix the marked fields.",
        "표시된 항목을 고쳐 주세요.",
    ),
    ("name", "Name", "이름"),
    ("email", "Email", "이메일"),
    ("password", "Password", "비밀번호"),
    ("password1", "Password", "비밀번호"),
    ("password2", "Password again", "비밀번호 확인"),
    ("username", "Name or email", "이름 또는 이메일"),
    ("current_password", "Current password", "현재 비밀번호"),
    ("new_password1", "New password", "새 비밀번호"),
    ("new_password2", "New password again", "새 비밀번호 확인"),
    (
        "password_hint",
        "At least 8 characters.",
        "8자 이상으로 정하세요.",
    ),
    ("have_account", "Already a member?", "이미 회원인가요?"),
    ("no_account", "New here?", "처음이신가요?"),
    (
        "bad_login",
        "Wrong name or password.",
        "이름 또는 비밀번호가 맞지 않습니다.",
    ),
    (
        "welcome",
        "Welcome to Madang.",
        "마당에 오신 것을 환영합니다.",
    ),
    // Me and profiles
    ("profile", "Profile", "프로필"),
    ("joined", "Joined", "가입일"),
    ("role", "Role", "등급"),
    ("user", "Member", "회원"),
    ("moderator", "Moderator", "운영진"),
    ("admin", "Administrator", "관리자"),
    ("state", "State", "상태"),
    ("posts", "Posts", "글"),
    ("password_change", "Change password", "비밀번호 변경"),
    (
        "password_changed",
        "Your password was changed; your other sessions ended.",
        "비밀번호를 바꿨습니다. 다른 기기의 로그인은 모두 끝났습니다.",
    ),
    ("login_history", "Log-in history", "로그인 기록"),
    ("when", "When", "시각"),
    ("result", "Result", "결과"),
    ("ok", "Succeeded", "성공"),
    ("failed", "Failed", "실패"),
    ("address", "Address", "주소"),
    ("browser", "Browser", "브라우저"),
    ("resign", "Resign", "회원 탈퇴"),
    (
        "resign_warning",
        "Resigning erases your name, email, password and log-in history. Your posts and comments stay, shown without a name. This cannot be undone.",
        "탈퇴하면 이름, 이메일, 비밀번호와 로그인 기록이 지워집니다. 쓴 글과 댓글은 이름 없이 남습니다. 되돌릴 수 없습니다.",
    ),
    ("resign_confirm", "Resign for good", "탈퇴하기"),
    (
        "resigned_done",
        "Your account is closed. Thank you for being here.",
        "탈퇴가 끝났습니다. 그동안 함께해 주셔서 고맙습니다.",
    ),
    ("user_posts", "Posts by this member", "이 회원의 글"),
    ("user_comments", "Comments by this member", "이 회원의 댓글"),
    ("active", "Active", "정상"),
    ("suspended", "Suspended", "정지"),
    ("banned", "Banned", "차단"),
    (
        "suspended_until",
        "Your account is suspended until",
        "계정이 다음 때까지 정지되었습니다:",
    ),
    (
        "banned_note",
        "Your account is banned; you can read but not write.",
        "계정이 차단되어 읽기만 할 수 있습니다.",
    ),
    ("reason", "Reason", "사유"),
    // Seminars
    ("seminar", "Seminar", "세미나"),
    ("places_left", "places left", "자리 남음"),
    ("full", "Full", "마감"),
    ("capacity", "Capacity", "정원"),
    ("participants", "Participants", "참가자"),
    ("instructors", "Instructors", "강사"),
    ("join", "Join", "참가 신청"),
    ("drop", "Cancel my place", "참가 취소"),
    ("joined_already", "You are taking part.", "참가 중입니다."),
    ("new_seminar", "New seminar", "세미나 만들기"),
    ("create", "Create", "만들기"),
    ("sessions", "Sessions", "회차"),
    ("start_time", "Start time", "시작 시각"),
    ("online", "Online", "온라인"),
    ("offline", "In person", "오프라인"),
    ("no_seminars", "No seminars yet.", "아직 세미나가 없습니다."),
    (
        "need_participant",
        "Seminars are joined by members with a participant profile.",
        "세미나 참가는 참가자 프로필이 있는 회원만 할 수 있습니다.",
    ),
    (
        "become_participant",
        "Add a participant profile",
        "참가자 프로필 만들기",
    ),
    (
        "become_instructor",
        "Add an instructor profile",
        "강사 프로필 만들기",
    ),
    ("university", "University", "학교"),
    ("major", "Major", "전공"),
    ("affiliation", "Affiliation", "소속"),
    (
        "profile_added",
        "Your profile was added.",
        "프로필을 만들었습니다.",
    ),
    // Errors and first run
    (
        "error_400",
        "That request could not be read.",
        "요청을 처리할 수 없습니다.",
    ),
    ("error_401", "Please log in.", "로그인이 필요합니다."),
    ("error_403", "You may not do that.", "권한이 없습니다."),
    (
        "error_404",
        "There is nothing here.",
        "페이지를 찾을 수 없습니다.",
    ),
    (
        "error_409",
        "That conflicts with the current state.",
        "현재 상태와 맞지 않습니다.",
    ),
    (
        "error_413",
        "That was too large to send.",
        "보낸 내용이 너무 큽니다.",
    ),
    (
        "error_429",
        "Too many tries. Wait a moment and try again.",
        "시도가 너무 많습니다. 잠시 뒤 다시 해 보세요.",
    ),
    (
        "error_503",
        "The board is busy or down for a moment. Try again shortly.",
        "잠시 사용할 수 없습니다. 조금 뒤 다시 해 보세요.",
    ),
    (
        "error_500",
        "Something went wrong on our side.",
        "서버에 문제가 생겼습니다.",
    ),
    ("go_home", "Go to the front page", "첫 화면으로"),
    (
        "setup_title",
        "Madang is running; the board has no boards yet",
        "마당이 실행 중입니다. 아직 게시판이 없습니다",
    ),
    (
        "setup_step1",
        "Create the first administrator on the server:",
        "서버에서 첫 관리자를 만드세요:",
    ),
    (
        "setup_step2",
        "Log in to the staff console and create boards (categories):",
        "관리자 콘솔에 로그인해 게시판(카테고리)을 만드세요:",
    ),
    (
        "setup_step3",
        "Come back here: members can sign up and write.",
        "이 화면으로 돌아오면 회원이 가입하고 글을 쓸 수 있습니다.",
    ),
    ("just_now", "just now", "방금"),
    ("minutes_ago", "min ago", "분 전"),
    ("hours_ago", "h ago", "시간 전"),
    ("days_ago", "days ago", "일 전"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_messages_are_said_in_korean_with_their_limits() {
        assert_eq!(
            field_message(
                Lang::Ko,
                "title",
                "max_length",
                "title must be at most 200 characters"
            ),
            "제목은 200자 이하로 써 주세요."
        );
        assert_eq!(
            field_message(
                Lang::Ko,
                "content",
                "not_blank",
                "content must not be blank"
            ),
            "내용을 입력하세요."
        );
        assert_eq!(
            field_message(
                Lang::Ko,
                "name",
                "confusable",
                "name looks too much like a staff member's name"
            ),
            "운영진의 이름과 너무 비슷한 이름입니다."
        );
        assert_eq!(
            field_message(
                Lang::Ko,
                "title",
                "visible",
                "title must contain a visible character"
            ),
            "제목에 보이는 글자를 하나 이상 써 주세요."
        );
        assert_eq!(
            field_message(
                Lang::En,
                "content",
                "not_blank",
                "content must not be blank"
            ),
            "content must not be blank"
        );
        assert_eq!(
            field_message(
                Lang::Ko,
                "password1",
                "min_length",
                "password must be at least 8 characters"
            ),
            "비밀번호는 8자 이상으로 써 주세요."
        );
        assert_eq!(
            field_message(
                Lang::Ko,
                "password2",
                "must_match",
                "password2 must match password1"
            ),
            "두 비밀번호가 서로 다릅니다."
        );
        assert_eq!(field_message(Lang::Ko, "zzz", "x", "raw"), "raw");
    }

    #[test]
    fn every_word_has_both_languages_and_keys_are_unique() {
        let mut keys = std::collections::HashSet::new();
        for (k, en, ko) in WORDS {
            assert!(keys.insert(*k), "duplicate key {k}");
            assert!(!en.is_empty() && !ko.is_empty(), "{k}");
        }
        assert_eq!(Lang::Ko.t("write"), "글쓰기");
        assert_eq!(Lang::En.t("write"), "Write");
        assert_eq!(Lang::Ko.t("no-such-key"), "?");
    }
}
