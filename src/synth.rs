//! A deterministic, seeded synthetic "province" traceability workload, for the demo, the benchmarks and tests.
//!
//! [`Synth`] generates the EPCIS events of a province-like mix of the six regulated categories:
//!
//! | Category | Items | Life of an item |
//! |---|---|---|
//! | [`Category::Food`] | SGTIN retail items | farm harvest lots (GTIN + lot) → processing TransformationEvents into product lots → commissioning with ILMD `lotNumber` → line check → cases (SSCC) → pallets → processor → DC → store → retail sale |
//! | [`Category::Drug`] | China 20-digit drug codes | commissioning → code check → cases (20-digit case codes) → pallets (SSCC) → manufacturer → distributor → pharmacy (DELETE, sometimes parent-only) → dispensing |
//! | [`Category::AgriInput`] | pesticide 32-digit, veterinary-drug 24-digit, seed / fertiliser SGTIN | production → cartons → dealer → retail sale |
//! | [`Category::GasCylinder`] | gas-cylinder registration codes | registration, then cycles of pre-fill check, filling, delivery, return; a periodic inspection (repair or scrapping) |
//! | [`Category::Elevator`] | equipment registration codes | manufacture → delivery → installation → acceptance → maintenance every ~15 days, repairs, annual inspection |
//! | [`Category::Explosive`] | GA 441 detonator codes | production → boxes → magazine → depot → blasting site → pre-blast test → use or destruction |
//!
//! Every event is a valid EPCIS 2.0 event ([`Event::validate`]) with GLN read points and business locations
//! (`414` keys), responsible parties (`417` party GLNs or unified social credit codes), realistic CBV business
//! steps and dispositions, sources and destinations on hand-overs, despatch advice and purchase-order business
//! transactions on most hand-overs, and a [`Who`].
//!
//! Across the mix an item has about 8 events: consumables (food, drugs, agricultural inputs, detonators) about 3
//! each plus their share of case, pallet and lot events, gas cylinders about 32 and elevators about 37. The
//! assets are 15% of the items and carry about two thirds of the events (long per-code chains); the consumables carry
//! the genealogy (lots, transformations, aggregation).
//!
//! # Determinism, order and memory
//! Everything is a pure function of [`SynthConfig`]: the same seed gives the same events, byte for byte. Items
//! are produced in *runs* (one production run of one category: 40 to 300 items), interleaved across the
//! categories; a run's events are generated together, so memory is bounded by one run whatever the size of the
//! data set. Within a run, events are yielded in capture order: each event is captured within a second of when
//! it happened, except about 2% captured hours later (a scanner that synchronised late); about 1% of events
//! therefore arrive after a later event of the same code, as in the field. Every identifier an event is
//! *about* (items, cases, pallets, lots) belongs to one run, so each code's history arrives in capture order.
//! Runs start 15 minutes apart and their lives overlap in event time (like the feeds of independent sites), so
//! event times across runs are not sorted: a global capture order would need a merge window as long as an
//! elevator's life, i.e. most of the data set in memory. `recordTime` is left unset: the repository sets it on
//! capture.
//!
//! The item index space is O(1) addressable: [`Synth::item_key`], [`Synth::category_of`] and
//! [`Synth::scan_of`] compute the i-th item without generating anything. [`Synth::unknown_scan`] gives
//! well-formed codes the generator never issues (counterfeit probes).
//!
//! [`genealogy`] is a separate generator for the trace benchmark: a tree of about `nodes` nodes under one raw lot.
//!
//! ```
//! use tracecode::synth::{Category, Synth, SynthConfig};
//!
//! let synth = Synth::new(SynthConfig { items: 3_000, ..SynthConfig::default() });
//! let events: usize = synth.batches(10_000).map(|batch| batch.len()).sum();
//! assert!(events > 3_000 * 5);
//!
//! // The i-th item is known without generating events, and its scan reads back to it.
//! let key = synth.item_key(0).unwrap();
//! assert_eq!(synth.category_of(0), Category::Food);
//! assert_eq!(tracecode::code::parse(synth.scan_of(0))?.trace_key()?, key);
//! # Ok::<(), tracecode::Error>(())
//! ```

use std::fmt::Write as _;

use crate::code::check::{gs1_check_digit, mod31_check_char};
use crate::code::gs1::{self, Gs1, epc_uri::Gid};
use crate::code::{CheckStatus, NationalCode, Scheme, TraceKey};
use crate::event::{
    Action, BizStep, BizTransaction, BizTransactionType, Decimal, Disposition, Event, EventType, ExtValue, Extension,
    Id, Place, Quantity, SourceDest, SourceDestType, Timestamp, TzOffset, Who,
};

// ---------------------------------------------------------------------------------------------------------------
// Configuration and public types
// ---------------------------------------------------------------------------------------------------------------

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynthConfig {
    /// Number of items (all categories together). 10 thousand to 10 million is the intended range; the
    /// events number about 8 per item. Item codes are unique up to 26 million items (the gas-cylinder
    /// sequences of one filling unit, 2.6 million, bound it first).
    pub items: u64,
    /// The seed: the same seed gives the same data set.
    pub seed: u64,
    /// When the first production run starts.
    pub start: Timestamp,
}

impl Default for SynthConfig {
    /// 10 000 items, seed 1, starting 2026-01-01T00:00:00Z.
    fn default() -> Self {
        // 2026-01-01T00:00:00Z = 20 454 days after the epoch.
        Self { items: 10_000, seed: 1, start: Timestamp(20_454 * DAY) }
    }
}

/// The six regulated categories of the workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Agricultural products and food, farm to table.
    Food,
    /// Drugs with item / case / pallet aggregation.
    Drug,
    /// Agricultural inputs: pesticides, veterinary drugs, seeds, fertilisers.
    AgriInput,
    /// Gas cylinders with filling and inspection cycles.
    GasCylinder,
    /// Elevators with installation and maintenance.
    Elevator,
    /// Civil explosives (industrial detonators), production to use or destruction.
    Explosive,
}

impl Category {
    /// Every category, in declaration order.
    pub const ALL: [Self; 6] =
        [Self::Food, Self::Drug, Self::AgriInput, Self::GasCylinder, Self::Elevator, Self::Explosive];

    /// A stable lower-case name (`"food"`, `"gas-cylinder"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Food => "food",
            Self::Drug => "drug",
            Self::AgriInput => "agri-input",
            Self::GasCylinder => "gas-cylinder",
            Self::Elevator => "elevator",
            Self::Explosive => "explosive",
        }
    }
}

/// A realistic scan for the demo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    /// The category of the scanned thing.
    pub category: Category,
    /// The scanner string (as [`crate::code::parse`] receives it).
    pub scan: String,
    /// What it is, in a few words.
    pub what: &'static str,
}

// ---------------------------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------------------------

const SEC: i64 = 1_000_000_000;
const MIN: i64 = 60 * SEC;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
/// Events captured late (a scanner that synchronised hours later), per mille. About half of them arrive after a
/// later event of the same code, so about 1% of events arrive out of event-time order.
const LATE_PER_MILLE: u64 = 20;
/// Production runs start this far apart.
const RUN_SPACING: i64 = 15 * MIN;
/// China Standard Time, where the province is.
const CST: TzOffset = TzOffset(480);

/// The interleaving of production runs: (category, items per run). One cycle holds 2 400 items: food 40%,
/// drugs 25%, agricultural inputs 10%, explosives 10%, gas cylinders 10%, elevators 5%. Consumables have about
/// 3 events per item and assets 30 to 40, which makes the ~8 events per item of the mix.
const CYCLE: [(Category, u32); 15] = [
    (Category::Food, 240),
    (Category::GasCylinder, 60),
    (Category::Drug, 300),
    (Category::Elevator, 40),
    (Category::Food, 240),
    (Category::AgriInput, 240),
    (Category::GasCylinder, 60),
    (Category::Food, 240),
    (Category::Explosive, 240),
    (Category::GasCylinder, 60),
    (Category::Drug, 300),
    (Category::Elevator, 40),
    (Category::Food, 240),
    (Category::GasCylinder, 60),
    (Category::Elevator, 40),
];
const CYCLE_RUNS: u64 = 15;

/// GB/T 2260 area codes of one province (Fujian, 35): where firms are registered and elevators installed.
const AREAS: [&str; 15] = [
    "350102", "350103", "350104", "350111", "350203", "350205", "350206", "350211", "350302", "350402", "350502",
    "350503", "350602", "350702", "350802",
];

/// Detonator feature letters (GA 441: letters except C O S U V W X Z).
const FEATURE_LETTERS: &[u8; 18] = b"ABDEFGHIJKLMNPQRTY";
/// Crockford base-32: serials without look-alike letters.
const B32: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

const LOT_NUMBER: &str = "urn:epcglobal:cbv:mda:lotNumber";
const EXPIRY: &str = "urn:epcglobal:cbv:mda:itemExpirationDate";
/// Business steps CBV 2.0 has no term for (vocabularies are open).
const STEP_FILLING: &str = "urn:tracecode:bizstep:filling";
const STEP_MAINTAINING: &str = "urn:tracecode:bizstep:maintaining";
const STEP_BLASTING: &str = "urn:tracecode:bizstep:blasting";

/// Salts that separate the independent pseudo-random choices derived from (seed, run or item).
mod salt {
    pub const PRODUCT: u64 = 1;
    pub const FARM: u64 = 2;
    pub const HUB: u64 = 3;
    pub const RUN_RNG: u64 = 4;
    pub const SCAN: u64 = 5;
    pub const FOOD_SERIAL: u64 = 6;
    pub const AGRI_SERIAL: u64 = 7;
    pub const DRUG: u64 = 8;
    pub const VET: u64 = 9;
    pub const PEST: u64 = 10;
    pub const CHECK4: u64 = 11;
    pub const CLASS: u64 = 12;
    pub const GENEALOGY: u64 = 13;
}

// ---------------------------------------------------------------------------------------------------------------
// Pseudo-random numbers and permutations
// ---------------------------------------------------------------------------------------------------------------

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 finaliser. Each step (xor-shift, multiplication by an odd constant) is invertible, so this is
/// a bijection of `u64`: distinct inputs give distinct outputs, which makes serials unique by construction.
const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough for synthetic data.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    const fn new(seed: u64) -> Self {
        Self(mix64(seed))
    }

    const fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix64(self.0)
    }

    /// Uniform in `0..n` (0 when `n` is 0), by multiply-shift (Lemire).
    fn below(&mut self, n: u64) -> u64 {
        let m = u128::from(self.next_u64()) * u128::from(n);
        u64::try_from(m >> 64).unwrap_or(0)
    }

    /// Uniform in `lo..hi` (nanoseconds), `lo` when the range is empty.
    fn span(&mut self, lo: i64, hi: i64) -> i64 {
        let width = u64::try_from(hi.saturating_sub(lo)).unwrap_or(0);
        lo.saturating_add(i64::try_from(self.below(width)).unwrap_or(0))
    }

    /// True with probability `p`/1000.
    fn per_mille(&mut self, p: u64) -> bool {
        self.below(1000) < p
    }
}

/// A keyed bijection of `0..2^bits` (bits ≤ 63): add, multiply by an odd constant and xor-shift, all invertible
/// modulo 2^bits.
const fn perm_bits(x: u64, key: u64, bits: u32) -> u64 {
    let mask = (1u64 << bits) - 1;
    let mut v = x & mask;
    let mut round = 0;
    while round < 3 {
        v = v.wrapping_add(mix64(key.wrapping_add(round))) & mask;
        v = v.wrapping_mul(0x2545_F491_4F6C_DD1D) & mask;
        v ^= v >> (bits / 2 + 1);
        round += 1;
    }
    v
}

/// A keyed bijection of `0..10^digits` (digits ≤ 18): `x ↦ (a·x + b) mod 10^digits` with `a` coprime to 10.
fn perm_dec(x: u64, key: u64, digits: u32) -> u64 {
    let m = 10u128.pow(digits.min(18));
    // An odd multiplier that is not a multiple of 5 is coprime to every power of ten.
    let mut a = u128::from(mix64(key) | 1) % m;
    if a.is_multiple_of(5) {
        a = (a + 2) % m;
    }
    let b = u128::from(mix64(key ^ GOLDEN)) % m;
    u64::try_from((a * (u128::from(x) % m) + b) % m).unwrap_or(0)
}

/// `x` as base-32 text of `n` characters (low bits last).
fn b32(mut x: u64, n: usize) -> String {
    let mut out = vec![b'0'; n];
    for slot in out.iter_mut().rev() {
        *slot = B32.get(usize::try_from(x % 32).unwrap_or(0)).copied().unwrap_or(b'0');
        x /= 32;
    }
    out.into_iter().map(char::from).collect()
}

fn us(x: u64) -> usize {
    usize::try_from(x).unwrap_or(usize::MAX)
}

fn u(x: usize) -> u64 {
    u64::try_from(x).unwrap_or(u64::MAX)
}

fn ns(x: u64) -> i64 {
    i64::try_from(x).unwrap_or(i64::MAX)
}

// ---------------------------------------------------------------------------------------------------------------
// Codes
// ---------------------------------------------------------------------------------------------------------------

/// `body` followed by its GS1 mod-10 check digit.
fn with_check(body: &str) -> String {
    let c = gs1_check_digit(body.as_bytes()).unwrap_or(b'0');
    let mut s = String::with_capacity(body.len() + 1);
    s.push_str(body);
    s.push(char::from(c));
    s
}

/// A GS1 key from (AI, value) pairs the generator built (valid by construction; the tests parse them back).
fn gs1_key(pairs: &[(&str, &str)]) -> Option<TraceKey> {
    let mut g = Gs1::with_capacity(pairs.len(), 48);
    for (ai, value) in pairs {
        g.push_unchecked(gs1::lookup(ai)?, value, 0);
    }
    TraceKey::from_gs1(&g).ok()
}

/// A national key from normalised text the generator built.
fn national_key(scheme: Scheme, text: String) -> Option<TraceKey> {
    TraceKey::from_national(&NationalCode { scheme, text, fields: Vec::new(), check: CheckStatus::None }).ok()
}

/// A key that cannot come from the generator's codes, returned only if building a key failed (the tests assert
/// it never does).
fn placeholder_key() -> TraceKey {
    TraceKey::from_gid(Gid { manager: 0, class: 0, serial: 0 })
}

fn id(key: Option<TraceKey>) -> Id {
    Id::Key(key.unwrap_or_else(placeholder_key))
}

/// An SSCC: extension digit, 7-digit company prefix, 9-digit serial reference, check digit.
fn sscc(gcp: &str, extension: u8, serial_ref: u64) -> Option<TraceKey> {
    let mut body = String::with_capacity(17);
    let _ = write!(body, "{}{gcp}{:09}", extension % 10, serial_ref % 1_000_000_000);
    gs1_key(&[("00", &with_check(&body))])
}

/// GB 11714 organisation code check character over 8 characters (weights 3 7 9 10 5 8 4 2, MOD 11).
fn org_code_check(body: &[u8]) -> char {
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.iter().zip(W).map(|(&b, w)| u32::from(b.wrapping_sub(b'0')) * w).sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        c => char::from_digit(c, 10).unwrap_or('0'),
    }
}

/// A unified social credit code: authority 9 (market regulation), `entity` (1 enterprise, 3 farmers'
/// cooperative), area, organisation code with its GB 11714 check, GB 32100 MOD 31 check.
fn uscc(entity: char, area: &str, org: u64) -> String {
    let mut s = String::with_capacity(18);
    let _ = write!(s, "9{entity}{area}{:08}", org % 100_000_000);
    let c = org_code_check(s.as_bytes().get(8..16).unwrap_or_default());
    s.push(c);
    let check = mod31_check_char(s.as_bytes()).unwrap_or(b'0');
    s.push(char::from(check));
    s
}

/// (year, month, day) of an instant in China Standard Time.
fn ymd(t: i64) -> (i64, u32, u32) {
    crate::civil::civil_from_days(t.saturating_add(i64::from(CST.0) * MIN).div_euclid(DAY))
}

/// [`ymd`] clamped to the years national codes accept (1900–2099).
fn code_ymd(t: i64) -> (i64, u32, u32) {
    match ymd(t) {
        (y, ..) if y > 2099 => (2099, 12, 31),
        (y, ..) if y < 1900 => (1900, 1, 1),
        d => d,
    }
}

fn yymmdd(t: i64) -> String {
    let (y, m, d) = code_ymd(t);
    format!("{:02}{m:02}{d:02}", y.rem_euclid(100))
}

fn iso_date(t: i64) -> String {
    let (y, m, d) = code_ymd(t);
    format!("{y:04}-{m:02}-{d:02}")
}

// ---------------------------------------------------------------------------------------------------------------
// The province: firms, sites and products
// ---------------------------------------------------------------------------------------------------------------

/// A non-empty list with infallible modular access.
#[derive(Clone, Debug)]
struct Pool<T> {
    head: T,
    tail: Vec<T>,
}

impl<T> Pool<T> {
    fn build(n: usize, mut f: impl FnMut(usize) -> T) -> Self {
        let head = f(0);
        let tail = (1..n).map(f).collect();
        Self { head, tail }
    }

    fn len(&self) -> u64 {
        u(self.tail.len()).saturating_add(1)
    }

    /// Element `k mod len`.
    fn get(&self, k: u64) -> &T {
        match k % self.len() {
            0 => &self.head,
            i => self.tail.get(us(i - 1)).unwrap_or(&self.head),
        }
    }
}

/// One firm at one site.
#[derive(Clone, Debug)]
struct Site {
    party: Id,
    location: Id,
    /// Read points: `414` GLN + `254` extension.
    points: Pool<Id>,
    /// Location GLN (13 digits), for business-transaction identifiers.
    gln: Box<str>,
    /// GS1 company prefix (7 digits).
    gcp: Box<str>,
    operators: Pool<Box<str>>,
    devices: Pool<Box<str>>,
}

#[derive(Clone, Copy)]
enum PartyKind {
    /// Unified social credit code with this entity type.
    Uscc(char),
    /// A `417` party GLN (retail chains, logistics providers).
    Gln,
}

/// Builds sites with distinct company prefixes.
struct SiteMaker {
    key: u64,
    next_firm: u64,
}

impl SiteMaker {
    fn site(&mut self, role: &str, party: PartyKind, exts: &[&str]) -> Site {
        let firm = self.next_firm;
        self.next_firm += 1;
        // 69x: China's GS1 prefixes. 37 is coprime to 10^5, so the first 100 000 firms get distinct prefixes.
        let gcp = format!("69{:05}", (self.key % 100_000 + firm * 37) % 100_000);
        let gln = with_check(&format!("{gcp}00001"));
        let party = match party {
            PartyKind::Gln => id(gs1_key(&[("417", &with_check(&format!("{gcp}00000")))])),
            PartyKind::Uscc(entity) => {
                let area = AREAS.get(us(firm % u(AREAS.len()))).copied().unwrap_or("350102");
                let org = mix64(self.key ^ firm.wrapping_mul(GOLDEN));
                id(national_key(Scheme::CreditCode, uscc(entity, area, org)))
            }
        };
        let points = Pool::build(exts.len(), |k| {
            let ext = exts.get(k).copied().unwrap_or("1");
            id(gs1_key(&[("414", &gln), ("254", ext)]))
        });
        let operators = Pool::build(3, |k| format!("{role}{firm:03}-op{}", k + 1).into_boxed_str());
        let devices = Pool::build(2, |k| format!("{role}{firm:03}-dev{}", k + 1).into_boxed_str());
        Site {
            party,
            location: id(gs1_key(&[("414", &gln)])),
            points,
            gln: gln.into_boxed_str(),
            gcp: gcp.into_boxed_str(),
            operators,
            devices,
        }
    }

    fn sites(&mut self, n: usize, role: &str, party: PartyKind, exts: &[&str]) -> Pool<Site> {
        Pool::build(n, |_| self.site(role, party, exts))
    }
}

#[derive(Clone, Debug)]
struct Farm {
    site: Site,
    /// GTIN-14 of the farm's produce.
    produce: Box<str>,
}

#[derive(Clone, Debug)]
struct FoodProduct {
    gtin: Box<str>,
    gcp: Box<str>,
    /// Indicator digit + item reference, as in an SGTIN EPC URI.
    item_ref: Box<str>,
    processor: u64,
    shelf_days: i64,
}

#[derive(Clone, Debug)]
struct DrugProduct {
    item7: Box<str>,
    case7: Box<str>,
    maker: u64,
}

#[derive(Clone, Debug)]
enum AgriKind {
    /// Registration class + registration number (6) + production type + specification (3): 11 digits.
    Pesticide(Box<str>),
    /// Enterprise id (5 digits).
    VetDrug(Box<str>),
    /// A GS1 trade item (seed or fertiliser): GTIN-14.
    Gtin(Box<str>),
}

#[derive(Clone, Debug)]
struct AgriProduct {
    kind: AgriKind,
    maker: u64,
}

#[derive(Clone, Debug)]
struct Station {
    site: Site,
    /// Cylinder variety: `1` seamless, `5` vehicle, `6` cryogenic (LPG `3` and others read as Ecodes first).
    variety: char,
    /// Filling unit: 3 digits, or `O` + city for vehicle cylinders.
    unit: Box<str>,
}

#[derive(Clone, Debug)]
struct ExplosiveMaker {
    site: Site,
    /// GA 441 manufacturer code, 11–89 (90–99 are left for counterfeit probes).
    code: u64,
}

/// The province: every firm, site and product the runs draw from.
#[derive(Clone, Debug)]
struct Directory {
    farms: Pool<Farm>,
    processors: Pool<Site>,
    dcs: Pool<Site>,
    stores: Pool<Site>,
    drug_makers: Pool<Site>,
    distributors: Pool<Site>,
    pharmacies: Pool<Site>,
    agri_makers: Pool<Site>,
    dealers: Pool<Site>,
    stations: Pool<Station>,
    gas_customers: Pool<Site>,
    cylinder_inspectors: Pool<Site>,
    elevator_makers: Pool<Site>,
    maintainers: Pool<Site>,
    buildings: Pool<Site>,
    institutes: Pool<Site>,
    explosive_makers: Pool<ExplosiveMaker>,
    depots: Pool<Site>,
    blast_sites: Pool<Site>,
    food: Pool<FoodProduct>,
    drugs: Pool<DrugProduct>,
    agri: Pool<AgriProduct>,
}

const ENTERPRISE: PartyKind = PartyKind::Uscc('1');

impl Directory {
    fn new(key: u64) -> Self {
        let mut m = SiteMaker { key, next_firm: 0 };
        let farms = Pool::build(24, |_| {
            let site = m.site("farm", PartyKind::Uscc('3'), &["FIELD1", "FIELD2", "PACKHOUSE"]);
            let produce = with_check(&format!("0{}00100", site.gcp)).into_boxed_str();
            Farm { site, produce }
        });
        let processors = m.sites(6, "plant", ENTERPRISE, &["DOCK1", "LINE1", "QA1", "PACK1"]);
        let dcs = m.sites(3, "dc", PartyKind::Gln, &["DOCK1", "DOCK2", "STOCK"]);
        let stores = m.sites(24, "store", PartyKind::Gln, &["BACKROOM", "POS1", "POS2"]);
        let drug_makers = m.sites(4, "pharma", ENTERPRISE, &["LINE1", "QA1", "PACK1", "DOCK1"]);
        let distributors = m.sites(3, "distrib", ENTERPRISE, &["DOCK1", "STOCK"]);
        let pharmacies = m.sites(20, "pharmacy", ENTERPRISE, &["RECEIVING", "COUNTER"]);
        let agri_makers = m.sites(4, "agrimaker", ENTERPRISE, &["LINE1", "QA1", "DOCK1"]);
        let dealers = m.sites(12, "dealer", ENTERPRISE, &["RECEIVING", "COUNTER"]);
        let varieties: [(char, &str); 5] = [('1', "101"), ('5', "O01"), ('6', "205"), ('1', "318"), ('5', "O02")];
        let stations = Pool::build(varieties.len(), |k| {
            let (variety, unit) = varieties.get(k).copied().unwrap_or(('1', "101"));
            Station { site: m.site("station", ENTERPRISE, &["CHECK", "FILL", "YARD"]), variety, unit: unit.into() }
        });
        let gas_customers = m.sites(40, "gasuser", ENTERPRISE, &["YARD"]);
        let cylinder_inspectors = m.sites(2, "cylinspect", ENTERPRISE, &["BENCH1"]);
        let elevator_makers = m.sites(3, "liftmaker", ENTERPRISE, &["LINE1", "DOCK1"]);
        let maintainers = m.sites(4, "liftservice", ENTERPRISE, &["OFFICE"]);
        let buildings = m.sites(60, "building", ENTERPRISE, &["SHAFT", "LOBBY"]);
        let institutes = m.sites(2, "sei", ENTERPRISE, &["LAB"]);
        let explosive_makers = Pool::build(3, |k| ExplosiveMaker {
            site: m.site("blastmaker", ENTERPRISE, &["LINE1", "PACK1", "MAGAZINE"]),
            code: 11 + (key % 79 + u(k) * 17) % 79,
        });
        let depots = m.sites(3, "depot", ENTERPRISE, &["GATE", "MAGAZINE"]);
        let blast_sites = m.sites(8, "quarry", ENTERPRISE, &["STORE", "FACE"]);

        let food = Pool::build(12, |k| {
            let processor = u(k / 2);
            let gcp = processors.get(processor).gcp.clone();
            let item_ref = format!("0{:05}", 10 + k * 7);
            let gtin = with_check(&format!("0{gcp}{}", item_ref.get(1..).unwrap_or_default()));
            let shelf_days = [7, 14, 30, 90, 180, 365].get(k % 6).copied().unwrap_or(30);
            FoodProduct { gtin: gtin.into(), gcp, item_ref: item_ref.into(), processor, shelf_days }
        });
        let code7 = |k: u64| format!("8{:06}", (key % 1_000_000 + k * 7919) % 1_000_000).into_boxed_str();
        let drugs =
            Pool::build(8, |k| DrugProduct { item7: code7(u(2 * k)), case7: code7(u(2 * k + 1)), maker: u(k / 2) });
        // Makers: 0 pesticides (two registered products), 1 veterinary drugs, 2 seeds, 3 fertilisers.
        let agri = Pool::build(5, |k| {
            let reg = (key >> 20) % 1_000_000;
            let maker = u(k.saturating_sub(1));
            let kind = match k {
                0 => AgriKind::Pesticide(format!("1{reg:06}1001").into()),
                1 => AgriKind::Pesticide(format!("2{:06}2015", (reg + 4_321) % 1_000_000).into()),
                2 => AgriKind::VetDrug(format!("{:05}", (key >> 40) % 100_000).into()),
                _ => {
                    let gcp = &agri_makers.get(maker).gcp;
                    AgriKind::Gtin(with_check(&format!("0{gcp}{:05}", 200 + k)).into())
                }
            };
            AgriProduct { kind, maker }
        });
        Self {
            farms,
            processors,
            dcs,
            stores,
            drug_makers,
            distributors,
            pharmacies,
            agri_makers,
            dealers,
            stations,
            gas_customers,
            cylinder_inspectors,
            elevator_makers,
            maintainers,
            buildings,
            institutes,
            explosive_makers,
            depots,
            blast_sites,
            food,
            drugs,
            agri,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The item index space
// ---------------------------------------------------------------------------------------------------------------

/// One position of the run cycle.
#[derive(Clone, Copy, Debug)]
struct Slot {
    cat: Category,
    size: u32,
    /// First item of the slot within a cycle.
    start: u64,
    /// Items of the same category in earlier slots of the cycle.
    base: u64,
    /// Items of the slot's category per cycle.
    per_cycle: u64,
}

const FALLBACK_SLOT: Slot = Slot { cat: Category::Food, size: 240, start: 0, base: 0, per_cycle: 960 };

/// Where item `i` is.
#[derive(Clone, Copy, Debug)]
struct Loc {
    run: u64,
    cat: Category,
    /// Position within the run.
    offset: u64,
    /// Index of the item among the items of its category (codes are derived from it, so they are unique).
    ordinal: u64,
}

/// One production run.
#[derive(Clone, Copy, Debug)]
struct RunInfo {
    run: u64,
    cat: Category,
    /// Items in the run (the last run of a data set may be short).
    len: u64,
    /// Ordinal of the run's first item within its category.
    ord0: u64,
    /// Start of the run.
    t0: i64,
}

/// The deterministic workload generator. See the [module docs](self).
#[derive(Clone, Debug)]
pub struct Synth {
    cfg: SynthConfig,
    key: u64,
    dir: Directory,
    slots: [Slot; 15],
    cycle_items: u64,
}

impl Synth {
    /// A generator for `cfg`. Cheap: only the province's few hundred firms are built up front.
    pub fn new(cfg: SynthConfig) -> Self {
        let key = mix64(cfg.seed ^ 0x7472_6163_6563_6F64);
        let slots: [Slot; 15] = std::array::from_fn(|e| {
            let (cat, size) = CYCLE.get(e).copied().unwrap_or((Category::Food, 240));
            let before = || CYCLE.iter().take(e);
            Slot {
                cat,
                size,
                start: before().map(|&(_, s)| u64::from(s)).sum(),
                base: before().filter(|(c, _)| *c == cat).map(|&(_, s)| u64::from(s)).sum(),
                per_cycle: CYCLE.iter().filter(|(c, _)| *c == cat).map(|&(_, s)| u64::from(s)).sum(),
            }
        });
        let cycle_items = CYCLE.iter().map(|&(_, s)| u64::from(s)).sum();
        Self { cfg, key, dir: Directory::new(key), slots, cycle_items }
    }

    /// The configuration.
    pub const fn config(&self) -> &SynthConfig {
        &self.cfg
    }

    /// Number of items (as configured).
    pub const fn item_count(&self) -> u64 {
        self.cfg.items
    }

    /// A pseudo-random choice derived from (seed, `a`, `b`): the same every time it is asked.
    const fn pick(&self, a: u64, b: u64) -> u64 {
        mix64(self.key ^ mix64(a.wrapping_mul(GOLDEN) ^ b))
    }

    fn slot(&self, e: u64) -> Slot {
        self.slots.get(us(e)).copied().unwrap_or(FALLBACK_SLOT)
    }

    fn locate(&self, i: u64) -> Loc {
        let cycle = i / self.cycle_items;
        let off = i % self.cycle_items;
        let (e, slot) = self
            .slots
            .iter()
            .enumerate()
            .find(|(_, s)| off < s.start + u64::from(s.size))
            .map_or((0, FALLBACK_SLOT), |(e, s)| (u(e), *s));
        let offset = off.saturating_sub(slot.start);
        Loc {
            run: cycle.saturating_mul(CYCLE_RUNS).saturating_add(e),
            cat: slot.cat,
            offset,
            ordinal: cycle.saturating_mul(slot.per_cycle).saturating_add(slot.base).saturating_add(offset),
        }
    }

    fn run_info(&self, run: u64) -> RunInfo {
        let cycle = run / CYCLE_RUNS;
        let slot = self.slot(run % CYCLE_RUNS);
        let first = cycle.saturating_mul(self.cycle_items).saturating_add(slot.start);
        let len = self.cfg.items.saturating_sub(first).min(u64::from(slot.size));
        RunInfo {
            run,
            cat: slot.cat,
            len: if first >= self.cfg.items { u64::from(slot.size) } else { len },
            ord0: cycle.saturating_mul(slot.per_cycle).saturating_add(slot.base),
            t0: self.run_start(run),
        }
    }

    /// Start of a run, kept within ±2^62 ns (years 1824–2116) so that offsets inside a run (at most a few years)
    /// can never overflow, whatever the configuration.
    fn run_start(&self, run: u64) -> i64 {
        const LIMIT: i64 = 1 << 62;
        self.cfg.start.0.saturating_add(ns(run).saturating_mul(RUN_SPACING)).clamp(-LIMIT, LIMIT)
    }

    fn run_count(&self) -> u64 {
        if self.cfg.items == 0 {
            return 0;
        }
        self.locate(self.cfg.items - 1).run.saturating_add(1)
    }

    /// The category of item `i` (the run pattern continues past [`Self::item_count`]).
    ///
    /// ```
    /// use tracecode::synth::{Category, Synth, SynthConfig};
    /// let synth = Synth::new(SynthConfig::default());
    /// assert_eq!(synth.category_of(0), Category::Food);
    /// ```
    pub fn category_of(&self, i: u64) -> Category {
        self.locate(i).cat
    }

    /// The key of item `i`, `None` past [`Self::item_count`]. O(1): no event is generated.
    ///
    /// ```
    /// use tracecode::synth::{Synth, SynthConfig};
    /// let synth = Synth::new(SynthConfig::default());
    /// assert!(synth.item_key(9_999).is_some());
    /// assert!(synth.item_key(10_000).is_none());
    /// ```
    pub fn item_key(&self, i: u64) -> Option<TraceKey> {
        (i < self.cfg.items).then(|| self.key_at(self.locate(i))).flatten()
    }

    fn key_at(&self, loc: Loc) -> Option<TraceKey> {
        match loc.cat {
            Category::Food => {
                let p = self.food_product(loc.run);
                gs1_key(&[("01", &p.gtin), ("21", &self.food_serial(loc.ordinal))])
            }
            Category::Drug => national_key(Scheme::CnDrug20, self.drug_code(loc.run, loc.ordinal, false)),
            Category::AgriInput => self.agri_key(loc.run, loc.ordinal, false),
            Category::GasCylinder => national_key(Scheme::GasCylinder, self.gas_code(loc.run, loc.ordinal)),
            Category::Elevator => {
                national_key(Scheme::EquipmentRegistration, self.elevator_code(loc.run, loc.ordinal, false))
            }
            Category::Explosive => national_key(Scheme::Detonator, self.detonator_code(loc.run, loc.ordinal, false)),
        }
    }

    // --- per-category codes (all derived from the run and the item's ordinal in its category) ---------------

    fn food_product(&self, run: u64) -> &FoodProduct {
        self.dir.food.get(self.pick(run, salt::PRODUCT))
    }

    /// 10 base-32 characters from a bijection of 50-bit numbers: items use the lower half of the domain,
    /// counterfeit probes the upper half, so they can never coincide.
    fn food_serial(&self, ordinal: u64) -> String {
        b32(perm_bits(ordinal, self.key ^ salt::FOOD_SERIAL, 50), 10)
    }

    /// Product lot `k` (0 or 1) of a food run.
    fn food_lot(&self, run: u64, k: u64) -> String {
        format!("{}{}{:05}", yymmdd(self.run_start(run)), k + 1, run % 100_000)
    }

    fn food_expiry(&self, run: u64) -> i64 {
        self.run_start(run).saturating_add(self.food_product(run).shelf_days * DAY)
    }

    fn drug_product(&self, run: u64) -> &DrugProduct {
        self.dir.drugs.get(self.pick(run, salt::PRODUCT))
    }

    /// Product (7) + serial (9) + 4 check digits. The platform's check algorithm is not public: these come from a
    /// keyed hash, like [`crate::code::issue::KeyedCheck4`] but cheaper. Items use serial permutation inputs
    /// below 5·10^8, probes above.
    fn drug_code(&self, run: u64, ordinal: u64, probe: bool) -> String {
        let p = self.drug_product(run);
        let x = if probe { 500_000_000 + ordinal % 500_000_000 } else { ordinal };
        self.drug20(&p.item7, perm_dec(x, self.key ^ salt::DRUG, 9))
    }

    fn drug20(&self, product7: &str, serial9: u64) -> String {
        let mut s = String::with_capacity(20);
        let _ = write!(s, "{product7}{serial9:09}");
        let h = s.bytes().fold(self.key ^ salt::CHECK4, |acc, b| mix64(acc ^ u64::from(b)));
        let _ = write!(s, "{:04}", h % 10_000);
        s
    }

    fn agri_product(&self, run: u64) -> &AgriProduct {
        self.dir.agri.get(self.pick(run, salt::PRODUCT))
    }

    fn agri_key(&self, run: u64, ordinal: u64, probe: bool) -> Option<TraceKey> {
        match &self.agri_product(run).kind {
            AgriKind::Pesticide(head) => national_key(Scheme::Pesticide, self.pesticide_code(head, ordinal, probe)),
            AgriKind::VetDrug(ent) => national_key(Scheme::VetDrug, self.vet_code(run, ent, ordinal, probe)),
            AgriKind::Gtin(gtin) => gs1_key(&[("01", gtin), ("21", &self.agri_serial(ordinal, probe))]),
        }
    }

    /// Head (11 digits) + a lead digit (0–4 for items, 5–9 for probes) + 20 digits of a bijection of `u64`
    /// (unique per ordinal).
    fn pesticide_code(&self, head: &str, ordinal: u64, probe: bool) -> String {
        let tail = mix64(ordinal ^ self.key ^ salt::PEST);
        let lead = tail % 5 + if probe { 5 } else { 0 };
        format!("{head}{lead}{tail:020}")
    }

    /// Application date (8) + enterprise (5) + 11 random digits (items below 5·10^10 in the permutation, probes
    /// above).
    fn vet_code(&self, run: u64, enterprise: &str, ordinal: u64, probe: bool) -> String {
        let (y, m, d) = code_ymd(self.run_start(run));
        let x = if probe { 50_000_000_000 + ordinal % 50_000_000_000 } else { ordinal };
        format!("{y:04}{m:02}{d:02}{enterprise}{:011}", perm_dec(x, self.key ^ salt::VET, 11))
    }

    fn agri_serial(&self, ordinal: u64, probe: bool) -> String {
        let x = if probe { (1 << 49) | ordinal } else { ordinal & ((1 << 49) - 1) };
        b32(perm_bits(x, self.key ^ salt::AGRI_SERIAL, 50), 10)
    }

    fn station(&self, run: u64) -> &Station {
        self.dir.stations.get(self.pick(run, salt::HUB))
    }

    /// Variety + province 35 + unit + sequence. The sequence always starts with a letter (`A00000`… as the
    /// layout allows): an all-digit code of this length reads first as a GTIN-12 or an Ecode.
    fn gas_code(&self, run: u64, ordinal: u64) -> String {
        let st = self.station(run);
        Self::gas_text(st.variety, &st.unit, ordinal)
    }

    fn gas_text(variety: char, unit: &str, ordinal: u64) -> String {
        let letter = b'A'.saturating_add(u8::try_from(ordinal / 100_000 % 26).unwrap_or(0));
        format!("{variety}35{unit}{}{:05}", char::from(letter), ordinal % 100_000)
    }

    /// Classification + area + registration YYYYMM + sequence 0001–8999 (9000–9999 are left for probes).
    fn elevator_code(&self, run: u64, ordinal: u64, probe: bool) -> String {
        let classes = ["3110", "3120", "3310", "3320"];
        let class = classes.get(us(self.pick(run, salt::CLASS) % 4)).copied().unwrap_or("3110");
        let areas = u(AREAS.len());
        let area = AREAS.get(us(ordinal % areas)).copied().unwrap_or("350102");
        let q = ordinal / areas;
        let (y, m, _) = code_ymd(self.cfg.start.0);
        let months = (y * 12 + i64::from(m) - 1).saturating_add(ns(q / 8_999 % 1_000));
        let (ry, rm) = (months.div_euclid(12).min(2099), months.rem_euclid(12) + 1);
        let seq = if probe { 9_000 + q % 1_000 } else { 1 + q % 8_999 };
        format!("{class}{area}{ry:04}{rm:02}{seq:04}")
    }

    fn explosive_maker(&self, run: u64) -> &ExplosiveMaker {
        self.dir.explosive_makers.get(self.pick(run, salt::HUB))
    }

    /// Manufacturer + year digit + month + day + feature letter + sequence. Within one maker and day the
    /// (feature, sequence) pair comes from the ordinal, unique for 1.8 million detonators a day.
    fn detonator_code(&self, run: u64, ordinal: u64, probe: bool) -> String {
        let maker = if probe { 90 + ordinal % 10 } else { self.explosive_maker(run).code };
        let (y, m, d) = code_ymd(self.run_start(run));
        let feature = FEATURE_LETTERS.get(us(ordinal / 100_000 % 18)).copied().unwrap_or(b'A');
        format!("{maker:02}{}{m:02}{d:02}{}{:05}", y.rem_euclid(10), char::from(feature), ordinal % 100_000)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Scans, probes and samples
// ---------------------------------------------------------------------------------------------------------------

/// Largest batch [`Synth::batches`] yields (memory bound).
const MAX_BATCH: usize = 1 << 20;

/// Trace QR codes of Chinese platforms often wrap the code in a URL (codes.md §7); the host is fictitious.
const TRACE_URL: &str = "https://trace.example.cn/q?code=";

impl Synth {
    /// A realistic scanner string for item `i`, as a scanner or camera app delivers it: a GS1 DataMatrix with
    /// its AIM identifier, expiry, lot and GS separator (most food items), a GS1 Digital Link or an EPC URI (some
    /// food items), bracketed GS1 text as a person types it, GS1-128 for seed and fertiliser, bare 20-digit drug
    /// codes (some grouped as printed, some inside a trace URL), and the national codes as printed.
    /// [`crate::code::parse`] reads it to exactly [`Self::item_key`]`(i)`.
    ///
    /// ```
    /// use tracecode::synth::{Synth, SynthConfig};
    /// let synth = Synth::new(SynthConfig::default());
    /// for i in [0, 250, 300, 700, 1_000, 2_000] {
    ///     let key = tracecode::code::parse(synth.scan_of(i))?.trace_key()?;
    ///     assert_eq!(Some(key), synth.item_key(i));
    /// }
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn scan_of(&self, i: u64) -> String {
        self.scan_variant(i, self.pick(i, salt::SCAN) % 10)
    }

    fn scan_variant(&self, i: u64, v: u64) -> String {
        let loc = self.locate(i);
        match loc.cat {
            Category::Food => {
                let info = self.run_info(loc.run);
                let k = u64::from(loc.offset >= info.len.div_ceil(2));
                self.food_scan(loc.run, k, &self.food_serial(loc.ordinal), v)
            }
            Category::Drug => Self::drug_scan(self.drug_code(loc.run, loc.ordinal, false), v),
            Category::AgriInput => match &self.agri_product(loc.run).kind {
                AgriKind::Pesticide(head) => {
                    let code = self.pesticide_code(head, loc.ordinal, false);
                    if v < 5 { format!("{TRACE_URL}{code}") } else { code }
                }
                AgriKind::VetDrug(ent) => self.vet_code(loc.run, ent, loc.ordinal, false),
                AgriKind::Gtin(gtin) => {
                    let serial = self.agri_serial(loc.ordinal, false);
                    if v < 5 { format!("]C101{gtin}21{serial}") } else { format!("(01){gtin}(21){serial}") }
                }
            },
            Category::GasCylinder => self.gas_code(loc.run, loc.ordinal),
            Category::Elevator => self.elevator_code(loc.run, loc.ordinal, false),
            Category::Explosive => self.detonator_code(loc.run, loc.ordinal, false),
        }
    }

    fn food_scan(&self, run: u64, lot_k: u64, serial: &str, v: u64) -> String {
        let p = self.food_product(run);
        let lot = self.food_lot(run, lot_k);
        let exp = yymmdd(self.food_expiry(run));
        let gtin = &p.gtin;
        match v {
            0..=5 => format!("]d201{gtin}17{exp}10{lot}\u{1d}21{serial}"),
            6 | 7 => format!("https://id.gs1.org/01/{gtin}/10/{lot}/21/{serial}?17={exp}"),
            8 => format!("urn:epc:id:sgtin:{}.{}.{serial}", p.gcp, p.item_ref),
            _ => format!("(01){gtin}(17){exp}(10){lot}(21){serial}"),
        }
    }

    fn drug_scan(code: String, v: u64) -> String {
        match v {
            0..=5 => code,
            6 | 7 => {
                // Printed HRI groups the digits in fours.
                let mut s = String::with_capacity(24);
                for (k, c) in code.chars().enumerate() {
                    if k > 0 && k % 4 == 0 {
                        s.push(' ');
                    }
                    s.push(c);
                }
                s
            }
            _ => format!("{TRACE_URL}{code}"),
        }
    }

    /// A well-formed code (valid check digits, valid fields) that the generator never issues, whatever the item
    /// count: a counterfeit probe. Cycles through food (a genuine GTIN with an unissued serial), drug,
    /// pesticide / veterinary drug, gas cylinder, elevator and detonator codes.
    ///
    /// ```
    /// use tracecode::synth::{Synth, SynthConfig};
    /// let synth = Synth::new(SynthConfig::default());
    /// let probe = tracecode::code::parse(synth.unknown_scan(0))?.trace_key()?;
    /// assert!((0..synth.item_count()).all(|i| synth.item_key(i) != Some(probe.clone())));
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn unknown_scan(&self, i: u64) -> String {
        let n = i / 6;
        match i % 6 {
            0 => {
                let p = self.dir.food.get(n);
                let serial = b32(perm_bits((1 << 49) | n, self.key ^ salt::FOOD_SERIAL, 50), 10);
                format!("]d201{}21{serial}", p.gtin)
            }
            1 => {
                let p = self.dir.drugs.get(n);
                self.drug20(&p.item7, perm_dec(500_000_000 + n % 500_000_000, self.key ^ salt::DRUG, 9))
            }
            2 => match &self.dir.agri.get(n % 3).kind {
                AgriKind::Pesticide(head) => self.pesticide_code(head, n, true),
                AgriKind::VetDrug(ent) => self.vet_code(n, ent, n, true),
                AgriKind::Gtin(gtin) => format!("(01){gtin}(21){}", self.agri_serial(n, true)),
            },
            // Filling units 900–999 are never assigned to a station.
            3 => Self::gas_text('1', &format!("{}", 900 + n % 100), n),
            4 => self.elevator_code(n, n, true),
            _ => self.detonator_code(n, n, true),
        }
    }

    /// One realistic scan per category (for the categories the configured item count reaches), then a food
    /// retail item that was sold in a store (its back trace reaches its farm lots; see [`Self::retail_item`]) and
    /// a raw-material farm lot label (for a recall; see [`Self::raw_lot`]).
    ///
    /// ```
    /// use tracecode::synth::{Synth, SynthConfig};
    /// let synth = Synth::new(SynthConfig::default());
    /// for s in synth.samples() {
    ///     tracecode::code::parse(&s.scan)?;
    /// }
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn samples(&self) -> Vec<Sample> {
        let mut out = Vec::with_capacity(8);
        for cat in Category::ALL {
            let Some(slot) = self.slots.iter().find(|s| s.cat == cat) else { continue };
            if slot.start >= self.cfg.items {
                continue;
            }
            let i = slot.start;
            let what = match cat {
                Category::Food => "retail food item: GS1 DataMatrix with expiry and lot",
                Category::Drug => "drug box: China 20-digit drug trace code",
                Category::AgriInput => match self.agri_product(self.locate(i).run).kind {
                    AgriKind::Pesticide(_) => "pesticide label: trace URL wrapping the 32-digit unit code",
                    AgriKind::VetDrug(_) => "veterinary drug: 24-digit trace code",
                    AgriKind::Gtin(_) => "seed or fertiliser bag: GS1-128 GTIN + serial",
                },
                Category::GasCylinder => "gas cylinder: use-registration code",
                Category::Elevator => "elevator: special-equipment registration code",
                Category::Explosive => "industrial detonator: GA 441 shell code",
            };
            out.push(Sample { category: cat, scan: self.scan_variant(i, 0), what });
        }
        if self.cfg.items > 0 {
            let i = self.retail_index();
            out.push(Sample {
                category: Category::Food,
                scan: self.scan_variant(i, 6),
                what: "food item sold in a store: its back trace reaches the farm lots (Digital Link)",
            });
        }
        let (produce, lot) = self.raw_lot_parts();
        out.push(Sample {
            category: Category::Food,
            scan: format!("]C101{produce}10{lot}"),
            what: "raw-material farm lot (GS1-128 crate label): recall it",
        });
        out
    }

    /// A food retail item that was sold in a store, from the first production run: its back trace goes through
    /// its product lot (ILMD) and the processing transformation to two farm harvest lots.
    pub fn retail_item(&self) -> TraceKey {
        self.key_at(self.locate(self.retail_index())).unwrap_or_else(placeholder_key)
    }

    /// The index of [`Self::retail_item`]: the first item of run 0 with a retail sale.
    fn retail_index(&self) -> u64 {
        let info = self.run_info(0);
        let events = RunGen::generate(self, info);
        let sold = events.iter().find(|e| e.biz_step == Some(BizStep::RetailSelling)).and_then(|e| e.epc_list.first());
        (0..info.len)
            .find(|&j| sold.is_some_and(|s| Some(s) == self.key_at(self.locate(j)).map(Id::Key).as_ref()))
            .unwrap_or(0)
    }

    /// A raw-material farm lot (GTIN + lot) of the first production run that went into both of its product lots:
    /// recalling it reaches every item of the run.
    pub fn raw_lot(&self) -> TraceKey {
        let (produce, lot) = self.raw_lot_parts();
        gs1_key(&[("01", &produce), ("10", &lot)]).unwrap_or_else(placeholder_key)
    }

    fn raw_lot_parts(&self) -> (Box<str>, String) {
        let farm = self.dir.farms.get(self.pick(0, salt::FARM).wrapping_add(1));
        (farm.produce.clone(), self.raw_lot_text(0, 1))
    }

    /// Harvest lot `k` (0–2) of a food run.
    fn raw_lot_text(&self, run: u64, k: u64) -> String {
        format!("H{}{}{:05}", yymmdd(self.run_start(run).saturating_sub(2 * DAY)), k + 1, run % 100_000)
    }

    /// All events, in capture order within each production run, in batches of `batch_events` (the last batch may
    /// be shorter; 0 is read as 1, and sizes above 2^20 as 2^20). Memory stays bounded by one production run plus
    /// one batch.
    ///
    /// ```
    /// use tracecode::synth::{Synth, SynthConfig};
    /// let synth = Synth::new(SynthConfig { items: 2_400, ..SynthConfig::default() });
    /// for batch in synth.batches(1_000) {
    ///     assert!(batch.len() <= 1_000);
    ///     assert!(batch.iter().all(|e| e.validate().is_ok()));
    /// }
    /// ```
    pub fn batches(&self, batch_events: usize) -> impl Iterator<Item = Vec<Event>> + '_ {
        let batch = batch_events.clamp(1, MAX_BATCH);
        let runs = self.run_count();
        let mut next_run = 0u64;
        let mut buf = RunBuf::default();
        // Each event is moved once from the run buffer into its batch.
        std::iter::from_fn(move || {
            let mut out = Vec::with_capacity(batch.min(1 << 16));
            while out.len() < batch {
                if buf.is_done() {
                    if next_run >= runs {
                        break;
                    }
                    buf = RunGen::fill(self, self.run_info(next_run), std::mem::take(&mut buf));
                    next_run += 1;
                    continue;
                }
                out.extend(buf.take(batch - out.len()));
            }
            (!out.is_empty()).then_some(out)
        })
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Production runs
// ---------------------------------------------------------------------------------------------------------------

fn qty(class: &Id, amount: Option<u64>, uom: Option<&str>) -> Quantity {
    Quantity {
        class: class.clone(),
        quantity: amount.and_then(|a| Decimal::parse(&a.to_string()).ok()),
        uom: uom.map(Into::into),
    }
}

fn ext(name: &str, value: &str) -> Extension {
    Extension { name: name.into(), value: ExtValue::String(value.into()) }
}

fn sd(kind: SourceDestType, id: &Id) -> SourceDest {
    SourceDest { kind, id: id.clone() }
}

fn other_step(uri: &str) -> BizStep {
    BizStep::Other(uri.into())
}

const KGM: Option<&str> = Some("KGM");

/// A packed container: its key, when it was closed, its contents.
struct Packed {
    id: Id,
    t: i64,
    children: Vec<Id>,
}

/// The events of one production run, built per item and container, then put in capture order.
struct RunGen<'a> {
    s: &'a Synth,
    info: RunInfo,
    rng: Rng,
    events: Vec<Option<Event>>,
    /// (capture time, index in `events`).
    order: Vec<(i64, u32)>,
    /// Hand-over counter, for business-transaction numbers.
    legs: u64,
}

/// A run's events in generation order, and the order to yield them in: reused from run to run, so a long stream
/// allocates its buffers once.
#[derive(Default)]
struct RunBuf {
    events: Vec<Option<Event>>,
    /// (capture time, index in `events`), sorted once the run is complete.
    order: Vec<(i64, u32)>,
    /// How much of `order` has been yielded.
    next: usize,
}

impl RunBuf {
    fn is_done(&self) -> bool {
        self.next >= self.order.len()
    }

    /// The next `n` events in capture order (fewer when the run ends); ties keep generation order.
    fn take(&mut self, n: usize) -> impl Iterator<Item = Event> + '_ {
        let from = self.next.min(self.order.len());
        let to = from.saturating_add(n).min(self.order.len());
        self.next = to;
        let events = &mut self.events;
        self.order
            .get(from..to)
            .unwrap_or_default()
            .iter()
            .filter_map(|&(_, k)| events.get_mut(usize::try_from(k).ok()?).and_then(Option::take))
    }
}

impl<'a> RunGen<'a> {
    /// Generates the run into `buf` (emptied first), ordered for [`RunBuf::take`].
    fn fill(s: &'a Synth, info: RunInfo, buf: RunBuf) -> RunBuf {
        let RunBuf { mut events, mut order, .. } = buf;
        events.clear();
        order.clear();
        let mut g = Self { s, info, rng: Rng::new(s.pick(info.run, salt::RUN_RNG)), events, order, legs: 0 };
        if info.len > 0 {
            match info.cat {
                Category::Food => g.food(),
                Category::Drug => g.drug(),
                Category::AgriInput => g.agri(),
                Category::GasCylinder => g.gas(),
                Category::Elevator => g.elevator(),
                Category::Explosive => g.explosive(),
            }
        }
        g.order.sort_unstable();
        RunBuf { events: g.events, order: g.order, next: 0 }
    }

    /// The run's events in capture order.
    fn generate(s: &'a Synth, info: RunInfo) -> Vec<Event> {
        let mut buf = Self::fill(s, info, RunBuf::default());
        buf.take(usize::MAX).collect()
    }

    /// Records `e`, captured within a second of when it happened (online scanners) — or, for about
    /// 2% of events, hours later.
    fn push(&mut self, e: Event) {
        let delay =
            if self.rng.per_mille(LATE_PER_MILLE) { self.rng.span(2 * HOUR, 48 * HOUR) } else { self.rng.span(0, SEC) };
        let capture = e.event_time.0.saturating_add(delay);
        self.order.push((capture, u32::try_from(self.events.len()).unwrap_or(u32::MAX)));
        self.events.push(Some(e));
    }

    fn item(&self, j: u64) -> Id {
        let info = self.info;
        let loc = Loc { run: info.run, cat: info.cat, offset: j, ordinal: info.ord0.saturating_add(j) };
        id(self.s.key_at(loc))
    }

    /// An event at `at` (read point `point`), the responsibility of `by`.
    #[allow(clippy::too_many_arguments, reason = "the what-where-why-who of one event")]
    fn ev_by(
        &mut self,
        kind: EventType,
        t: i64,
        at: &Site,
        point: u64,
        by: &Site,
        step: BizStep,
        disp: Disposition,
    ) -> Event {
        let mut e = Event::new(kind, Timestamp(t), CST);
        e.biz_step = Some(step);
        e.disposition = Some(disp);
        e.read_point = Some(Place { id: at.points.get(point).clone(), extensions: Vec::new() });
        e.biz_location = Some(Place { id: at.location.clone(), extensions: Vec::new() });
        let op = self.rng.below(by.operators.len());
        let dev = self.rng.below(by.devices.len());
        e.who = Who {
            party: Some(by.party.clone()),
            operator: Some(by.operators.get(op).clone()),
            device: Some(by.devices.get(dev).clone()),
        };
        e
    }

    fn ev(&mut self, kind: EventType, t: i64, at: &Site, point: u64, step: BizStep, disp: Disposition) -> Event {
        self.ev_by(kind, t, at, point, at, step, disp)
    }

    /// An ObjectEvent about `epcs`, pushed.
    #[allow(clippy::too_many_arguments, reason = "the what-where-why-who of one event")]
    fn object(
        &mut self,
        action: Action,
        t: i64,
        at: &Site,
        point: u64,
        by: &Site,
        step: BizStep,
        disp: Disposition,
        epcs: Vec<Id>,
    ) {
        let mut e = self.ev_by(EventType::Object, t, at, point, by, step, disp);
        e.action = Some(action);
        e.epc_list = epcs;
        self.push(e);
    }

    /// An OBSERVE ObjectEvent about one thing, at and by `site`.
    fn observe(&mut self, t: i64, site: &Site, point: u64, step: BizStep, disp: Disposition, what: &Id) {
        self.object(Action::Observe, t, site, point, site, step, disp, vec![what.clone()]);
    }

    fn aggregation(&mut self, action: Action, t: i64, site: &Site, point: u64, parent: &Id, children: Vec<Id>) {
        let (step, disp) = match action {
            Action::Delete => (BizStep::Unpacking, Disposition::SellableAccessible),
            _ => (BizStep::Packing, Disposition::InProgress),
        };
        let mut e = self.ev(EventType::Aggregation, t, site, point, step, disp);
        e.action = Some(action);
        e.parent_id = Some(parent.clone());
        e.child_epcs = children;
        self.push(e);
    }

    /// Packs `things` (ready at their times) into containers of `per` things, keyed by `key(container index)`.
    fn pack(
        &mut self,
        things: impl IntoIterator<Item = (Id, i64)>,
        per: usize,
        key: impl Fn(u64) -> Option<TraceKey>,
        site: &Site,
        point: u64,
    ) -> Vec<Packed> {
        let things: Vec<(Id, i64)> = things.into_iter().collect();
        let mut out = Vec::with_capacity(things.len().div_ceil(per.max(1)));
        for (c, chunk) in things.chunks(per.max(1)).enumerate() {
            let parent = id(key(u(c)));
            let t = chunk.iter().map(|x| x.1).max().unwrap_or(self.info.t0).saturating_add(60 * SEC);
            let children: Vec<Id> = chunk.iter().map(|x| x.0.clone()).collect();
            self.aggregation(Action::Add, t, site, point, &parent, children.clone());
            out.push(Packed { id: parent, t, children });
        }
        out
    }

    /// Unpacks a container `after` (a range) from `t` (a DELETE naming only the parent `parent_only` per mille
    /// of the time). Returns when.
    fn unpack(&mut self, c: &Packed, t: i64, after: (i64, i64), site: &Site, point: u64, parent_only: u64) -> i64 {
        let t = t.saturating_add(self.rng.span(after.0, after.1));
        let children = if self.rng.per_mille(parent_only) { Vec::new() } else { c.children.clone() };
        self.aggregation(Action::Delete, t, site, point, &c.id, children);
        t
    }

    fn transactions(&mut self, from: &Site, to: &Site, shipping: bool) -> Vec<BizTransaction> {
        let leg = self.info.run.saturating_mul(1_000).saturating_add(self.legs);
        let bt = |kind: BizTransactionType, gln: &str, what: &str| BizTransaction {
            kind: Some(kind),
            value: Id::Uri(format!("urn:epcglobal:cbv:bt:{gln}:{what}-{leg}").into()),
        };
        let mut out = Vec::new();
        let (desadv, po) = if shipping { (800, 400) } else { (300, 600) };
        if self.rng.per_mille(desadv) {
            out.push(bt(BizTransactionType::Desadv, &from.gln, "DESADV"));
        }
        if self.rng.per_mille(po) {
            out.push(bt(BizTransactionType::Po, &to.gln, "PO"));
        }
        out
    }

    /// Shipping from `from` at `t`, receiving at `to` after `transit`: two events with sources, destinations and
    /// business transactions. Returns the receiving time.
    #[allow(clippy::too_many_arguments, reason = "a hand-over has many parts")]
    fn hand_over(
        &mut self,
        epcs: &[Id],
        quantities: &[Quantity],
        from: &Site,
        to: &Site,
        t: i64,
        transit: (i64, i64),
        arrived: Disposition,
    ) -> i64 {
        let sources = vec![
            sd(SourceDestType::OwningParty, &from.party),
            sd(SourceDestType::PossessingParty, &from.party),
            sd(SourceDestType::Location, &from.location),
        ];
        let destinations = vec![
            sd(SourceDestType::OwningParty, &to.party),
            sd(SourceDestType::PossessingParty, &to.party),
            sd(SourceDestType::Location, &to.location),
        ];
        let mut e = self.ev(EventType::Object, t, from, 0, BizStep::Shipping, Disposition::InTransit);
        e.action = Some(Action::Observe);
        e.epc_list = epcs.to_vec();
        e.quantity_list = quantities.to_vec();
        e.biz_transactions = self.transactions(from, to, true);
        e.sources.clone_from(&sources);
        e.destinations.clone_from(&destinations);
        self.push(e);
        let tr = t.saturating_add(self.rng.span(transit.0, transit.1));
        let mut e = self.ev(EventType::Object, tr, to, 0, BizStep::Receiving, arrived);
        e.action = Some(Action::Observe);
        e.epc_list = epcs.to_vec();
        e.quantity_list = quantities.to_vec();
        e.biz_transactions = self.transactions(from, to, false);
        e.sources = sources;
        e.destinations = destinations;
        self.push(e);
        self.legs += 1;
        tr
    }

    /// Commissioning of item `j` at `t` (with ILMD when given) and its line check `check_after` later. Returns
    /// the check time, or `None` when the check rejected the item (`reject` per mille), which is then destroyed.
    #[allow(clippy::too_many_arguments, reason = "commissioning and line check of one item")]
    fn commission(
        &mut self,
        item: &Id,
        t: i64,
        site: &Site,
        point: u64,
        ilmd: Vec<Extension>,
        check_after: Option<i64>,
        reject: u64,
    ) -> Option<i64> {
        let mut e = self.ev(EventType::Object, t, site, point, BizStep::Commissioning, Disposition::Active);
        e.action = Some(Action::Add);
        e.epc_list = vec![item.clone()];
        e.ilmd = ilmd;
        self.push(e);
        let Some(after) = check_after else { return Some(t) };
        let tc = t.saturating_add(after);
        if self.rng.per_mille(reject) {
            self.observe(tc, site, point + 1, BizStep::Inspecting, Disposition::NonConformant, item);
            self.observe(tc + HOUR, site, point + 1, BizStep::Destroying, Disposition::Destroyed, item);
            return None;
        }
        self.observe(tc, site, point + 1, BizStep::Inspecting, Disposition::Conformant, item);
        Some(tc)
    }

    // --- food: farm to table -------------------------------------------------------------------------------------

    /// Harvest, residue test and delivery of raw lot `k` from a farm to the processing plant.
    fn harvest(&mut self, farm_k: u64, k: u64, plant: &Site) -> (Id, u64) {
        let s = self.s;
        let farm = s.dir.farms.get(farm_k);
        let raw = id(gs1_key(&[("01", &farm.produce), ("10", &s.raw_lot_text(self.info.run, k))]));
        let kg = 800 + self.rng.below(2_200);
        let th = self.info.t0.saturating_sub(2 * DAY).saturating_add(self.rng.span(0, 6 * HOUR));
        let mut e = self.ev(EventType::Object, th, &farm.site, k % 2, BizStep::Commissioning, Disposition::Active);
        e.action = Some(Action::Add);
        e.quantity_list = vec![qty(&raw, Some(kg), KGM)];
        self.push(e);
        let mut e =
            self.ev(EventType::Object, th + 2 * HOUR, &farm.site, 2, BizStep::Inspecting, Disposition::Conformant);
        e.action = Some(Action::Observe);
        e.quantity_list = vec![qty(&raw, None, None)];
        self.push(e);
        let q = [qty(&raw, Some(kg), KGM)];
        self.hand_over(&[], &q, &farm.site, plant, th + 4 * HOUR, (3 * HOUR, 6 * HOUR), Disposition::InProgress);
        (raw, kg)
    }

    /// A deterministic UUID-shaped transformation id.
    fn uuid(&mut self) -> Box<str> {
        let (a, b) = (self.rng.next_u64(), self.rng.next_u64());
        format!(
            "urn:uuid:{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0xFFF,
            0x8000 | ((b >> 48) & 0x3FFF),
            b & 0xFFFF_FFFF_FFFF
        )
        .into()
    }

    fn food(&mut self) {
        let (s, info) = (self.s, self.info);
        let run = info.run;
        let product = s.food_product(run);
        let plant = s.dir.processors.get(product.processor);
        let (n, n1) = (info.len, info.len.div_ceil(2));
        let lots = [s.food_lot(run, 0), s.food_lot(run, 1)];
        let [p1, p2] = lots.each_ref().map(|l| id(gs1_key(&[("01", &product.gtin), ("10", l)])));
        let first_farm = s.pick(run, salt::FARM);
        let [(a, akg), (b, bkg), (c, ckg)]: [(Id, u64); 3] =
            std::array::from_fn(|k| self.harvest(first_farm.wrapping_add(u(k)), u(k), plant));

        // Processing: product lot 1 from raw lots A and B; lot 2 from the rest of B and C, sometimes recorded as
        // two events joined by a transformationID (inputs first, outputs when the lot is closed).
        let t_tf = info.t0 + HOUR;
        let mut e =
            self.ev(EventType::Transformation, t_tf, plant, 1, BizStep::CreatingClassInstance, Disposition::Active);
        e.input_quantity_list = vec![qty(&a, Some(akg), KGM), qty(&b, Some(bkg / 2), KGM)];
        e.output_quantity_list = vec![qty(&p1, Some(n1), None)];
        self.push(e);
        if n > n1 {
            let ins = vec![qty(&b, Some(bkg - bkg / 2), KGM), qty(&c, Some(ckg), KGM)];
            let outs = vec![qty(&p2, Some(n - n1), None)];
            let step = || BizStep::CreatingClassInstance;
            if self.rng.per_mille(500) {
                let tid = self.uuid();
                let mut e = self.ev(EventType::Transformation, t_tf + 30 * MIN, plant, 1, step(), Disposition::Active);
                e.input_quantity_list = ins;
                e.transformation_id = Some(tid.clone());
                self.push(e);
                let mut e = self.ev(EventType::Transformation, t_tf + 2 * HOUR, plant, 1, step(), Disposition::Active);
                e.output_quantity_list = outs;
                e.transformation_id = Some(tid);
                self.push(e);
            } else {
                let mut e = self.ev(EventType::Transformation, t_tf + 30 * MIN, plant, 1, step(), Disposition::Active);
                e.input_quantity_list = ins;
                e.output_quantity_list = outs;
                self.push(e);
            }
        }

        // Serialised retail items, commissioned into their product lot, checked on the line.
        let expiry_t = s.food_expiry(run);
        let expiry = iso_date(expiry_t);
        let mut ready = Vec::with_capacity(us(n));
        for j in 0..n {
            let item = self.item(j);
            let lot = if j < n1 { &lots[0] } else { &lots[1] };
            let ilmd = vec![ext(LOT_NUMBER, lot), ext(EXPIRY, &expiry)];
            let t = info.t0 + 4 * HOUR + ns(j) * 8 * SEC;
            if let Some(tc) = self.commission(&item, t, plant, 1, ilmd, Some(20 * SEC), 5) {
                ready.push((item, tc));
            }
        }
        let cases = self.pack(ready, 12, |k| sscc(&plant.gcp, 1, run.wrapping_mul(64).wrapping_add(k)), plant, 3);
        let pallets = self.pack(
            cases.iter().map(|c| (c.id.clone(), c.t)),
            10,
            |k| sscc(&plant.gcp, 3, run.wrapping_mul(64).wrapping_add(32 + k)),
            plant,
            3,
        );

        // Plant → distribution centre (pallets) → stores (cases) → shoppers (items).
        let dc = s.dir.dcs.get(s.pick(run, salt::HUB));
        for ((p, pallet), group) in pallets.iter().enumerate().zip(cases.chunks(10)) {
            let ts = info.t0 + DAY + ns(u(p)) * 10 * MIN;
            let pid = std::slice::from_ref(&pallet.id);
            let tr = self.hand_over(pid, &[], plant, dc, ts, (3 * HOUR, 8 * HOUR), Disposition::SellableNotAccessible);
            let tu = self.unpack(pallet, tr, (2 * HOUR, 12 * HOUR), dc, 2, 300);
            for case in group {
                let store = s.dir.stores.get(self.rng.below(1 << 20));
                let ts = tu + self.rng.span(12 * HOUR, 36 * HOUR);
                let cid = std::slice::from_ref(&case.id);
                let tr =
                    self.hand_over(cid, &[], dc, store, ts, (2 * HOUR, 8 * HOUR), Disposition::SellableNotAccessible);
                let tu = self.unpack(case, tr, (HOUR, 24 * HOUR), store, 0, 250);
                // Sold before the expiry date, or destroyed after it.
                let last_sale = expiry_t.saturating_sub(DAY).clamp(tu + 2 * HOUR, tu + 12 * DAY);
                for item in &case.children {
                    match self.rng.below(1000) {
                        0..950 => {
                            let t = self.rng.span(tu + HOUR, last_sale);
                            self.observe(t, store, 1, BizStep::RetailSelling, Disposition::RetailSold, item);
                        }
                        950..975 => {
                            let t = expiry_t.max(tu + HOUR) + self.rng.span(0, 2 * DAY);
                            self.observe(t, store, 0, BizStep::Destroying, Disposition::Destroyed, item);
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    // --- drugs: manufacturer → distributor → pharmacy ------------------------------------------------------------

    fn drug(&mut self) {
        let (s, info) = (self.s, self.info);
        let run = info.run;
        let product = s.drug_product(run);
        let maker = s.dir.drug_makers.get(product.maker);
        let distributor = s.dir.distributors.get(s.pick(run, salt::HUB));
        let (y, m, _) = code_ymd(info.t0);
        let batch = format!("{:02}{m:02}{:05}", y.rem_euclid(100), run % 100_000);
        let expiry = iso_date(info.t0.saturating_add(730 * DAY));
        let mut ready = Vec::with_capacity(us(info.len));
        for j in 0..info.len {
            let item = self.item(j);
            let ilmd = vec![ext(LOT_NUMBER, &batch), ext(EXPIRY, &expiry)];
            if let Some(tc) = self.commission(&item, info.t0 + ns(j) * 3 * SEC, maker, 0, ilmd, Some(2 * SEC), 3) {
                ready.push((item, tc));
            }
        }
        // Cases carry their own 20-digit codes (case-level product code); pallets SSCCs.
        let case_key = |k: u64| {
            let serial = perm_dec(run.wrapping_mul(16).wrapping_add(k), s.key ^ salt::DRUG ^ 1, 9);
            national_key(Scheme::CnDrug20, s.drug20(&product.case7, serial))
        };
        let cases = self.pack(ready, 20, case_key, maker, 2);
        let pallets = self.pack(
            cases.iter().map(|c| (c.id.clone(), c.t)),
            5,
            |k| sscc(&maker.gcp, 0, run.wrapping_mul(16).wrapping_add(k)),
            maker,
            2,
        );
        for ((p, pallet), group) in pallets.iter().enumerate().zip(cases.chunks(5)) {
            let ts = info.t0 + self.rng.span(2 * DAY, 5 * DAY) + ns(u(p)) * 5 * MIN;
            let pid = std::slice::from_ref(&pallet.id);
            let disp = Disposition::SellableNotAccessible;
            let tr = self.hand_over(pid, &[], maker, distributor, ts, (6 * HOUR, 30 * HOUR), disp.clone());
            let tu = self.unpack(pallet, tr, (HOUR, 48 * HOUR), distributor, 1, 400);
            for case in group {
                let pharmacy = s.dir.pharmacies.get(self.rng.below(1 << 20));
                let ts = tu + self.rng.span(DAY, 10 * DAY);
                let cid = std::slice::from_ref(&case.id);
                let tr = self.hand_over(cid, &[], distributor, pharmacy, ts, (4 * HOUR, 24 * HOUR), disp.clone());
                let tu = self.unpack(case, tr, (0, 72 * HOUR), pharmacy, 0, 300);
                for item in &case.children {
                    match self.rng.below(1000) {
                        0..985 => {
                            let t = self.rng.span(tu + HOUR, tu + 60 * DAY);
                            self.observe(t, pharmacy, 1, BizStep::Dispensing, Disposition::Dispensed, item);
                        }
                        985..995 => {
                            let t = self.rng.span(tu + 30 * DAY, tu + 90 * DAY);
                            self.observe(t, pharmacy, 0, BizStep::Destroying, Disposition::Destroyed, item);
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    // --- agricultural inputs: factory → dealer → farmer ------------------------------------------------------------

    fn agri(&mut self) {
        let (s, info) = (self.s, self.info);
        let run = info.run;
        let product = s.agri_product(run);
        let maker = s.dir.agri_makers.get(product.maker);
        let lot = format!("{}{:05}", yymmdd(info.t0), run % 100_000);
        let mut ready = Vec::with_capacity(us(info.len));
        for j in 0..info.len {
            let item = self.item(j);
            let ilmd = vec![ext(LOT_NUMBER, &lot)];
            if let Some(tc) = self.commission(&item, info.t0 + ns(j) * 4 * SEC, maker, 0, ilmd, Some(3 * SEC), 2) {
                ready.push((item, tc));
            }
        }
        let cartons = self.pack(ready, 20, |k| sscc(&maker.gcp, 2, run.wrapping_mul(64).wrapping_add(k)), maker, 2);
        for (c, carton) in cartons.iter().enumerate() {
            let dealer = s.dir.dealers.get(self.rng.below(1 << 20));
            let ts = info.t0 + self.rng.span(DAY, 7 * DAY) + ns(u(c)) * 2 * MIN;
            let cid = std::slice::from_ref(&carton.id);
            let tr =
                self.hand_over(cid, &[], maker, dealer, ts, (4 * HOUR, 48 * HOUR), Disposition::SellableNotAccessible);
            let tu = self.unpack(carton, tr, (HOUR, 24 * HOUR), dealer, 0, 200);
            for item in &carton.children {
                if self.rng.per_mille(970) {
                    let t = self.rng.span(tu + HOUR, tu + 90 * DAY);
                    self.observe(t, dealer, 1, BizStep::RetailSelling, Disposition::RetailSold, item);
                }
            }
        }
    }

    // --- explosives: factory → depot → blasting site -----------------------------------------------------------

    fn explosive(&mut self) {
        let (s, info) = (self.s, self.info);
        let run = info.run;
        let maker = &s.explosive_maker(run).site;
        let depot = s.dir.depots.get(s.pick(run, salt::FARM));
        let quarry = s.dir.blast_sites.get(s.pick(run, salt::CLASS));
        let mut ready = Vec::with_capacity(us(info.len));
        for j in 0..info.len {
            let item = self.item(j);
            let t = info.t0 + ns(j) * 2 * SEC;
            self.commission(&item, t, maker, 0, Vec::new(), None, 0);
            ready.push((item, t));
        }
        let boxes = self.pack(ready, 20, |k| sscc(&maker.gcp, 4, run.wrapping_mul(64).wrapping_add(k)), maker, 1);
        let stored = Disposition::SellableNotAccessible;
        for (b, bx) in boxes.iter().enumerate() {
            self.observe(bx.t + HOUR, maker, 2, BizStep::Storing, stored.clone(), &bx.id);
            let bid = std::slice::from_ref(&bx.id);
            let ts = info.t0 + DAY + self.rng.span(0, 2 * DAY) + ns(u(b)) * MIN;
            let tr = self.hand_over(bid, &[], maker, depot, ts, (2 * HOUR, 6 * HOUR), stored.clone());
            self.observe(tr + 30 * MIN, depot, 1, BizStep::Storing, stored.clone(), &bx.id);
            let ts = tr + self.rng.span(DAY, 20 * DAY);
            let tr = self.hand_over(bid, &[], depot, quarry, ts, (HOUR, 3 * HOUR), stored.clone());
            let tu = self.unpack(bx, tr, (10 * MIN, 20 * MIN), quarry, 0, 0);
            // Every detonator is tested before the blast; a failed one is destroyed, never used.
            for det in &bx.children {
                let tt = tu + self.rng.span(30 * MIN, 2 * HOUR);
                let t_end = tt + self.rng.span(HOUR, 3 * HOUR);
                if self.rng.per_mille(985) {
                    self.observe(tt, quarry, 1, BizStep::Inspecting, Disposition::Conformant, det);
                    self.observe(t_end, quarry, 1, other_step(STEP_BLASTING), Disposition::Destroyed, det);
                } else {
                    self.observe(tt, quarry, 1, BizStep::Inspecting, Disposition::NonConformant, det);
                    self.observe(t_end, quarry, 0, BizStep::Destroying, Disposition::Destroyed, det);
                }
            }
        }
    }

    // --- gas cylinders: fill, deliver, return; periodic inspection ---------------------------------------------------

    fn gas(&mut self) {
        let (s, info) = (self.s, self.info);
        let run = info.run;
        let station = &s.station(run).site;
        let inspector = s.dir.cylinder_inspectors.get(s.pick(run, salt::CLASS));
        for j in 0..info.len {
            let cyl = self.item(j);
            let mut t = info.t0 + ns(j) * 5 * MIN;
            self.commission(&cyl, t, station, 0, Vec::new(), None, 0);
            let cycles = 5 + self.rng.below(3);
            let periodic = self.rng.below(cycles);
            for c in 0..cycles {
                t += self.rng.span(HOUR, 2 * DAY);
                if self.rng.per_mille(995) {
                    self.observe(t, station, 0, BizStep::Inspecting, Disposition::Conformant, &cyl);
                } else {
                    self.observe(t, station, 0, BizStep::Inspecting, Disposition::NonConformant, &cyl);
                    t += HOUR;
                    self.observe(t, station, 0, BizStep::Repairing, Disposition::Active, &cyl);
                }
                t += 15 * MIN;
                self.observe(t, station, 1, other_step(STEP_FILLING), Disposition::Active, &cyl);
                let customer = s.dir.gas_customers.get(self.rng.below(1 << 20));
                let ts = t + self.rng.span(HOUR, 24 * HOUR);
                let tr = self.hand_over(
                    std::slice::from_ref(&cyl),
                    &[],
                    station,
                    customer,
                    ts,
                    (HOUR, 4 * HOUR),
                    Disposition::Active,
                );
                // The empty cylinder is collected and received back at the station.
                t = tr + self.rng.span(7 * DAY, 30 * DAY);
                let mut e = self.ev(EventType::Object, t, station, 2, BizStep::Receiving, Disposition::Returned);
                e.action = Some(Action::Observe);
                e.epc_list = vec![cyl.clone()];
                e.sources = vec![
                    sd(SourceDestType::PossessingParty, &customer.party),
                    sd(SourceDestType::Location, &customer.location),
                ];
                e.destinations = vec![
                    sd(SourceDestType::PossessingParty, &station.party),
                    sd(SourceDestType::Location, &station.location),
                ];
                self.push(e);
                if c == periodic && !self.periodic_inspection(&cyl, &mut t, station, inspector) {
                    break;
                }
            }
        }
    }

    /// The periodic inspection at an inspection body: passed, passed after repair, or scrapped (returns false).
    fn periodic_inspection(&mut self, cyl: &Id, t: &mut i64, station: &Site, inspector: &Site) -> bool {
        *t += self.rng.span(DAY, 5 * DAY);
        let outcome = self.rng.below(1000);
        let disp = if outcome < 960 { Disposition::Conformant } else { Disposition::NonConformant };
        self.object(Action::Observe, *t, station, 0, inspector, BizStep::Inspecting, disp, vec![cyl.clone()]);
        match outcome {
            0..960 => true,
            960..990 => {
                *t += DAY;
                self.object(
                    Action::Observe,
                    *t,
                    station,
                    0,
                    inspector,
                    BizStep::Repairing,
                    Disposition::Active,
                    vec![cyl.clone()],
                );
                *t += DAY;
                self.object(
                    Action::Observe,
                    *t,
                    station,
                    0,
                    inspector,
                    BizStep::Inspecting,
                    Disposition::Conformant,
                    vec![cyl.clone()],
                );
                true
            }
            _ => {
                *t += DAY;
                self.object(
                    Action::Observe,
                    *t,
                    station,
                    0,
                    inspector,
                    BizStep::Destroying,
                    Disposition::Destroyed,
                    vec![cyl.clone()],
                );
                false
            }
        }
    }

    // --- elevators: install, accept, maintain -------------------------------------------------------------------------

    fn elevator(&mut self) {
        let (s, info) = (self.s, self.info);
        let run = info.run;
        let maker = s.dir.elevator_makers.get(s.pick(run, salt::HUB));
        let service = s.dir.maintainers.get(s.pick(run, salt::FARM));
        let institute = s.dir.institutes.get(s.pick(run, salt::CLASS));
        for j in 0..info.len {
            let lift = self.item(j);
            let building = s.dir.buildings.get(self.rng.below(1 << 20));
            let tc = info.t0 + ns(j) * 30 * MIN;
            self.commission(&lift, tc, maker, 0, Vec::new(), None, 0);
            let ts = tc + self.rng.span(2 * DAY, 10 * DAY);
            let tr = self.hand_over(
                std::slice::from_ref(&lift),
                &[],
                maker,
                building,
                ts,
                (DAY, 3 * DAY),
                Disposition::InProgress,
            );
            let mut t = tr + self.rng.span(5 * DAY, 30 * DAY);
            let one = || vec![lift.clone()];
            self.object(Action::Observe, t, building, 0, service, BizStep::Installing, Disposition::Active, one());
            // Acceptance inspection by the special-equipment inspection institute.
            t += self.rng.span(2 * DAY, 10 * DAY);
            if !self.rng.per_mille(950) {
                self.object(
                    Action::Observe,
                    t,
                    building,
                    0,
                    institute,
                    BizStep::Inspecting,
                    Disposition::NonConformant,
                    one(),
                );
                t += 2 * DAY;
                self.object(Action::Observe, t, building, 0, service, BizStep::Repairing, Disposition::Active, one());
                t += 3 * DAY;
            }
            self.object(
                Action::Observe,
                t,
                building,
                0,
                institute,
                BizStep::Inspecting,
                Disposition::Conformant,
                one(),
            );
            // Maintenance at least every 15 days; faults repaired; the annual periodic inspection.
            let visits = 24 + self.rng.below(12);
            for k in 0..visits {
                t += self.rng.span(14 * DAY, 16 * DAY);
                self.object(
                    Action::Observe,
                    t,
                    building,
                    0,
                    service,
                    other_step(STEP_MAINTAINING),
                    Disposition::Active,
                    one(),
                );
                if self.rng.per_mille(40) {
                    let tf = t + self.rng.span(HOUR, 2 * DAY);
                    self.object(
                        Action::Observe,
                        tf,
                        building,
                        1,
                        service,
                        BizStep::Repairing,
                        Disposition::Active,
                        one(),
                    );
                }
                if k == 23 {
                    let ta = t + self.rng.span(DAY, 3 * DAY);
                    self.object(
                        Action::Observe,
                        ta,
                        building,
                        0,
                        institute,
                        BizStep::Inspecting,
                        Disposition::Conformant,
                        one(),
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The genealogy benchmark
// ---------------------------------------------------------------------------------------------------------------

/// Events per batch of [`genealogy`] (fewer when the events are wide).
const GENEALOGY_BATCH: usize = 4_096;
/// Items per commissioning event, case and pallet of [`genealogy`].
const COMMISSION_CHUNK: u64 = 100;
const CASE_ITEMS: u64 = 12;
/// Largest tree [`genealogy`] builds (2^40 nodes: far beyond any benchmark, and no arithmetic near overflow).
const MAX_NODES: u64 = 1 << 40;
/// Largest fan-out (one transformation event lists this many outputs).
const MAX_FANOUT: u32 = 1_000;
const PALLET_CASES: u64 = 10;

/// The shape of a genealogy tree: lot levels, then items, cases and pallets.
#[derive(Clone, Debug)]
struct Plan {
    fanout: u64,
    /// Lots per level; level 0 is the raw lot.
    levels: Vec<u64>,
    items: u64,
    cases: u64,
    pallets: u64,
}

impl Plan {
    fn new(nodes: u64, fanout: u32) -> Self {
        let nodes = nodes.min(MAX_NODES);
        let f = u64::from(fanout.clamp(2, MAX_FANOUT));
        // Nodes per item including its share of cases and pallets: 1 + 1/12 + 1/120 = 131/120.
        let per_items = |items: u64| u64::try_from(u128::from(items) * 131 / 120).unwrap_or(u64::MAX);
        let mut levels = vec![1u64];
        let mut lots = 1u64;
        // Add lot levels while each leaf lot would still get at least `fanout` items.
        while let Some(&last) = levels.last() {
            let next = last.saturating_mul(f);
            if levels.len() >= 64 || lots.saturating_add(next).saturating_add(per_items(next.saturating_mul(f))) > nodes
            {
                break;
            }
            levels.push(next);
            lots = lots.saturating_add(next);
        }
        if levels.len() == 1 && nodes > 1 {
            // Too small for a full level: a few product lots straight from the raw lot.
            let n = ((nodes - 1) / 2).clamp(1, f);
            levels.push(n);
            lots = lots.saturating_add(n);
        }
        let rest = nodes.saturating_sub(lots);
        let mut items = u64::try_from(u128::from(rest) * 120 / 131).unwrap_or(0);
        let total = |i: u64| {
            let cases = i.div_ceil(CASE_ITEMS);
            lots.saturating_add(i).saturating_add(cases).saturating_add(cases.div_ceil(PALLET_CASES))
        };
        while items > 0 && total(items) > nodes {
            items -= 1;
        }
        while items < u64::MAX && total(items + 1) <= nodes {
            items += 1;
        }
        let cases = items.div_ceil(CASE_ITEMS);
        Self { fanout: f, levels, items, cases, pallets: cases.div_ceil(PALLET_CASES) }
    }

    fn leaves(&self) -> u64 {
        self.levels.last().copied().unwrap_or(1)
    }

    /// Items of leaf lot `l`: an even split of all items over the leaves.
    fn leaf_items(&self, l: u64) -> (u64, u64) {
        let at = |x: u64| {
            u64::try_from(u128::from(x) * u128::from(self.items) / u128::from(self.leaves().max(1))).unwrap_or(0)
        };
        (at(l), at(l + 1))
    }
}

/// Where [`GenealogyIter`] is.
#[derive(Clone, Copy, Debug)]
enum Phase {
    Root,
    /// Transformation of lot `j` at `level` into its children.
    Lots {
        level: usize,
        j: u64,
    },
    /// Commissioning of leaf lot `leaf` from item `next`.
    Items {
        leaf: u64,
        next: u64,
    },
    Cases(u64),
    Pallets(u64),
    Done,
}

/// Streams the events of a [`Plan`].
struct GenealogyIter {
    plan: Plan,
    plant: Site,
    raw_gtin: Box<str>,
    gtin: Box<str>,
    root_lot: String,
    phase: Phase,
    t0: i64,
    /// Events so far (spaces event times 1 ms apart).
    count: i64,
}

impl GenealogyIter {
    fn lot_text(&self, level: usize, j: u64) -> String {
        if level == 0 { self.root_lot.clone() } else { format!("G{level}-{j}") }
    }

    fn lot(&self, level: usize, j: u64) -> Id {
        let gtin = if level == 0 { &self.raw_gtin } else { &self.gtin };
        id(gs1_key(&[("01", gtin), ("10", &self.lot_text(level, j))]))
    }

    fn item(&self, x: u64) -> Id {
        id(gs1_key(&[("01", &self.gtin), ("21", &x.to_string())]))
    }

    fn event(&mut self, kind: EventType, step: BizStep, disp: Disposition, point: u64) -> Event {
        self.count += 1;
        let t = self.t0.saturating_add(self.count.saturating_mul(1_000_000));
        let p = &self.plant;
        let mut e = Event::new(kind, Timestamp(t), CST);
        e.biz_step = Some(step);
        e.disposition = Some(disp);
        e.read_point = Some(Place { id: p.points.get(point).clone(), extensions: Vec::new() });
        e.biz_location = Some(Place { id: p.location.clone(), extensions: Vec::new() });
        e.who = Who {
            party: Some(p.party.clone()),
            operator: Some(p.operators.get(0).clone()),
            device: Some(p.devices.get(0).clone()),
        };
        e
    }

    /// Emits the events of the next unit of work; false when everything has been emitted.
    fn step(&mut self, out: &mut Vec<Event>) -> bool {
        match self.phase {
            Phase::Root => {
                let root = self.lot(0, 0);
                let mut e = self.event(EventType::Object, BizStep::Commissioning, Disposition::Active, 0);
                e.action = Some(Action::Add);
                e.quantity_list = vec![qty(&root, Some(50_000), KGM)];
                out.push(e);
                self.phase = if self.plan.levels.len() > 1 { Phase::Lots { level: 0, j: 0 } } else { Phase::Done };
            }
            Phase::Lots { level, j } => {
                self.transform(level, j, out);
                let count = self.plan.levels.get(level).copied().unwrap_or(0);
                self.phase = if j.saturating_add(1) < count {
                    Phase::Lots { level, j: j + 1 }
                } else if level + 2 < self.plan.levels.len() {
                    Phase::Lots { level: level + 1, j: 0 }
                } else {
                    Phase::Items { leaf: 0, next: 0 }
                };
            }
            Phase::Items { leaf, next } => {
                let (lo, hi) = self.plan.leaf_items(leaf);
                let from = next.max(lo);
                let to = hi.min(from.saturating_add(COMMISSION_CHUNK));
                if from < to {
                    let items = (from..to).map(|x| self.item(x)).collect();
                    let lot = self.lot_text(self.plan.levels.len() - 1, leaf);
                    let mut e = self.event(EventType::Object, BizStep::Commissioning, Disposition::Active, 1);
                    e.action = Some(Action::Add);
                    e.epc_list = items;
                    e.ilmd = vec![ext(LOT_NUMBER, &lot)];
                    out.push(e);
                }
                self.phase = if to < hi {
                    Phase::Items { leaf, next: to }
                } else if leaf.saturating_add(1) < self.plan.leaves() {
                    Phase::Items { leaf: leaf + 1, next: 0 }
                } else {
                    Phase::Cases(0)
                };
            }
            Phase::Cases(c) => {
                if c < self.plan.cases {
                    let hi = self.plan.items.min(c.saturating_add(1).saturating_mul(CASE_ITEMS));
                    let children = (c.saturating_mul(CASE_ITEMS)..hi).map(|x| self.item(x)).collect();
                    let parent = id(sscc(&self.plant.gcp, 5, c));
                    out.push(self.packing(parent, children));
                    self.phase = Phase::Cases(c + 1);
                } else {
                    self.phase = Phase::Pallets(0);
                }
            }
            Phase::Pallets(p) => {
                if p < self.plan.pallets {
                    let hi = self.plan.cases.min(p.saturating_add(1).saturating_mul(PALLET_CASES));
                    let children =
                        (p.saturating_mul(PALLET_CASES)..hi).map(|c| id(sscc(&self.plant.gcp, 5, c))).collect();
                    let parent = id(sscc(&self.plant.gcp, 6, p));
                    out.push(self.packing(parent, children));
                    self.phase = Phase::Pallets(p + 1);
                } else {
                    self.phase = Phase::Done;
                }
            }
            Phase::Done => return false,
        }
        true
    }

    fn packing(&mut self, parent: Id, children: Vec<Id>) -> Event {
        let mut e = self.event(EventType::Aggregation, BizStep::Packing, Disposition::InProgress, 2);
        e.action = Some(Action::Add);
        e.parent_id = Some(parent);
        e.child_epcs = children;
        e
    }

    /// Lot `j` of `level` into its children on the next level. Every 53rd lot (below the root) also takes the
    /// previous lot of its level as an input (a join); every 41st is recorded as two events sharing a
    /// transformationID.
    fn transform(&mut self, level: usize, j: u64, out: &mut Vec<Event>) {
        let next_count = self.plan.levels.get(level + 1).copied().unwrap_or(0);
        let lo = j.saturating_mul(self.plan.fanout).min(next_count);
        let hi = j.saturating_add(1).saturating_mul(self.plan.fanout).min(next_count);
        let mut inputs = vec![qty(&self.lot(level, j), Some(1_000), KGM)];
        if level > 0 && j % 53 == 1 {
            inputs.push(qty(&self.lot(level, j - 1), Some(10), KGM));
        }
        let outputs: Vec<Quantity> = (lo..hi).map(|c| qty(&self.lot(level + 1, c), None, None)).collect();
        if outputs.is_empty() {
            return;
        }
        let step = || BizStep::CreatingClassInstance;
        if j % 41 == 7 {
            let tid: Box<str> = format!("urn:tracecode:synth:transformation:{level}:{j}").into();
            let mut e = self.event(EventType::Transformation, step(), Disposition::Active, 1);
            e.input_quantity_list = inputs;
            e.transformation_id = Some(tid.clone());
            out.push(e);
            let mut e = self.event(EventType::Transformation, step(), Disposition::Active, 1);
            e.output_quantity_list = outputs;
            e.transformation_id = Some(tid);
            out.push(e);
        } else {
            let mut e = self.event(EventType::Transformation, step(), Disposition::Active, 1);
            e.input_quantity_list = inputs;
            e.output_quantity_list = outputs;
            out.push(e);
        }
    }
}

impl Iterator for GenealogyIter {
    type Item = Vec<Event>;

    fn next(&mut self) -> Option<Vec<Event>> {
        let mut out = Vec::with_capacity(GENEALOGY_BATCH);
        // Wide fan-outs make big events: a batch also ends after about 2^16 identifiers.
        let mut weight = 0usize;
        while out.len() < GENEALOGY_BATCH && weight < 1 << 16 {
            let before = out.len();
            if !self.step(&mut out) {
                break;
            }
            weight += out.get(before..).unwrap_or_default().iter().map(|e| e.subjects().count()).sum::<usize>();
        }
        (!out.is_empty()).then_some(out)
    }
}

/// A genealogy for the trace benchmark: a tree of about `nodes` distinct identifiers (never more; at most 2^40)
/// under one raw lot, and its events in batches. `fanout` is clamped to 2..=1000.
///
/// The raw lot (GTIN + lot) is transformed into `fanout` product lots, each of those into `fanout` more, level
/// after level (TransformationEvents; every 53rd lot also takes its neighbour as a second input, a join, and
/// every 41st is recorded as two events sharing a transformationID). The last level's lots each get at least
/// `fanout` serialised items, commissioned with ILMD `lotNumber` (lot membership); items are packed 12 to a case
/// and cases 10 to a pallet (SSCCs). About 91% of the nodes are lots and items, reached from the root by
/// transformation outputs and lot memberships; the rest are the cases and pallets that contain them. Lazy:
/// memory is one batch.
///
/// ```
/// use std::collections::HashSet;
/// use tracecode::event::Timestamp;
///
/// let (root, batches) = tracecode::synth::genealogy(10_000, 8, 1, Timestamp(0));
/// let mut nodes = HashSet::new();
/// for batch in batches {
///     for e in &batch {
///         assert!(e.validate().is_ok());
///         nodes.extend(e.subjects().cloned());
///     }
/// }
/// assert!(nodes.contains(&tracecode::event::Id::Key(root)));
/// assert!(nodes.len() > 9_500 && nodes.len() <= 10_000);
/// ```
pub fn genealogy(nodes: u64, fanout: u32, seed: u64, start: Timestamp) -> (TraceKey, impl Iterator<Item = Vec<Event>>) {
    let key = mix64(seed ^ salt::GENEALOGY);
    let dir = Directory::new(key);
    let raw_gtin = dir.farms.get(0).produce.clone();
    let gtin = dir.food.get(0).gtin.clone();
    let root_lot = format!("R{:08}", key % 100_000_000);
    let it = GenealogyIter {
        plan: Plan::new(nodes, fanout),
        plant: dir.processors.get(0).clone(),
        raw_gtin,
        gtin,
        root_lot,
        phase: Phase::Root,
        t0: start.0,
        count: 0,
    };
    let root = match it.lot(0, 0) {
        Id::Key(k) => k,
        Id::Uri(_) => placeholder_key(),
    };
    (root, it)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::{KeyKind, parse};
    use std::collections::{HashMap, HashSet};

    fn synth(items: u64, seed: u64) -> Synth {
        Synth::new(SynthConfig { items, seed, ..SynthConfig::default() })
    }

    fn all(s: &Synth) -> Vec<Event> {
        s.batches(5_000).flatten().collect()
    }

    fn key_of(id: &Id) -> &TraceKey {
        match id {
            Id::Key(k) => k,
            Id::Uri(u) => panic!("subject is not a key: {u}"),
        }
    }

    #[test]
    fn default_config() {
        let c = SynthConfig::default();
        assert_eq!((c.items, c.seed), (10_000, 1));
        assert_eq!(c.start.to_rfc3339(TzOffset::UTC, 0), "2026-01-01T00:00:00Z");
        assert_eq!(
            Category::ALL.map(Category::as_str),
            ["food", "drug", "agri-input", "gas-cylinder", "elevator", "explosive"]
        );
    }

    #[test]
    fn permutations_are_bijections() {
        for bits in [8, 10, 13] {
            let seen: HashSet<u64> = (0..1u64 << bits).map(|x| perm_bits(x, 42, bits)).collect();
            assert_eq!(seen.len(), 1 << bits);
            assert!(seen.iter().all(|&v| v < 1 << bits));
        }
        for digits in [2, 3, 4] {
            let m = 10u64.pow(digits);
            let seen: HashSet<u64> = (0..m).map(|x| perm_dec(x, 7, digits)).collect();
            assert_eq!(seen.len(), usize::try_from(m).unwrap());
        }
        assert_eq!(b32(31, 3), "00Z");
    }

    #[test]
    fn credit_codes_and_org_codes() {
        // codes.md §6.11 worked example body, recomputed by the MOD 31 helper through `uscc`'s layout.
        let s = uscc('1', "350100", 12_345_678);
        assert_eq!(s.len(), 18);
        assert!(s.parse::<TraceKey>().is_err(), "a bare code is not key text");
        let k: TraceKey = format!("cn-uscc:{s}").parse().unwrap();
        assert_eq!(k.kind(), KeyKind::Party);
        // GB 11714: 12345678 → weights 3 7 9 10 5 8 4 2 → sum 1*3+2*7+3*9+4*10+5*5+6*8+7*4+8*2 = 201, 11 - 201 % 11 = 8.
        assert_eq!(org_code_check(b"12345678"), '8');
    }

    /// Every key the province's directory holds is valid canonical key text (check digits, fields).
    #[test]
    fn directory_keys_are_valid() {
        let s = synth(10, 3);
        let d = &s.dir;
        let mut sites: Vec<&Site> = Vec::new();
        for pool in [
            &d.processors,
            &d.dcs,
            &d.stores,
            &d.drug_makers,
            &d.distributors,
            &d.pharmacies,
            &d.agri_makers,
            &d.dealers,
            &d.gas_customers,
            &d.cylinder_inspectors,
            &d.elevator_makers,
            &d.maintainers,
            &d.buildings,
            &d.institutes,
            &d.depots,
            &d.blast_sites,
        ] {
            sites.extend((0..pool.len()).map(|k| pool.get(k)));
        }
        sites.extend((0..d.farms.len()).map(|k| &d.farms.get(k).site));
        sites.extend((0..d.stations.len()).map(|k| &d.stations.get(k).site));
        sites.extend((0..d.explosive_makers.len()).map(|k| &d.explosive_makers.get(k).site));
        let mut gcps = HashSet::new();
        for site in sites {
            assert!(gcps.insert(site.gcp.clone()), "company prefixes are distinct");
            let ids = [&site.party, &site.location, site.points.get(0), site.points.get(1)];
            for id in ids {
                let k = key_of(id);
                assert_eq!(&k.to_string().parse::<TraceKey>().unwrap(), k, "{k}");
            }
            assert_eq!(key_of(&site.location).kind(), KeyKind::Location);
            assert_eq!(key_of(&site.party).kind(), KeyKind::Party);
        }
    }

    #[test]
    fn deterministic_per_seed() {
        let a = all(&synth(3_000, 7));
        assert_eq!(a, all(&synth(3_000, 7)));
        assert_ne!(a, all(&synth(3_000, 8)));
        assert_ne!(synth(10, 7).item_key(0), synth(10, 8).item_key(0));
        assert_eq!(synth(10, 7).samples(), synth(10, 7).samples());
    }

    #[test]
    fn batches_are_bounded() {
        let s = synth(2_400, 1);
        let total = all(&s).len();
        let sizes: Vec<usize> = s.batches(777).map(|b| b.len()).collect();
        assert_eq!(sizes.iter().sum::<usize>(), total);
        let (last, rest) = sizes.split_last().unwrap();
        assert!(rest.iter().all(|&n| n == 777));
        assert!(*last > 0 && *last <= 777);
        let tiny = synth(30, 1);
        assert!(tiny.batches(0).all(|b| b.len() == 1));
        assert_eq!(synth(0, 1).batches(10).count(), 0);
        assert_eq!(synth(300, 1).batches(usize::MAX).count(), 1);
    }

    #[test]
    fn item_index_space() {
        let s = synth(10_000, 1);
        assert_eq!(s.item_count(), 10_000);
        assert!(s.item_key(10_000).is_none() && s.item_key(u64::MAX).is_none());
        let keys: HashSet<TraceKey> = (0..10_000).map(|i| s.item_key(i).unwrap()).collect();
        assert_eq!(keys.len(), 10_000, "item keys are unique");
        let mut per_cat: HashMap<Category, u64> = HashMap::new();
        for i in 0..10_000 {
            *per_cat.entry(s.category_of(i)).or_default() += 1;
            let k = s.item_key(i).unwrap();
            assert_eq!(k.kind(), KeyKind::Instance);
            assert_eq!(k.to_string().parse::<TraceKey>().unwrap(), k, "item {i}: {k}");
        }
        assert_eq!(per_cat.len(), 6, "{per_cat:?}");
        assert_eq!(per_cat[&Category::Food], 4 * 960 + 240);
        // Far past the configured count the pattern continues without overflow.
        let _ = s.category_of(u64::MAX);
        let _ = s.scan_of(u64::MAX);
        let _ = s.unknown_scan(u64::MAX);
    }

    /// The whole default workload: validity, mix, linkage, field realism, capture order.
    #[test]
    #[allow(clippy::too_many_lines, reason = "one pass over the generated events checks many properties")]
    fn workload_of_ten_thousand_items() {
        let s = synth(10_000, 1);
        let events = all(&s);
        let per_thousand_items = events.len() / 10;
        assert!((7_000..9_000).contains(&per_thousand_items), "{per_thousand_items} events per 1000 items");

        let items: HashMap<TraceKey, u64> = (0..10_000).map(|i| (s.item_key(i).unwrap(), i)).collect();
        let mut seen_items = HashSet::new();
        let mut subjects = HashSet::new();
        let mut steps = HashSet::new();
        let mut last_time: HashMap<&Id, i64> = HashMap::new();
        let (mut late, mut split_tf, mut parent_only, mut with_bt, mut ilmd_lots) = (0, 0, 0, 0, 0);
        let mut per_cat: HashMap<Category, usize> = HashMap::new();
        for e in &events {
            e.validate().unwrap();
            assert!(e.who.party.is_some() && e.who.operator.is_some() && e.who.device.is_some());
            assert_eq!(key_of(&e.read_point.as_ref().unwrap().id).kind(), KeyKind::Location);
            assert_eq!(key_of(&e.biz_location.as_ref().unwrap().id).kind(), KeyKind::Location);
            assert_eq!(e.event_time_zone_offset, CST);
            assert!(e.record_time.is_none());
            let step = e.biz_step.clone().unwrap();
            if matches!(step, BizStep::Shipping | BizStep::Receiving) {
                assert!(e.sources.len().min(e.destinations.len()) >= 2, "{e:?}");
            }
            with_bt += usize::from(!e.biz_transactions.is_empty());
            split_tf += usize::from(e.transformation_id.is_some());
            parent_only += usize::from(e.kind == EventType::Aggregation && e.child_epcs.is_empty());
            if e.ilmd.iter().any(|x| &*x.name == LOT_NUMBER) {
                assert_eq!(e.action, Some(Action::Add));
                ilmd_lots += 1;
            }
            steps.insert(step.term().to_owned());
            let mut out_of_order = false;
            let mut cat = None;
            for sub in e.subjects() {
                let k = key_of(sub);
                assert_ne!(k, &placeholder_key());
                if let Some(&i) = items.get(k) {
                    seen_items.insert(i);
                    cat = Some(s.category_of(i));
                }
                subjects.insert(k.clone());
                let t = last_time.entry(sub).or_insert(i64::MIN);
                out_of_order |= e.event_time.0 < *t;
                *t = (*t).max(e.event_time.0);
            }
            late += usize::from(out_of_order);
            if let Some(c) = cat {
                *per_cat.entry(c).or_default() += 1;
            }
        }
        assert_eq!(seen_items.len(), 10_000, "every item key is a subject of some event");
        assert_eq!(per_cat.len(), 6, "{per_cat:?}");
        for k in &subjects {
            assert_eq!(&k.to_string().parse::<TraceKey>().unwrap(), k, "subject {k} is valid key text");
        }
        let late = late * 10_000 / events.len();
        assert!((50..200).contains(&late), "{late} basis points of events arrive after a later event of their subject");
        assert!(split_tf >= 2 && parent_only > 0 && ilmd_lots > 3_000, "{split_tf} {parent_only} {ilmd_lots}");
        assert!(with_bt > events.len() / 20, "{with_bt}");
        for term in [
            "commissioning",
            "inspecting",
            "packing",
            "unpacking",
            "shipping",
            "receiving",
            "retail_selling",
            "dispensing",
            "repairing",
            "destroying",
            "installing",
            "storing",
            "creating_class_instance",
            STEP_FILLING,
            STEP_MAINTAINING,
            STEP_BLASTING,
        ] {
            assert!(steps.contains(term), "no {term} event");
        }
    }

    #[test]
    fn scans_read_back_to_item_keys() {
        let s = synth(100_000, 1);
        let mut schemes = HashSet::new();
        for i in (0..100_000).step_by(37).chain(0..50) {
            let scan = s.scan_of(i);
            let code = parse(&scan).unwrap_or_else(|e| panic!("item {i}: {scan:?}: {e}"));
            assert_eq!(Some(code.trace_key().unwrap()), s.item_key(i), "item {i}: {scan:?}");
            schemes.insert(code.scheme());
        }
        assert!(schemes.len() >= 10, "{schemes:?}");
        assert!(schemes.contains(&Scheme::VetDrug) && !schemes.contains(&Scheme::Gs1Key));
    }

    #[test]
    fn unknown_scans_are_well_formed_and_never_issued() {
        let s = synth(10_000, 1);
        let issued: HashSet<TraceKey> = (0..10_000).map(|i| s.item_key(i).unwrap()).collect();
        let mut probes = HashSet::new();
        for i in 0..1_200 {
            let scan = s.unknown_scan(i);
            let key = parse(&scan).unwrap_or_else(|e| panic!("probe {i}: {scan:?}: {e}")).trace_key().unwrap();
            assert_eq!(key.kind(), KeyKind::Instance);
            assert!(!issued.contains(&key), "probe {i} {scan:?} was issued");
            probes.insert(key);
        }
        assert_eq!(probes.len(), 1_200);
    }

    #[test]
    fn samples_and_demo_keys() {
        let s = synth(10_000, 1);
        let samples = s.samples();
        assert_eq!(samples.len(), 8);
        for c in Category::ALL {
            assert!(samples.iter().any(|x| x.category == c));
        }
        for x in &samples {
            parse(&x.scan).unwrap_or_else(|e| panic!("{x:?}: {e}"));
        }
        let retail = s.retail_item();
        let raw = s.raw_lot();
        assert_eq!(parse(&samples[6].scan).unwrap().trace_key().unwrap(), retail);
        assert_eq!(parse(&samples[7].scan).unwrap().trace_key().unwrap(), raw);
        assert_eq!(raw.kind(), KeyKind::Class);

        // Back trace by hand over the first run's events: sold item → ILMD lot → transformation → farm lots.
        let run0 = RunGen::generate(&s, s.run_info(0));
        let item = Id::Key(retail.clone());
        assert!(run0.iter().any(|e| e.biz_step == Some(BizStep::RetailSelling) && e.epc_list.contains(&item)));
        let lot_text = run0
            .iter()
            .find(|e| e.action == Some(Action::Add) && e.epc_list.contains(&item))
            .and_then(|e| e.ilmd.iter().find(|x| &*x.name == LOT_NUMBER))
            .map(|x| x.value.clone())
            .unwrap();
        let ExtValue::String(lot_text) = lot_text else { panic!("lot number is a string") };
        let lot = Id::Key(format!("{}/10/{lot_text}", retail.gtin_class().unwrap()).parse().unwrap());
        let tf_ids: Vec<_> = run0
            .iter()
            .filter(|e| e.output_quantity_list.iter().any(|q| q.class == lot))
            .map(|e| e.transformation_id.clone())
            .collect();
        let inputs: HashSet<&Id> = run0
            .iter()
            .filter(|e| {
                e.output_quantity_list.iter().any(|q| q.class == lot)
                    || (e.transformation_id.is_some() && tf_ids.contains(&e.transformation_id))
            })
            .flat_map(|e| e.input_quantity_list.iter().map(|q| &q.class))
            .collect();
        assert!(inputs.len() == 2 && inputs.contains(&Id::Key(raw.clone())), "{inputs:?}");
        for farm_lot in inputs {
            assert!(
                run0.iter().any(|e| e.biz_step == Some(BizStep::Commissioning)
                    && e.quantity_list.iter().any(|q| &q.class == farm_lot))
            );
        }
        // The raw lot went into both product lots (a recall reaches the whole run).
        let outputs = run0
            .iter()
            .filter(|e| {
                e.kind == EventType::Transformation
                    && e.input_quantity_list.iter().any(|q| q.class == Id::Key(raw.clone()))
            })
            .count();
        assert!(outputs >= 2);
        // A tiny data set still has its demo keys.
        let tiny = synth(1, 1);
        assert_eq!(tiny.samples().len(), 3);
        assert_eq!(tiny.retail_item().kind(), KeyKind::Instance);
    }

    /// A forward trace over the raw events: transformation outputs (joined by transformationID), ILMD lot
    /// memberships, and containers.
    fn forward(events: &[Event], root: &TraceKey) -> (HashSet<Id>, HashSet<Id>) {
        let mut next: HashMap<Id, Vec<Id>> = HashMap::new();
        let mut containers: HashMap<Id, Vec<Id>> = HashMap::new();
        let mut by_tid: HashMap<Box<str>, (Vec<Id>, Vec<Id>)> = HashMap::new();
        for e in events {
            let ins: Vec<Id> = e.input_quantity_list.iter().map(|q| q.class.clone()).collect();
            let outs: Vec<Id> = e.output_quantity_list.iter().map(|q| q.class.clone()).collect();
            if let Some(t) = &e.transformation_id {
                let entry = by_tid.entry(t.clone()).or_default();
                entry.0.extend(ins);
                entry.1.extend(outs);
            } else {
                for i in &ins {
                    next.entry(i.clone()).or_default().extend(outs.iter().cloned());
                }
            }
            if let Some(ExtValue::String(lot)) = e.ilmd.first().map(|x| &x.value) {
                for item in &e.epc_list {
                    let gtin = key_of(item).gtin_class().unwrap();
                    let lot_key: TraceKey = format!("{gtin}/10/{lot}").parse().unwrap();
                    next.entry(Id::Key(lot_key)).or_default().push(item.clone());
                }
            }
            if let Some(p) = &e.parent_id {
                for c in &e.child_epcs {
                    containers.entry(c.clone()).or_default().push(p.clone());
                }
            }
        }
        for (ins, outs) in by_tid.into_values() {
            for i in ins {
                next.entry(i).or_default().extend(outs.iter().cloned());
            }
        }
        let mut seen = HashSet::from([Id::Key(root.clone())]);
        let mut stack = vec![Id::Key(root.clone())];
        while let Some(n) = stack.pop() {
            for m in next.get(&n).into_iter().flatten() {
                if seen.insert(m.clone()) {
                    stack.push(m.clone());
                }
            }
        }
        let mut with_containers = seen.clone();
        let mut stack: Vec<Id> = seen.iter().cloned().collect();
        while let Some(n) = stack.pop() {
            for m in containers.get(&n).into_iter().flatten() {
                if with_containers.insert(m.clone()) {
                    stack.push(m.clone());
                }
            }
        }
        (seen, with_containers)
    }

    #[test]
    fn genealogy_reaches_the_requested_size() {
        for (nodes, fanout) in [(0, 4), (1, 4), (5, 2), (50, 3), (1_000, 1), (10_000, 8), (60_000, 10)] {
            let (root, batches) = genealogy(nodes, fanout, 9, SynthConfig::default().start);
            let mut events = Vec::new();
            for b in batches {
                assert!(!b.is_empty() && b.len() <= GENEALOGY_BATCH);
                events.extend(b);
            }
            let mut subjects = HashSet::new();
            for e in &events {
                e.validate().unwrap();
                subjects.extend(e.subjects().cloned());
            }
            assert!(subjects.contains(&Id::Key(root.clone())));
            assert!(subjects.len() as u64 <= nodes.max(1), "{nodes}: {}", subjects.len());
            if nodes >= 50 {
                assert!(subjects.len() as u64 >= nodes * 97 / 100, "{nodes}: {}", subjects.len());
            }
            let (reached, with_containers) = forward(&events, &root);
            assert_eq!(with_containers.len(), subjects.len(), "{nodes}: everything hangs under the root");
            if nodes >= 1_000 {
                assert!(reached.len() as u64 >= nodes * 90 / 100, "{nodes}: {}", reached.len());
            }
            let splits = events.iter().filter(|e| e.transformation_id.is_some()).count();
            if nodes >= 10_000 {
                assert!(splits >= 2);
            }
        }
        let (a, _) = genealogy(100, 3, 1, Timestamp(0));
        let (b, _) = genealogy(100, 3, 2, Timestamp(0));
        assert_ne!(a, b);
    }

    #[test]
    fn extreme_configurations_do_not_panic() {
        for start in [Timestamp(i64::MAX), Timestamp(i64::MIN), Timestamp(0)] {
            let s = Synth::new(SynthConfig { items: u64::MAX, seed: u64::MAX, start });
            for i in [0, 1_000, u64::MAX / 2, u64::MAX - 1] {
                let key = s.item_key(i).unwrap();
                assert_eq!(parse(s.scan_of(i)).unwrap().trace_key().unwrap(), key);
                let _ = s.unknown_scan(i);
            }
            let first = s.batches(1_000).next().unwrap();
            assert_eq!(first.len(), 1_000);
            assert!(first.iter().all(|e| e.validate().is_ok()));
            let _ = s.samples();
        }
        let (_, mut batches) = genealogy(u64::MAX, u32::MAX, u64::MAX, Timestamp(i64::MAX));
        assert!(batches.next().unwrap().len() <= GENEALOGY_BATCH);
    }

    proptest::proptest! {
        #[test]
        fn any_item_scan_reads_back(seed in 0u64..1_000, i in 0u64..100_000_000) {
            let s = synth(100_000_000, seed);
            let scan = s.scan_of(i);
            let code = parse(&scan).map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{scan:?}: {e}")))?;
            proptest::prop_assert_eq!(Some(code.trace_key().unwrap()), s.item_key(i), "{}", scan);
        }

        #[test]
        fn probes_differ_from_items_of_the_same_category(seed in 0u64..1_000, i in 0u64..1_000_000, j in 0u64..100_000_000) {
            let s = synth(100_000_000, seed);
            let probe = parse(s.unknown_scan(i)).unwrap().trace_key().unwrap();
            proptest::prop_assert_ne!(Some(probe), s.item_key(j));
        }
    }

    /// Generation speed, release build: `cargo test --release --no-default-features --lib synth -- --ignored
    /// --nocapture`.
    #[test]
    #[ignore = "timing; run in release"]
    fn throughput() {
        let s = synth(200_000, 1);
        let (mut n, mut generating) = (0usize, std::time::Duration::ZERO);
        let start = std::time::Instant::now();
        let mut batches = s.batches(10_000);
        loop {
            let t = std::time::Instant::now();
            let Some(b) = batches.next() else { break };
            generating += t.elapsed();
            n += b.len();
        }
        let total = start.elapsed().as_secs_f64();
        let rate = |secs: f64| f64::from(u32::try_from(n).unwrap()) / secs / 1e6;
        let g = generating.as_secs_f64();
        println!(
            "{n} events: generation {g:.2} s ({:.2} M/s); with dropping the batches {total:.2} s ({:.2} M/s)",
            rate(g),
            rate(total)
        );
        let start = std::time::Instant::now();
        let (_, batches) = genealogy(1_000_000, 10, 1, Timestamp(0));
        let m: usize = batches.map(|b| b.len()).sum();
        println!("genealogy of 1 M nodes: {m} events in {:.2} s", start.elapsed().as_secs_f64());
    }
}
