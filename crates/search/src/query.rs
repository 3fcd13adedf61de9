//! A search request as a tantivy query, and the fixed statistics relevance is scored by.
//!
//! Relevance, written down: a post whose title contains a term ranks above every post
//! whose title contains none; then by the BM25 sum over the terms, in which more
//! occurrences score higher (field norms are off, so a post's length does not count);
//! then newer first. BM25's statistics are fixed ([`Fixed`]) rather than read from the
//! index, so a post's score depends on the post and the keyword alone: two nodes, or one
//! node before and after a merge, score it the same, and a relevance cursor stays valid.

use madang_domain::search::SearchRequest;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Score, Term};

use crate::schema::{Fields, sentiment_code};

/// How much more a term in the title weighs than in the content: enough that one title
/// match outweighs any number of content matches of a 100-character keyword (a BM25
/// term scores at most `(k1 + 1) = 2.2` times its idf; a keyword has at most 99 bigrams).
const TITLE_BOOST: Score = 250.0;

/// BM25 statistics that never change (see the module docs).
pub(crate) struct Fixed;

impl tantivy::query::Bm25StatisticsProvider for Fixed {
    fn total_num_tokens(&self, _field: Field) -> tantivy::Result<u64> {
        // One token per document on average: with norms off, every document then has
        // exactly the average length.
        Ok(1_000_000)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(1_000_000)
    }

    fn doc_freq(&self, _term: &Term) -> tantivy::Result<u64> {
        Ok(1_000)
    }
}

/// The clause matching `term` in one text (its unigram and bigram fields).
fn text_clause(uni: Field, bi: Field, term: &[char]) -> Box<dyn Query> {
    let text = |s: &[char]| s.iter().collect::<String>();
    match term.len() {
        1 => Box::new(TermQuery::new(
            Term::from_field_text(uni, &text(term)),
            IndexRecordOption::WithFreqs,
        )),
        2 => Box::new(TermQuery::new(
            Term::from_field_text(bi, &text(term)),
            IndexRecordOption::WithFreqs,
        )),
        // Bigrams that cover every character, and no more: at 0, 2, 4, … and the last
        // one. Each is a position list the phrase must intersect, so for `시간낭비` two
        // lists (`시간` at 0, `낭비` at 2) do what three did.
        n => Box::new(PhraseQuery::new_with_offset(
            (0..n - 1)
                .filter(|i| i % 2 == 0 || *i == n - 2)
                .map(|i| (i, Term::from_field_text(bi, &text(&term[i..i + 2]))))
                .collect(),
        )),
    }
}

fn ids(field: Field, ids: impl IntoIterator<Item = i64>) -> Box<dyn Query> {
    let set = TermSetQuery::new(
        ids.into_iter()
            .map(|i| Term::from_field_u64(field, i.unsigned_abs())),
    );
    // A filter adds nothing to relevance.
    Box::new(ConstScoreQuery::new(Box::new(set), 0.0))
}

fn one(field: Field, v: u64) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(
        Box::new(TermQuery::new(
            Term::from_field_u64(field, v),
            IndexRecordOption::Basic,
        )),
        0.0,
    ))
}

/// The query of `req`. `authors[i]` are the members whose name contains term `i`;
/// `exclude` are posts the index must not answer for (their change is not applied yet).
pub(crate) fn build(
    f: &Fields,
    req: &SearchRequest<'_>,
    authors: &[Vec<i64>],
    exclude: &[i64],
) -> BooleanQuery {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (i, term) in req.query.terms().iter().enumerate() {
        let mut any: Vec<(Occur, Box<dyn Query>)> = vec![
            (
                Occur::Should,
                Box::new(BoostQuery::new(
                    text_clause(f.title1, f.title2, term),
                    TITLE_BOOST,
                )),
            ),
            (Occur::Should, text_clause(f.content1, f.content2, term)),
        ];
        if let Some(a) = authors.get(i).filter(|a| !a.is_empty()) {
            any.push((Occur::Should, ids(f.author, a.iter().copied())));
        }
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
    }
    // The category filter is the collector's (`TopPosts::categories`).
    if let Some(a) = req.author_id {
        clauses.push((Occur::Must, one(f.author, a.unsigned_abs())));
    }
    if let Some(s) = req.sentiment {
        clauses.push((Occur::Must, one(f.sentiment, sentiment_code(Some(s)))));
    }
    if !exclude.is_empty() {
        clauses.push((Occur::MustNot, ids(f.id, exclude.iter().copied())));
    }
    BooleanQuery::new(clauses)
}
