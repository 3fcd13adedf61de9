//! The model file: a small header, i16-quantised weights, and a checksum.
//!
//! ```text
//! b"MADANGSM"  u32 format  u32 feature scheme  u32 bits  u32 name length  name
//! f32 bias  f32 scale  i16 × 2^bits weights  u64 FNV-1a of everything before
//! ```
//! (little-endian). Quantising to i16 keeps 2^21 weights in 4 MiB with no measurable
//! loss of accuracy.

use crate::features::SCHEME;
use crate::model::Model;

const MAGIC: &[u8; 8] = b"MADANGSM";
const FORMAT: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("not a Madang sentiment model (bad magic bytes)")]
    NotAModel,
    #[error("model file format {0} is not supported (this build reads format {FORMAT})")]
    Format(u32),
    #[error(
        "model was trained with feature scheme {0}, this build uses scheme {SCHEME}; retrain it"
    )]
    Scheme(u32),
    #[error("model file is truncated or corrupt ({0})")]
    Corrupt(&'static str),
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ModelError> {
        let s = self
            .bytes
            .get(self.at..self.at + n)
            .ok_or(ModelError::Corrupt("too short"))?;
        self.at += n;
        Ok(s)
    }
}

impl Model {
    pub fn to_bytes(&self) -> Vec<u8> {
        let max = self
            .weights
            .iter()
            .fold(0f32, |m, w| m.max(w.abs()))
            .max(f32::MIN_POSITIVE);
        let scale = max / f32::from(i16::MAX);
        let mut out = Vec::with_capacity(64 + self.weights.len() * 2);
        out.extend_from_slice(MAGIC);
        for v in [FORMAT, SCHEME, self.bits, self.name.len() as u32] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(self.name.as_bytes());
        out.extend_from_slice(&self.bias.to_le_bytes());
        out.extend_from_slice(&scale.to_le_bytes());
        for w in &self.weights {
            out.extend_from_slice(&((w / scale).round() as i16).to_le_bytes());
        }
        let sum = fnv(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        if bytes.len() < 8 || &bytes[..8] != MAGIC {
            return Err(ModelError::NotAModel);
        }
        let mut r = Reader { bytes, at: 8 };
        let mut take = |n: usize| r.take(n);
        let u32_at = |s: &[u8]| u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
        let format = u32_at(take(4)?);
        if format != FORMAT {
            return Err(ModelError::Format(format));
        }
        let scheme = u32_at(take(4)?);
        if scheme != SCHEME {
            return Err(ModelError::Scheme(scheme));
        }
        let bits = u32_at(take(4)?);
        if !(8..=24).contains(&bits) {
            return Err(ModelError::Corrupt("feature space size out of range"));
        }
        let name_len = u32_at(take(4)?) as usize;
        let name = String::from_utf8(take(name_len.min(1024))?.to_vec())
            .map_err(|_| ModelError::Corrupt("name"))?;
        let bias = f32::from_le_bytes(
            take(4)?
                .try_into()
                .map_err(|_| ModelError::Corrupt("bias"))?,
        );
        let scale = f32::from_le_bytes(
            take(4)?
                .try_into()
                .map_err(|_| ModelError::Corrupt("scale"))?,
        );
        let raw = take((1usize << bits) * 2)?;
        let sum = u64::from_le_bytes(
            take(8)?
                .try_into()
                .map_err(|_| ModelError::Corrupt("checksum"))?,
        );
        let body_end = bytes.len() - 8;
        if r.at != bytes.len() {
            return Err(ModelError::Corrupt("trailing bytes"));
        }
        if fnv(&bytes[..body_end]) != sum {
            return Err(ModelError::Corrupt("checksum mismatch"));
        }
        if !bias.is_finite() || !scale.is_finite() {
            return Err(ModelError::Corrupt("non-finite parameters"));
        }
        let weights = raw
            .chunks_exact(2)
            .map(|c| f32::from(i16::from_le_bytes([c[0], c[1]])) * scale)
            .collect();
        Ok(Model {
            name,
            bits,
            bias,
            weights,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Example, TrainOptions};

    fn tiny() -> Model {
        let ex = |t: &str, p| Example {
            text: t.to_owned(),
            positive: p,
        };
        let data = [
            ex("정말 재밌다 최고", true),
            ex("완전 감동 최고", true),
            ex("지루하고 별로", false),
            ex("최악 노잼", false),
        ];
        Model::train(
            "tiny",
            &data,
            &TrainOptions {
                bits: 12,
                epochs: 20,
                ..TrainOptions::default()
            },
            |_, _| {},
        )
    }

    #[test]
    fn round_trips_with_the_same_answers() {
        let m = tiny();
        let back = Model::from_bytes(&m.to_bytes()).unwrap();
        assert_eq!(back.name, "tiny");
        for t in ["재밌다 최고", "별로 노잼"] {
            assert!((m.positive_probability(t) - back.positive_probability(t)).abs() < 1e-3);
        }
        assert!(back.positive_probability("최고 감동") > 0.5);
        assert!(back.positive_probability("최악 별로") < 0.5);
    }

    #[test]
    fn corrupt_files_are_refused_with_a_reason() {
        let bytes = tiny().to_bytes();
        assert!(matches!(
            Model::from_bytes(b"hello world"),
            Err(ModelError::NotAModel)
        ));
        assert!(matches!(
            Model::from_bytes(&bytes[..bytes.len() - 3]),
            Err(ModelError::Corrupt(_))
        ));
        let mut flipped = bytes.clone();
        flipped[100] ^= 0xff;
        assert!(matches!(
            Model::from_bytes(&flipped),
            Err(ModelError::Corrupt("checksum mismatch"))
        ));
        let mut other_scheme = bytes;
        other_scheme[12] = 99;
        assert!(matches!(
            Model::from_bytes(&other_scheme),
            Err(ModelError::Scheme(99))
        ));
    }
}
