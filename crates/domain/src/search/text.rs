//! The one way Madang folds text for search: the index, the keyword, the highlight
//! finder and the fallback `LIKE` column all go through [`fold`], so they can never
//! disagree about what matches.
//!
//! Folding is: Unicode NFC (a decomposed keyword, as macOS sends it, finds what the
//! composed one finds), zero-width characters dropped, every run of white space made one
//! space, and each character lower-cased. Each folded character remembers the index of
//! the character of the (NFC) original it came from, so a match in the folded text maps
//! back to character offsets a client can highlight.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// Text in its folded form, with the origin of every folded character.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Folded {
    pub chars: Vec<char>,
    /// `origin[i]`: the index, in the NFC original, of the character `chars[i]` came from.
    pub origin: Vec<u32>,
}

impl Folded {
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    pub fn as_string(&self) -> String {
        self.chars.iter().collect()
    }

    /// The start of every occurrence of `needle`, left to right, overlapping ones included.
    pub fn find_all(&self, needle: &[char]) -> Vec<usize> {
        if needle.is_empty() || needle.len() > self.chars.len() {
            return Vec::new();
        }
        self.chars
            .windows(needle.len())
            .enumerate()
            .filter(|(_, w)| *w == needle)
            .map(|(i, _)| i)
            .collect()
    }

    /// The original character range `[start, end)` of folded characters `[from, to)`.
    pub fn original_range(&self, from: usize, to: usize) -> (u32, u32) {
        let start = self.origin[from];
        let end = self.origin[to - 1] + 1;
        (start, end)
    }
}

/// Characters that take no room and are ignored when searching.
pub fn is_zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}'
    )
}

/// Punctuation, in ASCII and in the general, CJK and full-width punctuation blocks. A
/// keyword term made of nothing else is no filter.
pub fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c,
            '\u{00A1}'..='\u{00BF}'
            | '\u{2010}'..='\u{205E}'
            | '\u{3000}'..='\u{303F}'
            | '\u{FF01}'..='\u{FF0F}'
            | '\u{FF1A}'..='\u{FF20}'
            | '\u{FF3B}'..='\u{FF40}'
            | '\u{FF5B}'..='\u{FF65}')
}

/// Text in Unicode NFC, as Madang stores titles, contents and names.
pub fn nfc(s: &str) -> String {
    nfc_cow(s).into_owned()
}

/// `s` in NFC, borrowed when it already is (what Madang stores always is): the quick
/// check is a fraction of the cost of recomposing.
pub fn nfc_cow(s: &str) -> Cow<'_, str> {
    match is_nfc_quick(s.chars()) {
        IsNormalized::Yes => Cow::Borrowed(s),
        _ => Cow::Owned(s.nfc().collect()),
    }
}

/// Folds `s` (see the module docs). The origins index the characters of `nfc(s)`.
pub fn fold(s: &str) -> Folded {
    let composed = nfc_cow(s);
    let mut out = Folded {
        chars: Vec::with_capacity(composed.len()),
        origin: Vec::with_capacity(composed.len()),
    };
    let mut in_space = false;
    for (i, c) in composed.chars().enumerate() {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        if is_zero_width(c) {
            continue;
        }
        if c.is_whitespace() {
            if !in_space {
                out.chars.push(' ');
                out.origin.push(i);
            }
            in_space = true;
            continue;
        }
        in_space = false;
        // Hangul syllables and jamo have no case, and ASCII lower-cases in place: the
        // general table lookup is for the rest. Lower-casing a character can give
        // several (`İ` → `i̇`); each keeps the origin.
        if c.is_ascii() {
            out.chars.push(c.to_ascii_lowercase());
            out.origin.push(i);
        } else if matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}')
        {
            out.chars.push(c);
            out.origin.push(i);
        } else {
            for l in c.to_lowercase() {
                out.chars.push(l);
                out.origin.push(i);
            }
        }
    }
    out
}

/// The folded text as a string, for the `search_text` column and the author-name match.
pub fn fold_str(s: &str) -> String {
    fold(s).as_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfd_folds_to_what_nfc_folds_to() {
        let nfd: String = "한국어 배우".nfd().collect();
        assert_ne!(nfd, "한국어 배우");
        assert_eq!(fold_str(&nfd), "한국어 배우");
        // Origins count NFC characters, not the jamo the NFD string was made of.
        assert_eq!(fold(&nfd).origin, vec![0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn zero_width_is_dropped_and_white_space_collapses() {
        let f = fold("배\u{200B}우\t\n  연기");
        assert_eq!(f.as_string(), "배우 연기");
        assert_eq!(f.origin, vec![0, 2, 3, 7, 8]);
    }

    #[test]
    fn case_folds_per_character_and_keeps_origins() {
        let f = fold("RuST İx");
        assert_eq!(f.as_string(), "rust i\u{307}x");
        assert_eq!(f.origin, vec![0, 1, 2, 3, 4, 5, 5, 6]);
        assert_eq!(f.original_range(5, 7), (5, 6));
    }

    #[test]
    fn find_all_finds_overlapping_occurrences() {
        let f = fold("ㅋㅋㅋ 하하");
        let k: Vec<char> = "ㅋㅋ".chars().collect();
        assert_eq!(f.find_all(&k), vec![0, 1]);
        assert!(f.find_all(&[]).is_empty());
        let long: Vec<char> = "ㅋㅋㅋ 하하하".chars().collect();
        assert!(f.find_all(&long).is_empty());
    }

    #[test]
    fn punctuation_covers_ascii_cjk_and_full_width() {
        for c in ['%', '_', '!', '。', '「', '！', '…', '¿'] {
            assert!(is_punctuation(c), "{c}");
        }
        for c in ['가', 'a', '1', 'ㅋ', '😀'] {
            assert!(!is_punctuation(c), "{c}");
        }
    }
}
