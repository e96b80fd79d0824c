//! The resumable position in a query's answer.

use std::fmt;
use std::str::FromStr;

use crate::store::Seq;
use crate::{Error, ErrorKind};

/// Where a page of a query's answer ended: the last event's sort key and sequence, and how many events the
/// answer has given so far (so `eventCountLimit` holds across pages). Opaque text for clients
/// ([`Display`](fmt::Display) / [`FromStr`]), like the REST binding's `nextPageToken`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QueryCursor {
    /// The last event's sort-field bytes (`None`: it lacked the field).
    pub key: Option<Vec<u8>>,
    /// The last event's record sequence.
    pub seq: Seq,
    /// Events returned by the answer up to and including the last page.
    pub returned: u64,
}

impl fmt::Display for QueryCursor {
    /// `v1.{hex key or -}.{seq}.{returned}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("v1.")?;
        match &self.key {
            Some(k) => {
                for b in k {
                    write!(f, "{b:02x}")?;
                }
            }
            None => f.write_str("-")?,
        }
        write!(f, ".{}.{}", self.seq, self.returned)
    }
}

impl FromStr for QueryCursor {
    type Err = Error;

    /// Reads the text [`Display`](fmt::Display) writes.
    ///
    /// ```
    /// use tracecode::store::event_query::QueryCursor;
    /// let c = QueryCursor { key: Some(vec![0x80, 1]), seq: 42, returned: 100 };
    /// assert_eq!(c.to_string(), "v1.8001.42.100");
    /// assert_eq!(c.to_string().parse::<QueryCursor>()?, c);
    /// assert!("v2.00.1.1".parse::<QueryCursor>().is_err());
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || Error::new(ErrorKind::QueryParameter, 0, s.len(), "not a query cursor (`v1.KEY.SEQ.COUNT`)");
        let mut parts = s.split('.');
        if parts.next() != Some("v1") {
            return Err(bad());
        }
        let (Some(k), Some(seq), Some(n), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let key = if k == "-" {
            None
        } else {
            if k.len() % 2 != 0 || k.len() > 2048 {
                return Err(bad());
            }
            let bytes: Option<Vec<u8>> =
                (0..k.len()).step_by(2).map(|i| k.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect();
            Some(bytes.ok_or_else(bad)?)
        };
        Ok(Self { key, seq: seq.parse().map_err(|_| bad())?, returned: n.parse().map_err(|_| bad())? })
    }
}
