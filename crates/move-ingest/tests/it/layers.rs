//! The layers of the crate point one way: read from the sources, no chain of `crate::` paths
//! leads from a top-level module back to itself, and every module imports only from the layers
//! below it in the table of `src/lib.rs` (so the table stays the truth about the code).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Modules left out: the command line sits on top of everything and may be used by `commands`.
const IGNORED: [&str; 3] = ["cli", "main", "lib"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to: `src/config.rs` and `src/config/raw.rs` → `config`.
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The code of a file as the checks read it: up to its `#[cfg(test)]` line (test modules sit
/// at the end), with `//` comments blanked (lines keep their numbers).
fn code_of(text: &str) -> String {
    let mut code = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            // `#[cfg(test)] mod tests;` only declares a file of tests: the code goes on.
            if lines.peek().is_some_and(|l| l.trim().ends_with(';')) {
                lines.next();
                code.push_str("\n\n");
                continue;
            }
            break;
        }
        code.push_str(line.split("//").next().unwrap_or(""));
        code.push('\n');
    }
    code
}

/// The first identifier of `s`.
fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The modules a `crate::` path names, `rest` being what follows `crate::`: one for
/// `crate::store::Store`, each first name in `crate::{store::Store, api::{self, Client}}`.
fn named(rest: &str) -> Vec<&str> {
    let Some(group) = rest.strip_prefix('{') else {
        return vec![ident(rest)];
    };
    let (mut depth, mut names, mut start) = (0usize, Vec::new(), Some(0));
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => start = Some(i + 1),
            c if !c.is_whitespace() => {
                if let Some(s) = start.take() {
                    names.push(ident(group[s..].trim_start()));
                }
            }
            _ => {}
        }
    }
    names
}

/// Each edge `from -> to` with the places (file:line) that make it, from every `crate::` path
/// in code (not in tests or comments).
fn edges(modules: &BTreeSet<String>) -> BTreeMap<(String, String), Vec<String>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut edges: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for file in files {
        let from = module_of(&file);
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        for (at, _) in code.match_indices("crate::") {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            let line = code[..at].matches('\n').count() + 1;
            for to in named(&code[at + "crate::".len()..]) {
                if to != from && modules.contains(to) {
                    let rel = file.strip_prefix(src()).unwrap().display();
                    edges
                        .entry((from.clone(), to.to_string()))
                        .or_default()
                        .push(format!("{rel}:{line}"));
                }
            }
        }
    }
    edges
}

fn top_level_modules() -> BTreeSet<String> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files
        .iter()
        .map(|f| module_of(f))
        .filter(|m| !IGNORED.contains(&m.as_str()))
        .collect()
}

/// The layer of each module, from the table in `src/lib.rs`'s doc: rows like
/// `//! | 2 | [`store`], [`api`] | what |`.
fn layers() -> BTreeMap<String, u32> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let mut layers = BTreeMap::new();
    for line in lib.lines() {
        let cells: Vec<&str> = line.trim_start_matches("//!").split('|').collect();
        let (Some(layer), Some(names)) = (cells.get(1), cells.get(2)) else {
            continue;
        };
        let Ok(layer) = layer.trim().parse::<u32>() else {
            continue;
        };
        for name in names.split(',') {
            let name = name.trim().trim_matches(|c| "[]`".contains(c));
            layers.insert(name.to_string(), layer);
        }
    }
    layers
}

/// Strongly connected components of more than one module (Tarjan's algorithm).
fn cycles(modules: &BTreeSet<String>, edges: &BTreeSet<(String, String)>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        next: BTreeMap<&'a str, Vec<&'a str>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn strong<'a>(w: &mut Walk<'a>, v: &'a str) {
        let i = w.index.len();
        w.index.insert(v, i);
        w.low.insert(v, i);
        w.stack.push(v);
        for u in w.next.get(v).cloned().unwrap_or_default() {
            if !w.index.contains_key(u) {
                strong(w, u);
                let low = w.low[v].min(w.low[u]);
                w.low.insert(v, low);
            } else if w.stack.contains(&u) {
                let low = w.low[v].min(w.index[u]);
                w.low.insert(v, low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut comp = Vec::new();
            while let Some(u) = w.stack.pop() {
                comp.push(u.to_string());
                if u == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                w.found.push(comp);
            }
        }
    }
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in edges {
        next.entry(a.as_str()).or_default().push(b.as_str());
    }
    let mut w = Walk {
        next,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for m in modules {
        if !w.index.contains_key(m.as_str()) {
            strong(&mut w, m);
        }
    }
    w.found
}

#[test]
fn no_top_level_module_reaches_itself_through_its_imports() {
    let modules = top_level_modules();
    let edges = edges(&modules);
    let pairs: BTreeSet<(String, String)> = edges.keys().cloned().collect();
    let found = cycles(&modules, &pairs);
    let mut report = String::new();
    for comp in &found {
        report.push_str(&format!("cycle of {}: {}\n", comp.len(), comp.join(", ")));
        for ((a, b), at) in &edges {
            if comp.contains(a) && comp.contains(b) {
                report.push_str(&format!("  {a} -> {b}: {}\n", at.join(", ")));
            }
        }
    }
    assert!(
        found.is_empty(),
        "imports between top-level modules form a cycle:\n{report}"
    );
}

#[test]
fn every_module_imports_only_from_the_layers_below_it_in_lib_rs() {
    let modules = top_level_modules();
    let layers = layers();
    let missing: Vec<&String> = modules
        .iter()
        .filter(|m| !layers.contains_key(*m))
        .collect();
    assert!(
        missing.is_empty(),
        "top-level modules missing from the layer table in src/lib.rs: {missing:?}"
    );
    let upward: Vec<String> = edges(&modules)
        .into_iter()
        .filter(|((a, b), _)| layers[b] > layers[a])
        .map(|((a, b), at)| {
            format!(
                "{a} (layer {}) -> {b} (layer {}): {}",
                layers[&a],
                layers[&b],
                at.join(", ")
            )
        })
        .collect();
    assert!(
        upward.is_empty(),
        "imports that point up:\n{}",
        upward.join("\n")
    );
}

#[test]
fn grouped_and_multi_line_imports_count() {
    assert_eq!(named("store::Store;"), vec!["store"]);
    assert_eq!(
        named("{\n    api::{self, Client},\n    store::Store,\n};"),
        vec!["api", "store"]
    );
    let code = code_of("use crate::api; // crate::store\n#[cfg(test)]\nuse crate::service;\n");
    assert!(code.contains("crate::api") && !code.contains("crate::store"));
    assert!(!code.contains("crate::service"));
    let declared = code_of(
        "#[cfg(test)]\nmod tests;\nuse crate::store;\n#[cfg(test)]\nmod t {\nuse crate::api;\n}\n",
    );
    assert!(declared.contains("crate::store") && !declared.contains("crate::api"));
}

#[test]
fn the_checks_see_a_cycle_when_there_is_one() {
    // The checker itself, on a made-up graph: a -> b -> c -> a, and d -> a.
    let modules: BTreeSet<String> = ["a", "b", "c", "d"].map(String::from).into();
    let edges: BTreeSet<(String, String)> = [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]
        .map(|(x, y)| (x.to_string(), y.to_string()))
        .into();
    assert_eq!(cycles(&modules, &edges), vec![vec!["a", "b", "c"]]);
    let acyclic: BTreeSet<(String, String)> = [("a", "b"), ("b", "c"), ("d", "a")]
        .map(|(x, y)| (x.to_string(), y.to_string()))
        .into();
    assert!(cycles(&modules, &acyclic).is_empty());
}
