//! `yorube report cost`: the outsourcing cost comparison (the guide's 3-3) on the
//! command line, with the same checks and rounding rule as the page and the API.

use clap::{Args, Subcommand, ValueEnum};

use crate::reports::cost::api::out;
use crate::reports::cost::model::{group, hours_label, CostForm, CostInput};

#[derive(Subcommand)]
pub enum ReportCmd {
    /// 委託の費用比較（直営と委託の年間費用）。入力を何も指定しなければ手引きの例を計算する
    Cost(CostArgs),
}

#[derive(Clone, Copy, ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Args)]
pub struct CostArgs {
    /// 訪問の件数（年間）
    #[arg(long)]
    visits: Option<String>,
    /// 訪問1件の時間（分）
    #[arg(long)]
    visit_minutes: Option<String>,
    /// 面接の件数（年間）
    #[arg(long)]
    interviews: Option<String>,
    /// 面接1件の時間（分）
    #[arg(long)]
    interview_minutes: Option<String>,
    /// 電話の件数（年間）
    #[arg(long)]
    calls: Option<String>,
    /// 電話1件の時間（分）
    #[arg(long)]
    call_minutes: Option<String>,
    /// その他の方法の名前（例: 同行）
    #[arg(long)]
    other_label: Option<String>,
    /// その他の件数（年間）
    #[arg(long)]
    others: Option<String>,
    /// その他1件の時間（分）
    #[arg(long)]
    other_minutes: Option<String>,
    /// 職員の時給（円）
    #[arg(long)]
    wage: Option<String>,
    /// その他の直営経費（円/年）
    #[arg(long)]
    other_costs: Option<String>,
    /// 委託料（円/年）
    #[arg(long)]
    contract: Option<String>,
    /// 国庫補助率（1/2、0.5、50%）
    #[arg(long)]
    subsidy: Option<String>,
    /// 出力の形式
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

impl CostArgs {
    fn form(&self) -> CostForm {
        let all = [
            &self.visits,
            &self.visit_minutes,
            &self.interviews,
            &self.interview_minutes,
            &self.calls,
            &self.call_minutes,
            &self.other_label,
            &self.others,
            &self.other_minutes,
            &self.wage,
            &self.other_costs,
            &self.contract,
            &self.subsidy,
        ];
        if all.iter().all(|v| v.is_none()) {
            return CostForm::from_input(&CostInput::guide_example());
        }
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        CostForm {
            visits: s(&self.visits),
            visit_minutes: s(&self.visit_minutes),
            interviews: s(&self.interviews),
            interview_minutes: s(&self.interview_minutes),
            calls: s(&self.calls),
            call_minutes: s(&self.call_minutes),
            other_label: s(&self.other_label),
            others: s(&self.others),
            other_minutes: s(&self.other_minutes),
            wage: s(&self.wage),
            other_costs: s(&self.other_costs),
            contract: s(&self.contract),
            subsidy: s(&self.subsidy),
        }
    }
}

pub async fn run(cmd: ReportCmd) -> anyhow::Result<()> {
    match cmd {
        ReportCmd::Cost(a) => {
            let input = a
                .form()
                .parse()
                .map_err(|e| super::cli_err(crate::AppError::Validation(e)))?;
            let o = out(&input);
            match a.format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&o)?),
                Format::Text => {
                    for l in &o.lines {
                        println!("{}: {} 件 × {} 分", l.label, group(l.count), l.minutes);
                    }
                    let r = &o.result;
                    println!("合計時間: {} 時間", hours_label(r.total_hours));
                    println!("直営の費用: {} 円", group(r.in_house_cost_yen));
                    println!(
                        "委託の実質負担: {} 円（委託料 {} 円、補助率 {}）",
                        group(r.contract_cost_net_yen),
                        group(o.contract),
                        input.subsidy.label()
                    );
                    println!("差額（直営 − 委託）: {} 円", group(r.difference_yen));
                }
            }
            Ok(())
        }
    }
}
