//! Paged lists: page/size, keyset cursors and the page envelope.
//!
//! Every list is ordered by a key and then by id, so the last row of a page names
//! where the next one starts. A cursor carries that position (and the page number it
//! leads to), which lets a deep page cost the same as the first.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{Error, Violation};
use crate::validate::Violations;

pub const DEFAULT_SIZE: u32 = 20;
pub const MAX_SIZE: u32 = 100;
/// Page numbers beyond this are refused: OFFSET over it is a full scan; use the cursor.
pub const MAX_PAGE: u32 = 100_000;

/// The sort key value of a row: an integer column (time, counter) or a float rank.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum KeyValue {
    Int(i64),
    Float(f64),
}

/// Where a page starts: after the row with this key and id.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    /// The page number the cursor leads to (for `page_info.current_page`).
    pub page: u32,
    /// Which ordering it belongs to, so a cursor of one list is refused by another.
    pub order: &'static str,
    pub key: KeyValue,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let key = match self.key {
            KeyValue::Int(i) => format!("i{i}"),
            KeyValue::Float(f) => format!("f{}", f.to_bits()),
        };
        URL_SAFE_NO_PAD.encode(format!(
            "1|{}|{}|{}|{}",
            self.order, self.page, key, self.id
        ))
    }

    /// Reads a cursor that `encode` wrote for the ordering `order`.
    pub fn decode(s: &str, order: &'static str) -> Result<Self, Error> {
        let bad = || Error::BadRequest("cursor is malformed or belongs to another list".to_owned());
        let raw = URL_SAFE_NO_PAD.decode(s.as_bytes()).map_err(|_| bad())?;
        let text = String::from_utf8(raw).map_err(|_| bad())?;
        let parts: Vec<&str> = text.split('|').collect();
        let [version, o, page, key, id] = parts.as_slice() else {
            return Err(bad());
        };
        if *version != "1" || *o != order {
            return Err(bad());
        }
        let page: u32 = page.parse().map_err(|_| bad())?;
        let id: i64 = id.parse().map_err(|_| bad())?;
        let key = match key.split_at_checked(1) {
            Some(("i", v)) => KeyValue::Int(v.parse().map_err(|_| bad())?),
            Some(("f", v)) => {
                let f = f64::from_bits(v.parse().map_err(|_| bad())?);
                if !f.is_finite() {
                    return Err(bad());
                }
                KeyValue::Float(f)
            }
            _ => return Err(bad()),
        };
        if page < 2 || page > MAX_PAGE.saturating_mul(MAX_SIZE) || id < 0 {
            return Err(bad());
        }
        Ok(Self {
            page,
            order,
            key,
            id,
        })
    }
}

/// A validated page request: either a page number or a cursor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageRequest {
    pub page: u32,
    pub size: u32,
    pub after: Option<Cursor>,
}

impl PageRequest {
    pub fn first(size: u32) -> Self {
        Self {
            page: 1,
            size,
            after: None,
        }
    }

    /// Parses `page`, `size` and `cursor` for a list ordered as `order`.
    pub fn parse(
        page: Option<i64>,
        size: Option<i64>,
        cursor: Option<&str>,
        order: &'static str,
    ) -> Result<Self, Error> {
        let mut v = Violations::new();
        let size = match size {
            None => DEFAULT_SIZE,
            Some(s) if (1..=i64::from(MAX_SIZE)).contains(&s) => s as u32,
            Some(_) => {
                v.push(Violation::new(
                    "size",
                    "range",
                    format!("size must be between 1 and {MAX_SIZE}"),
                ));
                DEFAULT_SIZE
            }
        };
        let page = match page {
            None => 1,
            Some(p) if (1..=i64::from(MAX_PAGE)).contains(&p) => p as u32,
            Some(_) => {
                v.push(Violation::new(
                    "page",
                    "range",
                    format!("page must be between 1 and {MAX_PAGE}"),
                ));
                1
            }
        };
        v.into_result()?;
        match cursor {
            Some(c) if !c.is_empty() => {
                let after = Cursor::decode(c, order)?;
                Ok(Self {
                    page: after.page,
                    size,
                    after: Some(after),
                })
            }
            _ => Ok(Self {
                page,
                size,
                after: None,
            }),
        }
    }

    /// Rows to skip when no cursor is given.
    pub fn offset(&self) -> u64 {
        if self.after.is_some() {
            0
        } else {
            u64::from(self.page - 1) * u64::from(self.size)
        }
    }
}

/// One page of a list, with what a client needs to show and fetch the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total_items: i64,
    /// True when `total_items` stopped counting at a cap (large search results).
    pub total_capped: bool,
    pub current_page: u32,
    pub size: u32,
    pub next_cursor: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from up to `size + 1` fetched rows: the extra row only tells
    /// that a next page exists. `key` gives a row's sort key and id.
    pub fn from_rows(
        mut rows: Vec<T>,
        req: &PageRequest,
        order: &'static str,
        total_items: i64,
        total_capped: bool,
        key: impl Fn(&T) -> (KeyValue, i64),
    ) -> Self {
        let has_more = rows.len() > req.size as usize;
        rows.truncate(req.size as usize);
        let next_cursor = if has_more {
            rows.last().map(|last| {
                let (k, id) = key(last);
                Cursor {
                    page: req.page.saturating_add(1),
                    order,
                    key: k,
                    id,
                }
            })
        } else {
            None
        };
        Self {
            items: rows,
            total_items,
            total_capped,
            current_page: req.page,
            size: req.size,
            next_cursor,
        }
    }

    pub fn total_pages(&self) -> i64 {
        let size = i64::from(self.size.max(1));
        (self.total_items + size - 1) / size
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total_items: self.total_items,
            total_capped: self.total_capped,
            current_page: self.current_page,
            size: self.size,
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        for key in [
            KeyValue::Int(-5),
            KeyValue::Int(1_700_000_000_000),
            KeyValue::Float(3.25),
        ] {
            let c = Cursor {
                page: 7,
                order: "new",
                key,
                id: 42,
            };
            assert_eq!(Cursor::decode(&c.encode(), "new").unwrap(), c);
        }
    }

    #[test]
    fn cursor_of_another_order_or_junk_is_refused() {
        let c = Cursor {
            page: 2,
            order: "new",
            key: KeyValue::Int(1),
            id: 1,
        };
        assert!(matches!(
            Cursor::decode(&c.encode(), "top"),
            Err(Error::BadRequest(_))
        ));
        for junk in ["", "!!", "bm90IGEgY3Vyc29y", "MXxuZXd8MHxpMXwx"] {
            assert!(Cursor::decode(junk, "new").is_err(), "{junk}");
        }
    }

    #[test]
    fn page_and_size_are_bounded() {
        assert!(PageRequest::parse(Some(0), None, None, "new").is_err());
        assert!(PageRequest::parse(None, Some(101), None, "new").is_err());
        let Err(Error::Validation(v)) = PageRequest::parse(Some(-1), Some(0), None, "new") else {
            panic!()
        };
        assert_eq!(v.len(), 2);
        let r = PageRequest::parse(Some(3), Some(10), None, "new").unwrap();
        assert_eq!(r.offset(), 20);
    }

    #[test]
    fn extra_row_makes_a_cursor() {
        let req = PageRequest::first(2);
        let p = Page::from_rows(vec![(10, 3), (9, 2), (8, 1)], &req, "new", 3, false, |r| {
            (KeyValue::Int(r.0), r.1)
        });
        assert_eq!(p.items.len(), 2);
        let c = p.next_cursor.unwrap();
        assert_eq!((c.page, c.key, c.id), (2, KeyValue::Int(9), 2));
        assert_eq!(p.total_pages(), 2);
        let last = Page::from_rows(vec![(1, 1)], &req, "new", 1, false, |r| {
            (KeyValue::Int(r.0), r.1)
        });
        assert!(last.next_cursor.is_none());
    }
}
