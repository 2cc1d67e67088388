//! Placeholder templates for take names and metadata: `{device_label}`, `{stem}`, `{hostname}`,
//! `{file_name}`, `{subdir}`, `{rig}`.

use std::fmt;

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 6] = [
    "device_label",
    "stem",
    "hostname",
    "file_name",
    "subdir",
    "rig",
];

/// A checked template string.
#[derive(Clone, PartialEq, Eq)]
pub struct Template(String);

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// The values for one recording.
#[derive(Debug, Clone)]
pub struct Vars<'a> {
    pub device_label: &'a str,
    pub stem: &'a str,
    pub hostname: &'a str,
    pub file_name: &'a str,
    /// The folders between the device folder and the file, joined with '/' (often empty).
    pub subdir: &'a str,
    /// The `[[multicam]]` rig's name for a multicam take; empty for a single-camera one.
    pub rig: &'a str,
}

impl Template {
    /// Checks that every `{...}` names a known placeholder (`{{` and `}}` are literal braces).
    pub fn parse(s: &str) -> Result<Template, String> {
        render_with(s, |name| {
            if PLACEHOLDERS.contains(&name) {
                Ok(String::new())
            } else {
                Err(format!(
                    "unknown placeholder {{{name}}}; known: {}",
                    PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                ))
            }
        })?;
        Ok(Template(s.to_string()))
    }

    /// Fills the placeholders.
    pub fn render(&self, vars: &Vars<'_>) -> String {
        render_str(&self.0, vars)
    }
}

/// Fills placeholders in any string already checked by `Template::parse` (unknown ones stay as written).
pub fn render_str(s: &str, vars: &Vars<'_>) -> String {
    render_with(s, |name| {
        Ok(match name {
            "device_label" => vars.device_label.to_string(),
            "stem" => vars.stem.to_string(),
            "hostname" => vars.hostname.to_string(),
            "file_name" => vars.file_name.to_string(),
            "subdir" => vars.subdir.to_string(),
            "rig" => vars.rig.to_string(),
            other => format!("{{{other}}}"),
        })
    })
    .unwrap_or_else(|_| s.to_string())
}

/// Fills metadata values recursively: strings are templates, everything else is kept.
pub fn render_json(v: &serde_json::Value, vars: &Vars<'_>) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(render_str(s, vars)),
        Value::Array(a) => Value::Array(a.iter().map(|v| render_json(v, vars)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), render_json(v, vars)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn render_with(
    s: &str,
    mut var: impl FnMut(&str) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
        } else if tail.starts_with('}') {
            return Err("a lone `}`; write `}}` for a literal brace".into());
        } else {
            let end = tail
                .find('}')
                .ok_or("a `{` without its `}`; write `{{` for a literal brace")?;
            out.push_str(&var(&tail[1..end])?);
            rest = &tail[end + 1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars<'static> {
        Vars {
            device_label: "cam-a",
            stem: "take01",
            hostname: "rig1",
            file_name: "take01.mp4",
            subdir: "2026-12-01/day two",
            rig: "",
        }
    }

    #[test]
    fn fills_every_placeholder() {
        let t =
            Template::parse("{device_label}/{subdir}/{stem} on {hostname} ({file_name})").unwrap();
        assert_eq!(
            t.render(&vars()),
            "cam-a/2026-12-01/day two/take01 on rig1 (take01.mp4)"
        );
    }

    #[test]
    fn rig_is_the_rigs_name_and_empty_for_a_single_camera() {
        let t = Template::parse("{rig}:{stem}").unwrap();
        assert_eq!(t.render(&vars()), ":take01");
        let multicam = Vars {
            rig: "stage-a",
            ..vars()
        };
        assert_eq!(t.render(&multicam), "stage-a:take01");
        let meta = serde_json::json!({"rig": "{rig}", "n": 1});
        assert_eq!(
            render_json(&meta, &multicam),
            serde_json::json!({"rig": "stage-a", "n": 1})
        );
    }

    #[test]
    fn unknown_placeholder_is_an_error_naming_it() {
        let err = Template::parse("{device} {stem}").unwrap_err();
        assert!(err.contains("{device}"), "{err}");
    }

    #[test]
    fn doubled_braces_are_literal() {
        let t = Template::parse("{{x}} {stem}").unwrap();
        assert_eq!(t.render(&vars()), "{x} take01");
    }
}
