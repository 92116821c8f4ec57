//! The files of `src/` import each other without a circle: every path a file names through
//! `crate::`, `super::`, `self::` or a child module (outside its tests) is resolved to the file it
//! points into, and the graph of those edges must be acyclic. A circle means two files that can
//! be understood, and changed, only together. A `pub use` re-export is a name, not a use: a path
//! through it leads to the file that defines the item. A module's own file (`mod.rs`) using the
//! files beneath it is how the module is put together, not a dependency between modules, so
//! those edges are left out; every other edge counts. The same edges never lead from a lower
//! floor of the crate to a higher one ([`FLOORS`]).

use std::collections::BTreeMap;
use std::path::Path;

/// One file of `src/`: its code (without comments and tests), its re-exports and its uses.
struct File {
    code: String,
    /// Name re-exported here → the path it names.
    reexports: BTreeMap<String, Vec<String>>,
}

/// Module path (`backend::gpu::network`, "" for lib.rs) → its file.
fn files() -> BTreeMap<String, File> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, File>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                let mut inner = prefix.to_vec();
                inner.push(name);
                walk(&path, &inner, out);
            } else if path.extension().is_some_and(|e| e == "rs") && name != "tests" {
                let mut module = prefix.to_vec();
                if !matches!(name.as_str(), "mod" | "lib" | "main") {
                    module.push(name);
                }
                let text = std::fs::read_to_string(&path).unwrap();
                // Inline test modules close their files.
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                let lines: Vec<&str> = code
                    .lines()
                    .map(|l| l.split("//").next().unwrap_or_default())
                    .collect();
                let (exports, uses): (Vec<&str>, Vec<&str>) = lines
                    .into_iter()
                    .partition(|l| l.trim_start().starts_with("pub use "));
                let code = uses.join("\n");
                let mut reexports = BTreeMap::new();
                for line in exports {
                    let exported = line.trim_start().trim_start_matches("pub use ");
                    let exported = exported.trim_end().trim_end_matches(';');
                    for path in named_paths(&module, &format!("self::{exported}")) {
                        if let Some(name) = path.last() {
                            reexports.insert(name.clone(), path);
                        }
                    }
                }
                out.insert(module.join("::"), File { code, reexports });
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut out,
    );
    out
}

/// The paths that `code` (in the file of `module`) names through `crate::`, `super::`, `self::`
/// or a child module it declares, each as segments from the crate's root.
fn named_paths(module: &[String], code: &str) -> Vec<Vec<String>> {
    let children: Vec<String> = code
        .lines()
        .filter_map(|l| {
            let l = l
                .trim()
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("pub ");
            l.strip_prefix("mod ")?.strip_suffix(';').map(String::from)
        })
        .collect();
    let mut heads: Vec<String> = ["crate::", "super::", "self::"].map(String::from).into();
    heads.extend(children.iter().map(|c| format!("{c}::")));
    let mut paths = Vec::new();
    for head in &heads {
        for (start, _) in code.match_indices(head.as_str()) {
            let inside_a_path = code[..start]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            if inside_a_path {
                continue;
            }
            let mut base = match head.as_str() {
                "crate::" => Vec::new(),
                "super::" => module[..module.len().saturating_sub(1)].to_vec(),
                "self::" => module.to_vec(),
                child => [module, &[child.trim_end_matches("::").to_string()]].concat(),
            };
            let rest = &code[start + head.len()..];
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            for segment in path.split("::").filter(|s| !s.is_empty()) {
                if segment == "super" {
                    base.pop();
                } else {
                    base.push(segment.to_string());
                }
            }
            let after = &rest[path.len()..];
            if path.ends_with("::") && after.starts_with('{') {
                let group = &after[1..after.find('}').unwrap_or(after.len())];
                for item in group.split(',') {
                    let first = item.trim().split([':', ' ']).next().unwrap_or_default();
                    if !first.is_empty() && first != "self" {
                        paths.push([&base[..], &[first.to_string()]].concat());
                    }
                }
            }
            paths.push(base);
        }
    }
    paths
}

/// The file `path` leads into: its longest prefix that is a module, followed through
/// re-exports.
fn resolve(files: &BTreeMap<String, File>, path: &[String]) -> Option<String> {
    let k = (0..=path.len())
        .rev()
        .find(|&k| files.contains_key(&path[..k].join("::")))?;
    let module = path[..k].join("::");
    match path
        .get(k)
        .and_then(|name| files[&module].reexports.get(name))
    {
        Some(target) if target.as_slice() != path => {
            let mut through = target.clone();
            through.extend_from_slice(&path[k + 1..]);
            resolve(files, &through)
        }
        _ => Some(module),
    }
}

#[test]
fn no_file_of_src_imports_in_a_circle() {
    let files = files();
    let mut edges: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (module, file) in &files {
        let segments: Vec<String> = module
            .split("::")
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let mut targets: Vec<String> = named_paths(&segments, &file.code)
            .iter()
            .filter_map(|p| resolve(&files, p))
            .filter(|t| t != module)
            .filter(|t| !(module.is_empty() || t.starts_with(&format!("{module}::"))))
            .collect();
        targets.sort();
        targets.dedup();
        edges.insert(module, targets);
    }
    // A depth-first search that reports the first circle it meets, as its chain of files.
    fn visit<'a>(
        m: &'a str,
        edges: &'a BTreeMap<&str, Vec<String>>,
        done: &mut BTreeMap<&'a str, bool>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        done.insert(m, false);
        stack.push(m);
        for t in &edges[m] {
            match done.get(t.as_str()) {
                Some(false) => {
                    let from = stack.iter().position(|s| s == t).unwrap();
                    let mut circle: Vec<String> =
                        stack[from..].iter().map(|s| s.to_string()).collect();
                    circle.push(t.clone());
                    return Some(circle);
                }
                Some(true) => {}
                None => {
                    if let Some(c) = visit(t, edges, done, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        done.insert(m, true);
        None
    }
    let mut done = BTreeMap::new();
    for m in edges.keys() {
        if !done.contains_key(m)
            && let Some(circle) = visit(m, &edges, &mut done, &mut Vec::new())
        {
            panic!("files of src/ import in a circle: {}", circle.join(" → "));
        }
    }
    // The walk found the crate (a sanity check on the paths, not on the graph).
    assert!(edges.len() > 50, "only {} files found", edges.len());
    assert!(edges["backend::engine"].contains(&"backend::population".to_string()));
}

/// The floors of `src/`, lowest first, each a list of top-level modules: a file imports only
/// from its own floor and the floors below it. A model is described, then lowered to what it
/// computes, then run by an engine, for a job a front end asked for. Networks sit with the
/// engines, not with the descriptions: sampling one fills every state a group leaves out with
/// the model's steady state and checks each group's parameters, which are the kernel's.
const FLOORS: [(&str, &[&str]); 5] = [
    ("ground", &["error", "memory", "notes"]),
    ("description", &["model", "input", "integrate", "monitor"]),
    ("kernel", &["kernel"]),
    ("engines", &["network", "backend"]),
    (
        "jobs and front ends",
        &["builtin", "sweep", "validate", "analysis", "output", "cli"],
    ),
];

/// The floor of a file of `src/`, by its top-level module; `None` for lib.rs and main.rs.
fn floor(module: &str) -> Option<usize> {
    let top = module.split("::").next().filter(|t| !t.is_empty())?;
    let found = FLOORS
        .iter()
        .position(|(_, modules)| modules.contains(&top));
    Some(found.unwrap_or_else(|| panic!("module {top} is on no floor: add it to FLOORS")))
}

#[test]
fn no_file_imports_from_a_higher_floor() {
    let files = files();
    let mut upward = Vec::new();
    for (module, file) in &files {
        let Some(from) = floor(module) else { continue };
        let segments: Vec<String> = module.split("::").map(String::from).collect();
        for path in named_paths(&segments, &file.code) {
            let Some(target) = resolve(&files, &path) else {
                continue;
            };
            if let Some(to) = floor(&target).filter(|&to| to > from) {
                upward.push(format!(
                    "{module} ({}) → {target} ({})",
                    FLOORS[from].0, FLOORS[to].0
                ));
            }
        }
    }
    upward.sort();
    upward.dedup();
    assert!(
        upward.is_empty(),
        "imports from a higher floor:\n{}",
        upward.join("\n")
    );
    // Every floor is populated (a sanity check on the module names, not on the imports).
    for (name, modules) in FLOORS {
        for m in modules {
            assert!(
                files
                    .keys()
                    .any(|k| k == m || k.starts_with(&format!("{m}::"))),
                "floor {name}: no module {m}"
            );
        }
    }
}

/// Only the GPU backend talks to wgpu: no other file's code names it.
#[test]
fn only_the_gpu_backend_names_wgpu() {
    let outside: Vec<String> = files()
        .into_iter()
        .filter(|(module, file)| {
            !module.starts_with("backend::gpu") && file.code.contains("wgpu::")
        })
        .map(|(module, _)| module)
        .collect();
    assert!(outside.is_empty(), "wgpu named in {outside:?}");
}
