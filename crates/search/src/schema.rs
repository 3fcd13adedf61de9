//! The index's schema and how a post becomes a document.
//!
//! tantivy's own n-gram tokenizer puts every gram at position 0, so a phrase over its
//! grams is not a substring match. Madang tokenises itself, with the domain's
//! [`fold`](madang_domain::search::text::fold): a unigram field (one term per folded
//! character, with frequencies) and a bigram field (one term per pair of neighbouring
//! characters, at that character's position). A one-character term is a unigram; two
//! characters are a bigram; three or more are a phrase over consecutive bigrams, which
//! matches exactly when the folded text contains the term.

use madang_domain::search::SearchDoc;
use madang_domain::search::text::fold;
use tantivy::schema::{
    Field, INDEXED, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{PreTokenizedString, Token};
use tantivy::{TantivyDocument, Term};

/// Bumped whenever the schema or the tokenising changes: an index of another version
/// is rebuilt.
pub(crate) const SCHEMA_VERSION: u32 = 3;

/// Every segment keeps its documents newest first (merges too): a newest-first page is
/// then its segments' first documents, and the rest of the matches are only counted.
pub(crate) fn settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings {
        sort_by_field: Some(tantivy::IndexSortByField {
            field: "created".into(),
            order: tantivy::Order::Desc,
        }),
        ..tantivy::IndexSettings::default()
    }
}

/// Whether `index` was made with [`settings`].
pub(crate) fn sorted_newest_first(index: &tantivy::Index) -> bool {
    index.settings().sort_by_field == settings().sort_by_field
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub id: Field,
    pub category: Field,
    pub author: Field,
    pub sentiment: Field,
    pub created: Field,
    pub votes: Field,
    pub title1: Field,
    pub title2: Field,
    pub content1: Field,
    pub content2: Field,
}

fn grams(record: IndexRecordOption) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(record)
            // Relevance must not depend on a post's length or on what else the index
            // holds (see `Fixed` in query.rs): no field norms.
            .set_fieldnorms(false),
    )
}

pub(crate) fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fast = NumericOptions::default().set_fast();
    let fields = Fields {
        id: b.add_u64_field("id", NumericOptions::default().set_indexed().set_fast()),
        category: b.add_u64_field("category", NumericOptions::default().set_fast()),
        author: b.add_u64_field("author", INDEXED),
        sentiment: b.add_u64_field("sentiment", INDEXED),
        created: b.add_i64_field("created", fast.clone()),
        votes: b.add_i64_field("votes", fast),
        title1: b.add_text_field("title1", grams(IndexRecordOption::WithFreqs)),
        title2: b.add_text_field("title2", grams(IndexRecordOption::WithFreqsAndPositions)),
        content1: b.add_text_field("content1", grams(IndexRecordOption::WithFreqs)),
        content2: b.add_text_field("content2", grams(IndexRecordOption::WithFreqsAndPositions)),
    };
    (b.build(), fields)
}

/// The sentiment label as the index stores it.
pub(crate) fn sentiment_code(label: Option<&str>) -> u64 {
    match label {
        Some("positive") => 1,
        Some("negative") => 2,
        Some(_) => 3,
        None => 0,
    }
}

/// Unigram and bigram token streams of `text`, folded.
fn tokens(text: &str) -> (PreTokenizedString, PreTokenizedString) {
    let chars = fold(text).chars;
    let token = |position: usize, text: String| Token {
        offset_from: position,
        offset_to: position + 1,
        position,
        text,
        position_length: 1,
    };
    let uni = chars
        .iter()
        .enumerate()
        .filter(|(_, c)| **c != ' ')
        .map(|(i, c)| token(i, c.to_string()))
        .collect();
    let bi = chars
        .windows(2)
        .enumerate()
        .map(|(i, w)| token(i, w.iter().collect()))
        .collect();
    let pre = |tokens| PreTokenizedString {
        text: String::new(),
        tokens,
    };
    (pre(uni), pre(bi))
}

pub(crate) fn id_term(f: &Fields, id: i64) -> Term {
    Term::from_field_u64(f.id, id.unsigned_abs())
}

pub(crate) fn document(f: &Fields, d: &SearchDoc) -> TantivyDocument {
    let mut doc = TantivyDocument::new();
    doc.add_u64(f.id, d.id.unsigned_abs());
    doc.add_u64(f.category, d.category_id.unsigned_abs());
    if let Some(a) = d.author_id {
        doc.add_u64(f.author, a.unsigned_abs());
    }
    doc.add_u64(f.sentiment, sentiment_code(d.sentiment.as_deref()));
    doc.add_i64(f.created, d.created_at.millis());
    doc.add_i64(f.votes, d.vote_count);
    let (t1, t2) = tokens(&d.title);
    let (c1, c2) = tokens(&d.content);
    doc.add_pre_tokenized_text(f.title1, t1);
    doc.add_pre_tokenized_text(f.title2, t2);
    doc.add_pre_tokenized_text(f.content1, c1);
    doc.add_pre_tokenized_text(f.content2, c2);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grams_carry_character_positions() {
        let (uni, bi) = tokens("배우 Rust");
        let u: Vec<(&str, usize)> = uni
            .tokens
            .iter()
            .map(|t| (t.text.as_str(), t.position))
            .collect();
        assert_eq!(
            u,
            [("배", 0), ("우", 1), ("r", 3), ("u", 4), ("s", 5), ("t", 6)]
        );
        let b: Vec<(&str, usize)> = bi
            .tokens
            .iter()
            .map(|t| (t.text.as_str(), t.position))
            .collect();
        assert_eq!(
            b,
            [
                ("배우", 0),
                ("우 ", 1),
                (" r", 2),
                ("ru", 3),
                ("us", 4),
                ("st", 5)
            ]
        );
    }

    #[test]
    fn one_character_has_no_bigram() {
        let (uni, bi) = tokens("꿀");
        assert_eq!(uni.tokens.len(), 1);
        assert!(bi.tokens.is_empty());
    }
}
