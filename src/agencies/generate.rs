//! Synthetic registries for benchmarks and scale tests: deterministic, Japanese,
//! shaped like real 関係機関 (names, readings, overviews, contacts).

use super::model::{AgencyInput, ContactInput, DEFAULT_FIELDS};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

const PLACES: [(&str, &str); 12] = [
    ("あおば", "青葉"),
    ("さくら", "桜"),
    ("みどり", "緑"),
    ("ひかり", "光"),
    ("かわばた", "川端"),
    ("ほんまち", "本町"),
    ("みなと", "港"),
    ("やまて", "山手"),
    ("ひがし", "東"),
    ("にし", "西"),
    ("きた", "北"),
    ("みなみ", "南"),
];
const KINDS: [(&str, &str, usize); 12] = [
    ("こどもびょういん", "こども病院", 0),
    ("しょうにかくりにっく", "小児科クリニック", 0),
    ("ほうもんかんごすてーしょん", "訪問看護ステーション", 1),
    ("そうだんしえんじぎょうしょ", "相談支援事業所", 3),
    ("じどうはったつしえんせんたー", "児童発達支援センター", 3),
    ("しょうがっこう", "小学校", 4),
    ("とくべつしえんがっこう", "特別支援学校", 4),
    ("しゅうろうしえんせんたー", "就労支援センター", 5),
    ("かぞくのかい", "家族の会", 6),
    ("ほけんせんたー", "保健センター", 7),
    ("しゃかいふくしきょうぎかい", "社会福祉協議会", 2),
    ("こどもしえんねっと", "子ども支援ネット", 8),
];
const TOPICS: [&str; 16] = [
    "慢性腎疾患",
    "1型糖尿病",
    "先天性心疾患",
    "小児がん",
    "医療的ケア",
    "てんかん",
    "重症心身障害",
    "移行期医療",
    "学校生活",
    "就学相談",
    "レスパイト",
    "きょうだい支援",
    "就労準備",
    "復学支援",
    "在宅療養",
    "災害時の備え",
];
const SURNAMES: [&str; 12] = [
    "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田",
];
const GIVEN: [&str; 10] = [
    "美穂",
    "健一",
    "由美",
    "誠",
    "さくら",
    "翔太",
    "恵",
    "大輔",
    "直子",
    "和子",
];

/// `n` agencies, the same for the same seed.
pub fn synthetic(n: usize, seed: u64) -> Vec<AgencyInput> {
    let mut r = Rng(seed.max(1));
    (0..n)
        .map(|i| {
            let (place_r, place) = PLACES[(r.next() % PLACES.len() as u64) as usize];
            let (kind_r, kind, field) = KINDS[(r.next() % KINDS.len() as u64) as usize];
            let t1 = r.pick(&TOPICS);
            let t2 = r.pick(&TOPICS);
            let no = i + 1;
            AgencyInput {
                field: DEFAULT_FIELDS[field].to_string(),
                name: format!("{place}{kind} 第{no}"),
                reading: format!("{place_r}{kind_r} だい{no}"),
                address: format!("デモ市{place}町{}-{}-{}", r.next() % 9 + 1, r.next() % 20 + 1, r.next() % 30 + 1),
                overview: format!("{place}地区で{t1}のある子どもと家族を支える{kind}。{t2}についての相談にも応じる。"),
                url: format!("https://agency{no}.example.jp/"),
                is_new: r.next().is_multiple_of(3),
                services: format!("{t1}の相談、{t2}に関する情報提供、関係機関との連絡調整"),
                strengths: format!("{t2}の経験が豊富な職員がいる"),
                disease_groups: vec![(r.next() % 16 + 1) as i64],
                age_min: Some(0),
                age_max: Some(if r.next().is_multiple_of(2) { 18 } else { 20 }),
                hours: "平日 9:00〜17:00".into(),
                notes: String::new(),
                contacts: vec![ContactInput {
                    name: format!("{} {}", r.pick(&SURNAMES), r.pick(&GIVEN)),
                    department: "相談窓口".into(),
                    phone: format!("099-{:03}-{:04}", r.next() % 1000, r.next() % 10000),
                    email: format!("soudan@agency{no}.example.jp"),
                    best_time: "午後".into(),
                }],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agencies::model::validate;

    #[test]
    fn synthetic_agencies_are_valid_and_deterministic() {
        let fields: Vec<String> = DEFAULT_FIELDS.iter().map(|s| s.to_string()).collect();
        let a = synthetic(200, 7);
        assert_eq!(a, synthetic(200, 7));
        for x in &a {
            validate(x, &fields).unwrap();
        }
    }
}
