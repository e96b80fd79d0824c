//! Iterators over the change feed and query results of any [`TraceStore`], beside the page API: they fetch a
//! page at a time ([`TraceStore::events_since`], [`TraceStore::query`]) and hand out the items one by one.

use std::collections::VecDeque;

use super::{FeedItem, Hit, Query, Seq, TraceStore};
use crate::Error;

/// Items fetched per page by [`TraceStoreExt::feed`] unless [`Feed::page_size`] says otherwise.
pub const FEED_PAGE: usize = 1000;

/// Iterators over the feed and query results, for every [`TraceStore`] (also `dyn TraceStore`).
///
/// ```
/// use tracecode::event::{Action, Event, EventType, Id, Timestamp, TzOffset};
/// use tracecode::store::{Index, MemoryStore, Query, TraceStore, TraceStoreExt};
///
/// let store = MemoryStore::new();
/// let mut batch = Vec::new();
/// for n in 0..5 {
///     let mut e = Event::new(EventType::Object, Timestamp(1_700_000_000_000 + n), TzOffset::UTC);
///     e.action = Some(Action::Add);
///     e.epc_list.push(Id::parse(&format!("urn:epc:id:sgtin:0614141.107346.{n}"))?);
///     batch.push(e);
/// }
/// store.ingest(batch)?;
///
/// // The whole feed after seq 1, two items a page.
/// let seqs: Vec<u64> = store.feed(1).page_size(2).map(|i| i.map(|i| i.seq)).collect::<Result<_, _>>()?;
/// assert_eq!(seqs, [2, 3, 4, 5]);
///
/// // Every hit of a query, whatever its page size.
/// let q = Query { limit: 2, ..Query::new(Index::Time) };
/// assert_eq!(store.query_iter(&q).count(), 5);
/// # Ok::<(), tracecode::Error>(())
/// ```
pub trait TraceStoreExt: TraceStore {
    /// The change feed after sequence `after`, item by item, in pages of [`FEED_PAGE`] items
    /// ([`TraceStore::events_since`]). It ends at the end of the log as the last page read it (a page shorter
    /// than the page size), and after the first error, which it yields.
    fn feed(&self, after: Seq) -> Feed<'_, Self> {
        Feed { store: self, after, pos: after, page: FEED_PAGE, buf: VecDeque::new(), done: false }
    }

    /// Every hit of `q` from its [`Query::after`] on, item by item, fetched in pages of [`Query::limit`] hits
    /// ([`TraceStore::query`]). It ends with the results, and after the first error, which it yields.
    fn query_iter(&self, q: &Query) -> QueryIter<'_, Self> {
        QueryIter { store: self, q: q.clone(), buf: VecDeque::new(), done: false }
    }
}

impl<S: TraceStore + ?Sized> TraceStoreExt for S {}

/// The change feed, item by item ([`TraceStoreExt::feed`]).
#[derive(Debug)]
pub struct Feed<'a, S: ?Sized> {
    store: &'a S,
    /// The last sequence fetched.
    after: Seq,
    /// The last sequence handed out.
    pos: Seq,
    page: usize,
    buf: VecDeque<FeedItem>,
    done: bool,
}

impl<S: ?Sized> Feed<'_, S> {
    /// Items fetched per page (at least 1; default [`FEED_PAGE`]).
    #[must_use]
    pub fn page_size(mut self, n: usize) -> Self {
        self.page = n.max(1);
        self
    }

    /// The sequence of the last item handed out (or the `after` it started from): where a new feed resumes.
    pub const fn position(&self) -> Seq {
        self.pos
    }
}

impl<S: TraceStore + ?Sized> Iterator for Feed<'_, S> {
    type Item = Result<FeedItem, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() && !self.done {
            match self.store.events_since(self.after, self.page) {
                Ok(items) => {
                    self.done = items.len() < self.page;
                    if let Some(last) = items.last() {
                        self.after = last.seq;
                    }
                    self.buf = items.into();
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        let item = self.buf.pop_front()?;
        self.pos = item.seq;
        Some(Ok(item))
    }
}

/// A query's hits, item by item ([`TraceStoreExt::query_iter`]).
#[derive(Debug)]
pub struct QueryIter<'a, S: ?Sized> {
    store: &'a S,
    q: Query,
    buf: VecDeque<Hit>,
    done: bool,
}

impl<S: TraceStore + ?Sized> Iterator for QueryIter<'_, S> {
    type Item = Result<Hit, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() && !self.done {
            match self.store.query(&self.q) {
                Ok(page) => {
                    // An empty page with a cursor cannot move on: end rather than ask the same page forever.
                    self.done = page.next.is_none() || page.items.is_empty() || page.next == self.q.after;
                    self.q.after = page.next;
                    self.buf = page.items.into();
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        self.buf.pop_front().map(Ok)
    }
}
