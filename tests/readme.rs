//! The README is the contract with operators: every command the server
//! runs is listed in its command table, and every directive that is
//! accepted but has no effect yet is named as such. These tests keep the
//! two in step with the code.

use redis_mio::commands::COMMAND_TABLE;

fn readme_section(title: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme
        .find(&format!("\n## {title}\n"))
        .unwrap_or_else(|| panic!("README has no '## {title}' section"));
    let rest = &readme[start + title.len() + 5..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    rest[..end].to_string()
}

#[test]
fn every_command_is_in_the_readme_table() {
    let section = readme_section("Commands").to_ascii_uppercase();
    let missing: Vec<String> = COMMAND_TABLE
        .iter()
        .map(|c| c.name.to_ascii_uppercase())
        .filter(|name| !section.contains(&format!("`{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "commands missing from README: {missing:?}"
    );
}

#[test]
fn every_directive_without_effect_is_listed() {
    let section = readme_section("Configuration");
    let missing: Vec<&str> = redis_mio::config::no_effect_yet_names()
        .into_iter()
        .filter(|name| !section.contains(&format!("`{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "directives missing from README: {missing:?}"
    );
}

#[test]
fn directives_listed_without_effect_really_have_none() {
    let section = readme_section("Configuration");
    let no_effect = redis_mio::config::no_effect_yet_names();
    let wrong: Vec<&str> = section
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|name| redis_mio::config::lookup_config(name.as_bytes()).is_some())
        .filter(|name| !no_effect.contains(name))
        .collect();
    assert!(
        wrong.is_empty(),
        "listed as without effect but live: {wrong:?}"
    );
}
