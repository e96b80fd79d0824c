//! [`Session`]: a [`TraceStore`] over one consistent state of a [`Store`], and the edge readers it lends to
//! a walk's threads.

use std::sync::{Arc, Mutex};

use super::reader::{Reader, View};
use super::{Store, visit};
use crate::Error;
use crate::code::TraceKey;
use crate::event::digest::EventId;
use crate::event::{Event, Id, Timestamp};
use crate::store::{
    Checkpoint, Edge, EdgeReader, EdgeSource, FeedItem, Hit, IngestReport, Page, Query, Resolution, Seq, State, Stats,
    TraceStore, VerifyReport,
};

impl Store {
    /// A [`TraceStore`] over one consistent state of this store, whose reads reuse one set of iterators: every
    /// read through it (resolutions, states, edges on every thread of a walk, events, queries) sees the commits
    /// that returned before it was created, and after an ingest through the session, that one too. Run a
    /// series of reads that must agree with each other on one session; create a new one to see later ingests.
    /// Traces and recalls on the store itself run on a session of their own.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("tracecode-session-{}", std::process::id()));
    /// use tracecode::event::Id;
    /// use tracecode::store::{Options, Store};
    /// use tracecode::trace::{trace, Direction, TraceOptions};
    /// let store = Store::open(&dir, Options::default())?;
    /// let t = trace(&store.session(), &Id::parse("urn:epc:id:sgtin:0614141.107346.1")?, Direction::Forward,
    ///     &TraceOptions::new())?;
    /// assert_eq!(t.nodes.len(), 1); // an unknown root is still its own trace
    /// # drop(store); std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn session(&self) -> Session<'_> {
        Session::new(self)
    }
}

/// A [`TraceStore`] over one consistent state of a [`Store`] that reuses one [`Reader`]'s iterators across
/// calls ([`Store::session`]): what a walk over many nodes (a trace, a recall) runs on. Not `Sync`: one per
/// thread.
pub struct Session<'s> {
    store: &'s Store,
    reader: std::cell::RefCell<Reader<'s>>,
    /// Lends edge readers over the session's view to a walk's threads.
    lender: Lender<'s>,
}

/// The [`EdgeSource`] of a [`Session`]: edge readers over the session's view.
pub(crate) struct Lender<'s> {
    store: &'s Store,
    view: Mutex<View<'s>>,
}

impl<'s> Session<'s> {
    fn new(store: &'s Store) -> Self {
        let mut reader = store.reader();
        reader.pin();
        let view = reader.view.clone().unwrap_or_else(|| View::take(store));
        Self { store, reader: std::cell::RefCell::new(reader), lender: Lender { store, view: Mutex::new(view) } }
    }

    /// The session's view.
    fn view(&self) -> View<'s> {
        self.lender.view.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Moves the session to the latest state (after its own ingest, so it reads what it wrote).
    fn repin(&self) {
        let mut r = self.reader.borrow_mut();
        r.pin();
        if let Some(v) = r.view.clone() {
            *self.lender.view.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = v;
        }
    }
}

impl EdgeSource for Lender<'_> {
    fn edge_reader(&self) -> Box<dyn EdgeReader + '_> {
        let view = self.view.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        visit::walk_reader(self.store, Some(view))
    }
}

impl TraceStore for Session<'_> {
    fn ingest(&self, events: Vec<Event>) -> Result<IngestReport, Error> {
        let r = self.store.ingest(events);
        self.repin();
        r
    }

    fn resolve_id(&self, id: &Id) -> Result<Option<Arc<Resolution>>, Error> {
        self.reader.borrow_mut().resolve_id(id)
    }

    fn resolve_key(&self, key: &TraceKey) -> Result<Option<Arc<Resolution>>, Error> {
        self.reader.borrow_mut().resolve_key(key)
    }

    fn state_at(&self, id: &Id, at: Timestamp) -> Result<Option<State>, Error> {
        self.reader.borrow_mut().state_at(id, at)
    }

    fn event(&self, id: &EventId) -> Result<Option<(Seq, Event)>, Error> {
        self.store.event_in(id, &self.view())
    }

    fn events_since(&self, after: Seq, limit: usize) -> Result<Vec<FeedItem>, Error> {
        self.store.events_since_in(after, limit, &self.view())
    }

    fn query(&self, q: &Query) -> Result<Page<Hit>, Error> {
        self.store.query_in(q, &self.view())
    }

    fn event_query(&self, q: &crate::store::EventQuery) -> Result<crate::store::EventPage, Error> {
        self.store.event_query_in(q, &self.view())
    }

    fn put_master_data(
        &self,
        vocabularies: &[crate::masterdata::Vocabulary],
    ) -> Result<crate::masterdata::MasterDataReport, Error> {
        let r = self.store.put_master_data(vocabularies);
        self.repin();
        r
    }

    fn master_data_versions(&self) -> Result<Vec<crate::masterdata::ElementVersion>, Error> {
        self.store.vocab_versions(&self.view())
    }

    fn instances(&self, class: &TraceKey, after: Option<&TraceKey>, limit: usize) -> Result<Vec<TraceKey>, Error> {
        self.store.instances_in(class, after, limit, &self.view())
    }

    fn neighbours(&self, node: &Id, out: &mut Vec<Edge>) -> Result<(), Error> {
        self.reader.borrow_mut().neighbours(node, out)
    }

    fn edge_source(&self) -> Option<&dyn EdgeSource> {
        Some(&self.lender)
    }

    fn checkpoint(&self) -> Result<Checkpoint, Error> {
        self.store.checkpoint_in(&self.view())
    }

    fn verify_checkpoint(&self, cp: &Checkpoint) -> Result<bool, Error> {
        self.store.verify_checkpoint(cp)
    }

    fn verify(&self, id: &Id) -> Result<VerifyReport, Error> {
        self.store.verify(id)
    }

    fn verify_all(&self) -> Result<VerifyReport, Error> {
        self.store.verify_all()
    }

    fn stats(&self) -> Result<Stats, Error> {
        self.store.stats()
    }
}
