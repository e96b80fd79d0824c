//! `tracecode bench query`: EPCIS SimpleEventQuery latency on the synthetic province, shape by shape, against
//! the same run's full-scan answer of the same queries.
//!
//! The province's shipping events carry a temperature sensor report (a value drawn from the event's own
//! time, so the data set stays deterministic), so the sensor shape has data. Each shape runs `--runs` times
//! with values drawn from the data (a seeded generator): the first page of 100 events is timed, and events
//! examined per event returned are counted. The baseline answers the same queries by filtering the time index
//! (what a store without the planner does); it runs a few times per shape and stops early when slow.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{Value, json};
use tracecode::event::{BizStep, Decimal, Event, ExtValue, Id, IdForm, SensorElement, SensorReport};
use tracecode::store::{EventQuery, Options, Store, TraceStore};
use tracecode::synth::{SplitMix64, Synth, SynthConfig};

use crate::bench_cmd::{Dir, write_json};
use crate::progress::Progress;

/// p50 and p99 targets of the first page (milliseconds).
const P50_MS: f64 = 2.0;
const P99_MS: f64 = 20.0;

/// The longest one baseline scan may take.
const SCAN_BUDGET: std::time::Duration = std::time::Duration::from_secs(3);

/// Values kept per pool (reservoir sampling).
const POOL: usize = 2000;

/// The temperature the province's shipping event at `t` (ns) records, in °C: -5.0 to 14.9.
fn temperature(t: i64) -> String {
    let h = (t / 1_000_000).rem_euclid(1_000_003).wrapping_mul(7919).rem_euclid(200);
    format!("{:.1}", -5.0 + f64::from(u16::try_from(h).unwrap_or(0)) / 10.0)
}

/// Adds the sensor report of a shipping event.
pub(crate) fn decorate(e: &mut Event) {
    if e.biz_step == Some(BizStep::Shipping) {
        let report = SensorReport {
            kind: Some("Temperature".into()),
            value: Decimal::parse(&temperature(e.event_time.0)).ok(),
            uom: Some("CEL".into()),
            ..SensorReport::default()
        };
        e.sensor_elements.push(SensorElement { reports: vec![report], ..SensorElement::default() });
    }
}

/// A pool of values seen in the data, sampled uniformly.
#[derive(Default)]
struct Pool {
    items: Vec<String>,
    seen: u64,
}

impl Pool {
    fn offer(&mut self, v: impl FnOnce() -> String, rng: &mut SplitMix64) {
        self.seen += 1;
        if self.items.len() < POOL {
            self.items.push(v());
        } else {
            let j = rng.below(self.seen);
            if let Some(slot) = self.items.get_mut(usize::try_from(j).unwrap_or(usize::MAX)) {
                *slot = v();
            }
        }
    }

    fn pick(&self, rng: &mut SplitMix64) -> String {
        let n = self.items.len() as u64;
        self.items.get(usize::try_from(rng.below(n.max(1))).unwrap_or(0)).cloned().unwrap_or_default()
    }
}

/// What the data holds, for drawing query values.
#[derive(Default)]
struct Samples {
    pools: HashMap<&'static str, Pool>,
    min_t: i64,
    max_t: i64,
}

impl Samples {
    fn offer(&mut self, name: &'static str, v: impl FnOnce() -> String, rng: &mut SplitMix64) {
        self.pools.entry(name).or_default().offer(v, rng);
    }

    fn pick(&self, name: &str, rng: &mut SplitMix64) -> String {
        self.pools.get(name).map(|p| p.pick(rng)).unwrap_or_default()
    }

    fn see(&mut self, e: &Event, rng: &mut SplitMix64) {
        let uri = |id: &Id| id.to_uri(IdForm::DigitalLink);
        if self.min_t == 0 || e.event_time.0 < self.min_t {
            self.min_t = e.event_time.0;
        }
        self.max_t = self.max_t.max(e.event_time.0);
        if let Some(b) = &e.biz_step {
            self.offer("bizStep", || b.term().to_owned(), rng);
        }
        if let Some(d) = &e.disposition {
            self.offer("disposition", || d.term().to_owned(), rng);
        }
        if let Some(p) = &e.biz_location {
            self.offer("bizLocation", || uri(&p.id), rng);
        }
        if let Some(p) = &e.read_point {
            self.offer("readPoint", || uri(&p.id), rng);
        }
        if let Some(p) = &e.parent_id {
            self.offer("parent", || uri(p), rng);
        }
        if let Some(x) = e.epc_list.first() {
            self.offer("epc", || uri(x), rng);
            if let Id::Key(k) = x
                && let Some(g) = k.gtin_class()
            {
                self.offer("gtin", || uri(&Id::Key(g)), rng);
            }
        }
        for q in e.quantity_list.iter().chain(&e.output_quantity_list) {
            self.offer("class", || uri(&q.class), rng);
        }
        if let Some(ExtValue::String(lot)) = e.ilmd.first().map(|x| &x.value) {
            self.offer("lot", || lot.to_string(), rng);
        }
        if e.biz_step.is_some() && e.biz_location.is_some() {
            let (b, l) = (e.biz_step.clone().unwrap_or(BizStep::OtherStep), e.biz_location.clone());
            self.offer("step@loc", || format!("{}|{}", b.term(), l.map(|p| uri(&p.id)).unwrap_or_default()), rng);
        }
    }
}

/// One query shape: its name and how to draw a query of it.
struct Shape {
    name: &'static str,
    draw: fn(&Samples, &mut SplitMix64) -> Vec<(String, String)>,
}

fn p(n: &str, v: impl Into<String>) -> (String, String) {
    (n.to_owned(), v.into())
}

/// A one-day window starting at a random time of the data.
fn window(s: &Samples, rng: &mut SplitMix64) -> [(String, String); 2] {
    let span = u64::try_from((s.max_t - s.min_t).max(1)).unwrap_or(1);
    let from = s.min_t + i64::try_from(rng.below(span)).unwrap_or(0);
    let to = from + 86_400 * 1_000_000_000;
    let text = |t: i64| tracecode::event::Timestamp(t).to_rfc3339(tracecode::event::TzOffset::UTC, 3);
    [p("GE_eventTime", text(from)), p("LT_eventTime", text(to))]
}

fn step_at(s: &Samples, rng: &mut SplitMix64) -> (String, String) {
    let v = s.pick("step@loc", rng);
    let (b, l) = v.split_once('|').unwrap_or((&v, ""));
    (b.to_owned(), l.to_owned())
}

fn shapes() -> Vec<Shape> {
    vec![
        Shape { name: "EQ_bizStep", draw: |s, r| vec![p("EQ_bizStep", s.pick("bizStep", r))] },
        Shape { name: "EQ_disposition", draw: |s, r| vec![p("EQ_disposition", s.pick("disposition", r))] },
        Shape { name: "EQ_bizLocation", draw: |s, r| vec![p("EQ_bizLocation", s.pick("bizLocation", r))] },
        Shape { name: "EQ_readPoint", draw: |s, r| vec![p("EQ_readPoint", s.pick("readPoint", r))] },
        Shape { name: "MATCH_epc (item)", draw: |s, r| vec![p("MATCH_epc", s.pick("epc", r))] },
        Shape { name: "MATCH_anyEPC (item)", draw: |s, r| vec![p("MATCH_anyEPC", s.pick("epc", r))] },
        Shape { name: "MATCH_parentID", draw: |s, r| vec![p("MATCH_parentID", s.pick("parent", r))] },
        Shape { name: "MATCH_epc (GTIN pattern)", draw: |s, r| vec![p("MATCH_epc", s.pick("gtin", r))] },
        Shape { name: "MATCH_anyEPCClass (class)", draw: |s, r| vec![p("MATCH_anyEPCClass", s.pick("class", r))] },
        Shape {
            name: "eventType ∧ bizLocation",
            draw: |s, r| vec![p("eventType", "AggregationEvent"), p("EQ_bizLocation", s.pick("bizLocation", r))],
        },
        Shape {
            name: "bizStep ∧ bizLocation",
            draw: |s, r| {
                let (b, l) = step_at(s, r);
                vec![p("EQ_bizStep", b), p("EQ_bizLocation", l)]
            },
        },
        Shape {
            name: "bizStep ∧ 1-day window",
            draw: |s, r| {
                let mut v = vec![p("EQ_bizStep", s.pick("bizStep", r))];
                v.extend(window(s, r));
                v
            },
        },
        Shape {
            name: "bizStep ∧ disposition ∧ readPoint",
            draw: |s, r| {
                vec![
                    p("EQ_bizStep", s.pick("bizStep", r)),
                    p("EQ_disposition", s.pick("disposition", r)),
                    p("EQ_readPoint", s.pick("readPoint", r)),
                ]
            },
        },
        Shape {
            name: "GTIN ∧ bizStep ∧ window",
            draw: |s, r| {
                let mut v = vec![p("MATCH_anyEPC", s.pick("gtin", r)), p("EQ_bizStep", s.pick("bizStep", r))];
                v.extend(window(s, r));
                v
            },
        },
        Shape { name: "EQ_ILMD lot", draw: |s, r| vec![p("EQ_ILMD_cbvmda:lotNumber", s.pick("lot", r))] },
        Shape {
            name: "sensor ≥ x ∧ shipping",
            draw: |_, r| {
                let x = format!("{:.1}", -5.0 + f64::from(u16::try_from(r.below(200)).unwrap_or(0)) / 10.0);
                vec![p("EQ_bizStep", "shipping"), p("EQ_type", "Temperature"), p("GE_value_CEL", x)]
            },
        },
        Shape {
            name: "latest at bizLocation (DESC)",
            draw: |s, r| {
                vec![
                    p("EQ_bizLocation", s.pick("bizLocation", r)),
                    p("orderBy", "eventTime"),
                    p("orderDirection", "DESC"),
                    p("eventCountLimit", "100"),
                ]
            },
        },
    ]
}

/// One shape's measurements.
struct Measured {
    name: &'static str,
    p50: f64,
    p99: f64,
    examined_per_returned: f64,
    returned: f64,
    scan_p50: Option<f64>,
    scan_runs: usize,
    /// A scan ran out of its budget: the scan figures are lower bounds.
    scan_over: bool,
}

fn percentile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss, reason = "an index")]
    let i = ((v.len().saturating_sub(1)) as f64 * q).round() as usize;
    v.get(i).copied().unwrap_or(0.0)
}

fn query_of(pairs: &[(String, String)]) -> Result<EventQuery, String> {
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let mut q = EventQuery::from_pairs(&refs).map_err(|e| format!("{pairs:?}: {e}"))?;
    q.page_size = 100;
    Ok(q)
}

/// Runs `tracecode bench query`.
pub(crate) fn run(
    items: u64,
    runs: usize,
    cache_mb: usize,
    db: Option<&str>,
    json_path: Option<&str>,
) -> Result<(), String> {
    let dir = Dir::new(db, "bench-query");
    let opts = Options::default().block_cache_bytes(cache_mb << 20);
    let store = Store::open(dir.path(), opts).map_err(|e| e.to_string())?;
    let synth = Synth::new(SynthConfig { items, ..SynthConfig::default() });
    let mut rng = SplitMix64::new(7);
    let mut samples = Samples::default();
    let fresh = store.stats().map_err(|e| e.to_string())?.events == 0;
    let progress = Progress::new(if fresh { "ingest" } else { "sampling" }, Some(items * 8));
    let mut events = 0u64;
    let t = Instant::now();
    for mut batch in synth.batches(4096) {
        for e in &mut batch {
            decorate(e);
            samples.see(e, &mut rng);
        }
        events += batch.len() as u64;
        if fresh {
            store.ingest(batch).map_err(|e| e.to_string())?;
        }
        progress.update(events);
    }
    progress.finish();
    if fresh {
        println!("ingested {events} events of {items} items in {:.0} s", t.elapsed().as_secs_f64());
        store.flush().map_err(|e| e.to_string())?;
    }
    print_header(runs);
    let mut out = Vec::new();
    for shape in shapes() {
        let mut lat = Vec::with_capacity(runs);
        let (mut examined, mut returned) = (0u64, 0u64);
        let mut queries = Vec::with_capacity(runs);
        for _ in 0..runs {
            let q = query_of(&(shape.draw)(&samples, &mut rng))?;
            let t = Instant::now();
            let page = store.event_query(&q).map_err(|e| e.to_string())?;
            lat.push(t.elapsed().as_secs_f64() * 1e3);
            examined += page.examined;
            returned += page.events.len() as u64;
            queries.push(q);
        }
        // The baseline: the same queries answered from the time index alone, 5 of them, each given at most
        // SCAN_BUDGET (a selective query's full scan of a large store takes minutes): one over the budget
        // counts as the budget, and the ratio is then a lower bound.
        let mut scan = Vec::new();
        let mut over = false;
        for q in queries.iter().take(5) {
            let t = Instant::now();
            let done = store.event_query_scan(q, SCAN_BUDGET).map_err(|e| e.to_string())?;
            scan.push(t.elapsed().as_secs_f64() * 1e3);
            if done.is_none() {
                over = true;
                break;
            }
        }
        #[allow(clippy::cast_precision_loss, reason = "ratios for display")]
        let m = Measured {
            name: shape.name,
            p50: percentile(&mut lat, 0.5),
            p99: percentile(&mut lat, 0.99),
            examined_per_returned: examined as f64 / (returned.max(1)) as f64,
            returned: returned as f64 / runs.max(1) as f64,
            scan_runs: scan.len(),
            scan_over: over,
            scan_p50: (!scan.is_empty()).then(|| percentile(&mut scan, 0.5)),
        };
        print_row(&m);
        out.push(m);
    }
    let rows: Vec<Value> = out
        .iter()
        .map(|m| {
            json!({"shape": m.name, "p50_ms": m.p50, "p99_ms": m.p99, "examined_per_returned": m.examined_per_returned,
                   "returned_mean": m.returned, "scan_p50_ms": m.scan_p50, "scan_runs": m.scan_runs, "scan_over_budget": m.scan_over,
                   "scan_over_plan": m.scan_p50.map(|s| s / m.p50.max(1e-6)),
                   "met": m.p50 <= P50_MS && m.p99 <= P99_MS})
        })
        .collect();
    write_json(
        json_path,
        &json!({"bench": "query", "items": items, "events": events, "runs": runs,
        "targets": {"p50_ms": P50_MS, "p99_ms": P99_MS}, "shapes": rows}),
    )
}

fn print_header(runs: usize) {
    println!("first page of 100 events, {runs} runs per shape (targets: p50 <= {P50_MS} ms, p99 <= {P99_MS} ms)");
    println!(
        "{:<34} {:>9} {:>9} {:>10} {:>9} {:>12} {:>10}  met",
        "shape", "p50 ms", "p99 ms", "exam/ret", "returned", "scan p50 ms", "scan/plan"
    );
}

/// One shape's row, printed as soon as it is measured (a large store's scans take minutes).
fn print_row(m: &Measured) {
    use std::io::Write as _;
    let ge = if m.scan_over { ">" } else { "" };
    let scan = m.scan_p50.map_or_else(String::new, |s| format!("{ge}{s:.2}"));
    let ratio = m.scan_p50.map_or_else(String::new, |s| format!("{ge}{:.1}", s / m.p50.max(1e-6)));
    let met = if m.p50 <= P50_MS && m.p99 <= P99_MS { "yes" } else { "NO" };
    println!(
        "{:<34} {:>9.3} {:>9.3} {:>10.2} {:>9.1} {:>12} {:>10}  {met}",
        m.name, m.p50, m.p99, m.examined_per_returned, m.returned, scan, ratio
    );
    let _ = std::io::stdout().flush();
}
