//! `tracecode masterdata`: SimpleMasterDataQuery over a store's master data, or an element's history.

use std::process::ExitCode;

use serde_json::json;
use tracecode::masterdata::{MasterDataQuery, Vocabulary, element_key};
use tracecode::store::TraceStore;

use crate::args::ReadDb;
use crate::query_cmd::bad_query;
use crate::store_cmd::{fail, open_read};

/// Arguments of `tracecode masterdata`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
PARAMETERS are the SimpleMasterDataQuery names: vocabularyName, includeAttributes, includeChildren,
attributeNames, EQ_name, WD_name, HASATTR, EQATTR_{attribute}, maxElementCount. Lists are comma-separated or
repeated:
  tracecode masterdata --db DIR includeAttributes=true WD_name=urn:epc:id:sgln:0614141.00777.0
Prints {\"vocabularyList\": [...]} (the EPCIS JSON form). Master data comes in with `tracecode import`
(document headers and EPCISMasterDataDocuments, JSON or XML).
EXIT STATUS: 0 ok (with or without elements), 1 a store error, 2 a bad parameter (the EPCIS exception named).")]
pub(crate) struct Args {
    #[command(flatten)]
    db: ReadDb,
    /// Print every stored version of this element (oldest first) instead of answering a query.
    #[arg(long, value_name = "ID", conflicts_with = "params")]
    history: Option<String>,
    /// Query parameters, NAME=VALUE.
    #[arg(value_name = "PARAMETERS")]
    params: Vec<String>,
}

/// Runs `tracecode masterdata`.
pub(crate) fn run(a: &Args) -> ExitCode {
    let pairs: Vec<(&str, &str)> = a.params.iter().map(|p| p.split_once('=').unwrap_or((p.as_str(), ""))).collect();
    let q = match MasterDataQuery::from_pairs(&pairs) {
        Ok(q) => q,
        Err(e) => return bad_query(&e),
    };
    let store = match open_read(&a.db) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Some(id) = &a.history {
        let key = element_key(id);
        return match store.master_data_versions() {
            Ok(vs) => {
                let rows: Vec<_> = vs
                    .into_iter()
                    .filter(|v| v.element.key() == key)
                    .map(|v| {
                        let list = Vocabulary::to_json_list(&[Vocabulary { kind: v.kind.clone(), elements: vec![v.element] }]);
                        json!({"version": v.version, "type": &*v.kind, "element": list.pointer("/0/vocabularyElementList/0")})
                    })
                    .collect();
                println!("{}", json!({ "id": id, "versions": rows }));
                ExitCode::SUCCESS
            }
            Err(e) => fail("masterdata", &e),
        };
    }
    match store.master_data(&q) {
        Ok(list) => {
            println!("{}", json!({ "vocabularyList": Vocabulary::to_json_list(&list) }));
            ExitCode::SUCCESS
        }
        Err(e) if e.kind().epcis_exception().is_some() => bad_query(&e),
        Err(e) => fail("masterdata", &e),
    }
}
