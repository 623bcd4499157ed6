//! `read_agencies` on arbitrary text-ish input: CSV/TSV in any encoding, HSDS JSON,
//! garbage. It must return Ok or Err, never panic.
//!
//!     cargo fuzz run -s none read_csv -- -max_total_time=60
#![no_main]

use libfuzzer_sys::fuzz_target;
use yorube::agencies::io::read_agencies;

const HEADER: &str = "分野,関係機関名,ふりがな,所在地,関係機関の概要,サイト,新規の関係機関,実施している支援内容,強み,対象疾患群,対象年齢,開所時間,備考,窓口となる担当者の連絡先,連携場面\n";

fuzz_target!(|data: &[u8]| {
    // The bytes as they are (format and encoding detection, any header).
    let _ = read_agencies(data, "fuzz.csv");
    // The bytes as rows under a known header, to reach every cell parser.
    let mut rows = HEADER.as_bytes().to_vec();
    rows.extend_from_slice(data);
    let _ = read_agencies(&rows, "fuzz.csv");
});
