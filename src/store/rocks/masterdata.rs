//! Master data in the RocksDB store: every version of every vocabulary element, in the `default` family under
//! `tracecode.vocab/ ‖ node(element) ‖ u16 type ‖ version (8, big-endian)`, the value the element's JSON
//! (`{"id", "attributes", "children"}`, as in a `vocabularyList`) sealed with its CRC. Versions are kept: the
//! latest is the last key of the element's prefix.

use rocksdb::{IteratorMode, ReadOptions, WriteBatch};

use super::Store;
use super::error::io;
use super::reader::View;
use crate::masterdata::{ElementVersion, MasterDataReport, Vocabulary, VocabularyElement};
use crate::store::keys::{self, corrupt, seal, unseal};
use crate::{Error, ErrorKind};

/// The key prefix of master data records in the `default` family.
pub(super) const VOCAB_PREFIX: &[u8] = b"tracecode.vocab/";

/// Most elements one call stores (a write batch; larger documents are stored in several calls by importers).
pub const MAX_ELEMENTS_PER_CALL: usize = 100_000;

/// `VOCAB_PREFIX ‖ node ‖ u16 type`.
fn element_prefix(e: &VocabularyElement, kind: &str) -> Vec<u8> {
    [VOCAB_PREFIX, &keys::vocab_element_key(&e.key(), kind)].concat()
}

fn encode(e: &VocabularyElement) -> Vec<u8> {
    let list = Vocabulary::to_json_list(&[Vocabulary { kind: "".into(), elements: vec![e.clone()] }]);
    let one = list.pointer("/0/vocabularyElementList/0").cloned().unwrap_or_default();
    serde_json::to_vec(&one).unwrap_or_default()
}

/// Decodes a record: (vocabulary type, version, element).
pub(super) fn decode(k: &[u8], v: &[u8]) -> Result<(Box<str>, u64, VocabularyElement), Error> {
    let body = unseal(k, v, "vocab")?;
    let rest = k.get(VOCAB_PREFIX.len()..).ok_or_else(|| corrupt("vocab", "short key"))?;
    let node_len = 1 + usize::from(*rest.first().ok_or_else(|| corrupt("vocab", "short key"))?);
    let tail = rest.get(node_len..).ok_or_else(|| corrupt("vocab", "short key"))?;
    let kind_len = usize::from(u16::from_be_bytes(
        tail.get(..2).and_then(|b| b.try_into().ok()).ok_or_else(|| corrupt("vocab", "short key"))?,
    ));
    let kind = std::str::from_utf8(tail.get(2..2 + kind_len).ok_or_else(|| corrupt("vocab", "short key"))?)
        .map_err(|_| corrupt("vocab", "type is not UTF-8"))?;
    let version = u64::from_be_bytes(
        tail.get(2 + kind_len..).and_then(|b| b.try_into().ok()).ok_or_else(|| corrupt("vocab", "key length"))?,
    );
    let json: serde_json::Value = serde_json::from_slice(body).map_err(|_| corrupt("vocab", "not JSON"))?;
    let list = serde_json::json!([{"type": kind, "vocabularyElementList": [json]}]);
    let mut v = Vocabulary::from_json_list(&list).map_err(|_| corrupt("vocab", "not an element"))?;
    let element = v.pop().and_then(|mut v| v.elements.pop()).ok_or_else(|| corrupt("vocab", "not an element"))?;
    Ok((kind.into(), version, element))
}

impl Store {
    /// Stores master data: each element merged into its latest version, and the result stored as the next
    /// version when it differs (`masterdata` module docs). One atomic write.
    pub(super) fn put_vocabularies(&self, vocabularies: &[Vocabulary]) -> Result<MasterDataReport, Error> {
        self.writable()?;
        if self.is_poisoned() {
            return Err(Error::msg(ErrorKind::Poisoned, "the store refuses writes after a failed write; reopen it"));
        }
        let total: usize = vocabularies.iter().map(|v| v.elements.len()).sum();
        if total > MAX_ELEMENTS_PER_CALL {
            return Err(Error::msg(
                ErrorKind::InvalidArgument,
                format!("{total} elements in one call; at most {MAX_ELEMENTS_PER_CALL} are stored at once"),
            ));
        }
        let _w = self.lock_writer();
        let mut report = MasterDataReport::default();
        let mut batch = WriteBatch::default();
        // Elements written earlier in this call, by prefix: (version, element).
        let mut pending: std::collections::HashMap<Vec<u8>, (u64, VocabularyElement)> =
            std::collections::HashMap::new();
        for v in vocabularies {
            for e in &v.elements {
                let prefix = element_prefix(e, &v.kind);
                let latest = match pending.remove(&prefix) {
                    Some(p) => Some(p),
                    None => self.latest_version(&prefix, None)?,
                };
                let Some(next) = report.next_version(latest.as_ref().map(|(_, el)| el), e) else {
                    if let Some(l) = latest {
                        pending.insert(prefix, l);
                    }
                    continue;
                };
                let version = latest.map_or(1, |(n, _)| n + 1);
                let mut key = prefix.clone();
                key.extend_from_slice(&version.to_be_bytes());
                let mut value = encode(&next);
                seal(&key, &mut value);
                batch.put(&key, value);
                pending.insert(prefix, (version, next));
            }
        }
        if !batch.is_empty() {
            self.db.write(batch).map_err(|e| io(&e))?;
        }
        Ok(report)
    }

    /// The latest version under an element prefix.
    fn latest_version(
        &self,
        prefix: &[u8],
        view: Option<&View<'_>>,
    ) -> Result<Option<(u64, VocabularyElement)>, Error> {
        let mut end = prefix.to_vec();
        end.extend_from_slice(&u64::MAX.to_be_bytes());
        let mut it = self.db.raw_iterator_opt(View::options(view, ReadOptions::default()));
        it.seek_for_prev(&end);
        let out = match (it.key(), it.value()) {
            (Some(k), Some(v)) if k.starts_with(prefix) && k.len() == prefix.len() + 8 => {
                let (_, n, e) = decode(k, v)?;
                Some((n, e))
            }
            _ => None,
        };
        it.status().map_err(|e| io(&e))?;
        Ok(out)
    }

    /// Every stored version, in key order: (element node and type, then version).
    pub(super) fn vocab_versions(&self, view: &View<'_>) -> Result<Vec<ElementVersion>, Error> {
        let mut out = Vec::new();
        let it = self.db.iterator_opt(
            IteratorMode::From(VOCAB_PREFIX, rocksdb::Direction::Forward),
            view.read_options(ReadOptions::default()),
        );
        for r in it {
            let (k, v) = r.map_err(|e| io(&e))?;
            if !k.starts_with(VOCAB_PREFIX) {
                break;
            }
            let (kind, version, element) = decode(&k, &v)?;
            out.push(ElementVersion { kind, version, element });
        }
        Ok(out)
    }
}
