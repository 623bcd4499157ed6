//! Test helper shared by the SVG renderers' tests (ecomap, chart): a small
//! well-formedness check of the XML they produce.

/// タグの対応・属性の引用符・実体参照を確かめる簡易 XML 検査。
pub fn check_xml(doc: &str) -> Result<(), String> {
    fn check_text(t: &str) -> Result<(), String> {
        let mut rest = t;
        while let Some(p) = rest.find('&') {
            let after = &rest[p + 1..];
            let end = after
                .find(';')
                .ok_or_else(|| format!("& without ; in {t:?}"))?;
            let ent = &after[..end];
            let ok = matches!(ent, "amp" | "lt" | "gt" | "quot" | "apos")
                || (ent.starts_with("#x")
                    && ent.len() > 2
                    && ent[2..].chars().all(|c| c.is_ascii_hexdigit()))
                || (ent.starts_with('#')
                    && ent.len() > 1
                    && ent[1..].chars().all(|c| c.is_ascii_digit()));
            if !ok {
                return Err(format!("bad entity &{ent};"));
            }
            rest = &after[end + 1..];
        }
        if t.contains('<') {
            return Err("raw < in text".into());
        }
        Ok(())
    }
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut rest = doc;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("<!--") {
            let e = r.find("-->").ok_or("unterminated comment")?;
            rest = &r[e + 3..];
            continue;
        }
        if let Some(r) = rest.strip_prefix('<') {
            // タグの終わり（引用符の中の > は無視）
            let mut q = false;
            let mut end = None;
            for (i, c) in r.char_indices() {
                match c {
                    '"' => q = !q,
                    '>' if !q => {
                        end = Some(i);
                        break;
                    }
                    '<' if !q => return Err("< inside tag".into()),
                    _ => {}
                }
            }
            let end = end.ok_or("unterminated tag")?;
            let tag = &r[..end];
            rest = &r[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                let top = stack.pop().ok_or_else(|| format!("unexpected </{name}>"))?;
                if top != name.trim() {
                    return Err(format!("</{name}> closes <{top}>"));
                }
                continue;
            }
            let self_close = tag.ends_with('/');
            let body = tag.trim_end_matches('/');
            let name_end = body.find(|c: char| c.is_whitespace()).unwrap_or(body.len());
            let name = &body[..name_end];
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':')
            {
                return Err(format!("bad tag name {name:?}"));
            }
            let mut attrs = body[name_end..].trim();
            let mut seen: Vec<&str> = Vec::new();
            while !attrs.is_empty() {
                let eq = attrs
                    .find('=')
                    .ok_or_else(|| format!("attribute without value in <{name}>"))?;
                let an = &attrs[..eq];
                if an.is_empty()
                    || !an
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':')
                {
                    return Err(format!("bad attribute name {an:?}"));
                }
                if seen.contains(&an) {
                    return Err(format!("duplicate attribute {an}"));
                }
                seen.push(an);
                let v = attrs[eq + 1..]
                    .strip_prefix('"')
                    .ok_or("unquoted attribute")?;
                let ve = v.find('"').ok_or("unterminated attribute")?;
                check_text(&v[..ve])?;
                let after = &v[ve + 1..];
                if !after.is_empty() && !after.starts_with(char::is_whitespace) {
                    return Err("no space between attributes".into());
                }
                attrs = after.trim_start();
            }
            if stack.is_empty() {
                roots += 1;
            }
            if !self_close {
                stack.push(name.to_string());
            }
        } else {
            let e = rest.find('<').unwrap_or(rest.len());
            let text = &rest[..e];
            if stack.is_empty() && !text.trim().is_empty() {
                return Err("text outside root".into());
            }
            check_text(text)?;
            rest = &rest[e..];
        }
    }
    if !stack.is_empty() {
        return Err(format!("unclosed {stack:?}"));
    }
    if roots != 1 {
        return Err(format!("{roots} roots"));
    }
    Ok(())
}
