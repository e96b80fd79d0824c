//! `tracecode demo`: the README's main job. A synthetic province's traceability data on an embedded store:
//! generate and ingest, resolve realistic scans of every category, trace a retail item back to its farm, recall
//! a raw-material lot, verify the store, and summarise throughput. `--tour` instead tours the coding scheme
//! (every scheme parsed, one key per item, positioned errors, issuing) and the event encoding.

use std::process::ExitCode;

use tracecode::code::gs1::gcp::FixedGcpLength;
use tracecode::code::issue::{self, KeyedCheck4, RandomSerials, SgtinIssuer};
use tracecode::code::{self, Code, CodeData};

use crate::args::count;

const SAMPLES: &[(&str, &str)] = &[
    ("GS1 DataMatrix scan (AIM ]d2, FNC1 as GS)", "]d2010950600013435217261231\u{1d}10ABC123\u{1d}21XYZ789"),
    ("GS1-128 logistic label (SSCC)", "]C100106141412345678908"),
    ("bracketed human-readable text", "(01)09506000134352(17)261231(3103)000195(10)ABC123(21)XYZ789"),
    ("keyboard-wedge scan, GS typed as <GS>", "010950600013435210ABC123<GS>21XYZ789"),
    (
        "GS1 Digital Link QR on a brand domain",
        "https://brand.example/p/01/09506000134352/10/ABC123/21/XYZ789?17=261231",
    ),
    ("EAN-13 retail barcode (AIM ]E0)", "]E06901234567892"),
    ("UPC-E read as 8 digits (candidates decide)", "04252614"),
    ("EPC pure-identity URI", "urn:epc:id:sgtin:0614141.812345.6789"),
    ("RFID EPC bank, SGTIN-96 hex", "3074257BF7194E4000001A85"),
    ("EPC GID-96", "urn:epc:id:gid:31415.271828.1414"),
    ("China drug trace code (20 digits)", "81234567890123456789"),
    ("MA code (UDI with PI)", "MA.156.M0.100761.21234561.S000123.L20240117.E260130"),
    ("industrial-internet Handle", "88.1000.2/abc"),
    ("special-equipment code", "215023010201500098"),
    ("equipment registration code", "21603101012006010101"),
    ("GA 441 detonator shell code", "5360215A00001"),
    ("veterinary-drug trace code", "202301151234598765432101"),
    ("pesticide label code", "13001231001123456789012345678901"),
    ("unified social credit code (party)", "91350100M000100Y43"),
    ("trace URL wrapping a drug code", "https://trace.example.cn/q?code=81234567890123456789"),
];

const SAME_ITEM: &[&str] = &[
    "]d2010950600013435217261231\u{1d}10ABC123\u{1d}21XYZ789",
    "]C1010950600013435210ABC123\u{1d}21XYZ789",
    "(01)09506000134352(10)ABC123(21)XYZ789",
    "https://id.gs1.org/01/09506000134352/10/ABC123/21/XYZ789",
    "HTTPS://shop.example.com/x/01/09506000134352/21/XYZ789?17=261231&utm_source=qr",
];

const BAD: &[&str] = &[
    "(01)09506000134353(21)A1",
    "]d201095060001343521713131221X",
    "]d22112345",
    "https://id.gs1.org/01/09506000134352/21/A1/10/L1",
    "91350100M000100Y44",
    "E280689400005012345678AB",
];

fn describe(code: &Code) -> String {
    let key = code
        .trace_key()
        .map_or_else(|e| format!("(no key: {})", e.message()), |k| format!("{k}  [{}]", k.kind().as_str()));
    let extra = match code.data() {
        CodeData::National(n) => format!("  check: {:?}", n.check),
        _ => String::new(),
    };
    let warn: Vec<&str> = code.warnings().iter().map(|w| w.code).collect();
    let warn = if warn.is_empty() { String::new() } else { format!("  warnings: {}", warn.join(", ")) };
    format!("{} / {} → {key}{extra}{warn}", code.scheme(), code.carrier().as_str())
}

fn printable(s: &str) -> String {
    s.replace('\u{1d}', "<GS>")
}

/// `tracecode demo`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Keep the store in DIR (default: a temporary directory, removed at the end).
    #[arg(long, value_name = "DIR")]
    db: Option<String>,
    /// Items of the synthetic province (at least one production cycle, 2_400, is generated).
    #[arg(long, value_name = "N", default_value = "10000", value_parser = count::<u64>)]
    items: u64,
    /// Tour the coding scheme instead: parse and issue sample codes of every scheme, encode events.
    #[arg(long)]
    tour: bool,
}

/// Runs `tracecode demo [--db DIR] [--items N] [--tour]`.
pub(crate) fn run(a: &Args) -> ExitCode {
    if a.tour {
        return run_tour();
    }
    // One production cycle of the synthetic province (2 400 items) is the smallest data set with every category.
    crate::store_demo::run(a.db.as_deref(), a.items.max(2_400))
}

#[allow(clippy::too_many_lines, reason = "a linear script of five demo sections")]
fn run_tour() -> ExitCode {
    let mut failures = 0;
    println!("== 1. One parser for every code a scanner, reader or person supplies ==");
    for (what, input) in SAMPLES {
        println!("\n  {what}\n    {}", printable(input));
        match code::parse(input) {
            Ok(c) => println!("    {}", describe(&c)),
            Err(e) if e.kind() == tracecode::ErrorKind::Ambiguous => {
                println!("    ambiguous: {}", e.message());
                for c in code::candidates(input) {
                    println!("      candidate (score {}, rule {}): {}", c.score, c.rule, describe(&c.code));
                }
            }
            Err(e) => {
                failures += 1;
                println!("    ERROR: {e}");
            }
        }
    }

    println!("\n== 2. Every spelling of one item is one TraceKey ==");
    let mut keys = Vec::new();
    for input in SAME_ITEM {
        match code::parse(input).and_then(|c| c.trace_key()) {
            Ok(k) => {
                println!("  {:<80} → {}  ({})", printable(input), k, crate::hex(k.as_bytes()));
                keys.push(k);
            }
            Err(e) => {
                failures += 1;
                println!("  {} → ERROR {e}", printable(input));
            }
        }
    }
    let one = keys.windows(2).all(|w| w.first() == w.get(1));
    println!("  all equal: {one}");
    if !one {
        failures += 1;
    }

    println!("\n== 3. Bad input: a typed error with the position of the fault ==");
    for input in BAD {
        match code::parse(input) {
            Ok(c) => println!("  {} → unexpectedly valid: {}", printable(input), describe(&c)),
            Err(e) => {
                let shown = printable(input);
                // Underline the fault (positions are bytes; inputs here are ASCII apart from GS shown as <GS>).
                let (at, len) = e.offset().zip(e.len()).unwrap_or_default();
                let pad = input.get(..at).map_or(at, |p| printable(p).len());
                println!("  {shown}\n  {}{} {}: {}", " ".repeat(pad), "^".repeat(len.max(1)), e.kind(), e.message());
            }
        }
    }

    println!("\n== 4. Issuing codes, rendered in every spelling ==");
    let gcp = FixedGcpLength(7);
    match SgtinIssuer::new("09506000134352", Some("L2026A"), RandomSerials::from_seed(true, 2026)) {
        Ok(mut issuer) => {
            for _ in 0..3 {
                match issuer.issue().and_then(|g| issue::render(&g, "https://id.gs1.org", &gcp, 1)) {
                    Ok(r) => print_renderings(&r),
                    Err(e) => {
                        failures += 1;
                        println!("  ERROR {e}");
                    }
                }
            }
        }
        Err(e) => {
            failures += 1;
            println!("  ERROR {e}");
        }
    }
    match issue::sscc(1, "0614141", 234_567_890).and_then(|g| issue::render(&g, "https://id.gs1.org", &gcp, 0)) {
        Ok(r) => print_renderings(&r),
        Err(e) => {
            failures += 1;
            println!("  ERROR {e}");
        }
    }
    match issue::national20("8123456", 42, &KeyedCheck4(*blake3_key())) {
        Ok(n) => println!(
            "  national 20-digit code: {} (check digits from a keyed MAC, verifiable only with the key)",
            n.text
        ),
        Err(e) => {
            failures += 1;
            println!("  ERROR {e}");
        }
    }
    println!("\n== 5. Events: what happened to the item, compact and tamper-evident ==");
    match events_tour() {
        Ok(()) => {}
        Err(e) => {
            failures += 1;
            println!("  ERROR {e}");
        }
    }
    println!();
    if failures == 0 {
        println!("demo finished: all samples behaved as expected");
        ExitCode::SUCCESS
    } else {
        println!("demo finished with {failures} unexpected results");
        ExitCode::from(1)
    }
}

/// Three EPCIS events for one item (commissioned, packed into a case, shipped): frames, ids, the item's hash
/// chain, the GS1 canonical hash, and the EPCIS JSON of the last one.
fn events_tour() -> Result<(), Box<dyn std::error::Error>> {
    use tracecode::event::digest::{GENESIS, chain_step, event_id, gs1_event_hash, verify_chain};
    use tracecode::event::epcis_json::{ExportOptions, event_to_json};
    use tracecode::event::frame::{self, MemoryDictionary};
    use tracecode::event::{
        Action, BizStep, BizTransaction, BizTransactionType, Disposition, Event, EventType, Id, Place, SourceDest,
        SourceDestType, Timestamp, Who,
    };

    let item = Id::parse("https://id.gs1.org/01/09506000134352/21/XYZ789")?;
    let case = Id::parse("urn:epc:id:sscc:0614141.1234567890")?;
    let plant = Place { id: Id::parse("urn:epc:id:sgln:0614141.07346.1234")?, extensions: Vec::new() };
    let maker = Id::parse("cn-uscc:91350100M000100Y43")?;
    let (t0, off) = Timestamp::parse("2026-11-02T08:30:00.000+08:00")?;
    let minute = 60_000_000_000;

    let mut made = Event::new(EventType::Object, t0, off);
    made.action = Some(Action::Add);
    made.epc_list.push(item.clone());
    made.biz_step = Some(BizStep::Commissioning);
    made.disposition = Some(Disposition::Active);
    made.read_point = Some(plant.clone());
    made.who =
        Who { party: Some(maker.clone()), operator: Some("op-17".into()), device: Some("line-3-printer".into()) };

    let mut packed = Event::new(EventType::Aggregation, Timestamp(t0.0 + 20 * minute), off);
    packed.action = Some(Action::Add);
    packed.parent_id = Some(case.clone());
    packed.child_epcs.push(item.clone());
    packed.biz_step = Some(BizStep::Packing);
    packed.read_point = Some(plant.clone());
    packed.who.party = Some(maker.clone());

    let mut shipped = Event::new(EventType::Object, Timestamp(t0.0 + 240 * minute), off);
    shipped.action = Some(Action::Observe);
    shipped.epc_list.push(case);
    shipped.biz_step = Some(BizStep::Shipping);
    shipped.disposition = Some(Disposition::InTransit);
    shipped.read_point = Some(plant);
    shipped.biz_transactions.push(BizTransaction {
        kind: Some(BizTransactionType::Po),
        value: Id::parse("http://transaction.example.cn/po/2026-0042")?,
    });
    shipped
        .destinations
        .push(SourceDest { kind: SourceDestType::OwningParty, id: Id::parse("cn-uscc:91110108MA01C3KX09")? });
    shipped.who.party = Some(maker);

    let mut dict = MemoryDictionary::new();
    let mut link = GENESIS;
    let (mut ids, mut links) = (Vec::new(), Vec::new());
    for (name, e) in [("commissioned", &made), ("packed", &packed), ("shipped", &shipped)] {
        e.validate()?;
        let self_contained = frame::encode(e)?;
        let interned = frame::encode_interned(e, &mut dict)?;
        let id = event_id(e)?;
        link = chain_step(&link, &id);
        ids.push(id);
        links.push(link);
        let json = serde_json::to_string(&event_to_json(e, &ExportOptions::digital_link())).unwrap_or_default();
        println!(
            "  {name:<13} JSON {:>4} B, frame {:>3} B self-contained / {:>2} B interned; id {}…; chain {}…",
            json.len(),
            self_contained.len(),
            interned.len(),
            id.to_string().get(..16).unwrap_or_default(),
            link.to_string().get(..16).unwrap_or_default()
        );
        println!("  {:<13} GS1 hash {}", "", gs1_event_hash(e)?);
        let back = frame::decode(&self_contained)?;
        if &back != e {
            return Err("frame round trip changed the event".into());
        }
    }
    println!("  chain verifies: {}", verify_chain(&ids, &links).is_ok());
    let mut tampered = links.clone();
    if let Some(byte) = tampered.get_mut(1).and_then(|l| l.0.first_mut()) {
        *byte ^= 1;
    }
    if let Err(bad) = verify_chain(&ids, &tampered) {
        println!("  a flipped bit in link 1 is caught at index {}", bad.index);
    }
    let json =
        serde_json::to_string_pretty(&event_to_json(&shipped, &ExportOptions::digital_link())).unwrap_or_default();
    println!(
        "  EPCIS 2.0 JSON of the shipping event:\n{}",
        json.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
    );
    Ok(())
}

fn blake3_key() -> &'static [u8; 32] {
    b"tracecode demo key, not secret!!"
}

fn print_renderings(r: &issue::Renderings) {
    println!("\n  element string : {}", printable(&r.element_string));
    println!("  bracketed      : {}", r.bracketed);
    println!("  Digital Link   : {}", r.digital_link);
    match (&r.epc_uri, &r.epc_hex) {
        (Some(u), Some(h)) => println!("  EPC URI        : {u}\n  EPC binary     : {h}"),
        (Some(u), None) => println!("  EPC URI        : {u}"),
        _ => println!("  EPC            : {}", r.epc_note.as_deref().unwrap_or("not representable")),
    }
}
