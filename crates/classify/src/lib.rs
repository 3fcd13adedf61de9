//! Madang's built-in Korean sentiment classifier.

pub mod adapters;
pub mod codec;
pub mod features;
pub mod model;

pub use codec::ModelError;
pub use model::{Evaluation, Example, Model, TrainOptions};

/// Reads a `id<TAB>document<TAB>label` file with a header line (the sentiment data's
/// format); rows without a 0/1 label are skipped.
pub fn read_tsv(text: &str) -> Vec<Example> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.split('\t');
            let (_id, doc, label) = (cols.next()?, cols.next()?, cols.next()?);
            let positive = match label.trim() {
                "1" => true,
                "0" => false,
                _ => return None,
            };
            Some(Example {
                text: doc.to_owned(),
                positive,
            })
        })
        .collect()
}
