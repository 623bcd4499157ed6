//! Placeholder until the renderer lands.
pub struct Node {
    pub label: String,
    pub sub: String,
    pub field: String,
    pub strength: u8,
    pub when: String,
}
pub fn render(child_label: &str, nodes: &[Node]) -> String {
    format!("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{}の頼れる人マップ：{}件\"></svg>", child_label, nodes.len())
}
pub fn render_blank_worksheet() -> String {
    "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>".into()
}
