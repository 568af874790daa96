//! The app's command names, shared by `build.rs` (permissions) and the capability file's test.

/// Every command the webview may call. Adding a command means adding it here and to
/// `capabilities/default.json`.
pub const ALL: &[&str] = &[
    "startup",
    "open_store",
    "open_demo",
    "pick_local_store",
    "list_projects",
    "list_runs",
    "get_run",
    "list_artifacts",
    "preview_artifact",
    "save_artifact_as",
    "sampled_histories",
    "edit_runs",
    "edit_experiment",
    "remember_place",
    "open_link",
    "list_connections",
    "save_connection",
    "remove_connection",
    "open_connection",
    "test_connection",
    "forget_recent",
    "pick_path",
    "live_status",
    "list_models",
    "list_prompts",
    "get_model",
    "transition_version",
    "change_alias",
    "edit_model",
    "get_version",
    "edit_version",
    "run_models",
    "register_model",
    "get_prompt",
    "compare_runs",
    "run_values",
    "export_chart",
    "save_chart_as",
    // LLM tables and traces (#8)
    "run_tables",
    "open_table",
    "table_rows",
    "table_cell",
    "compare_tables",
    "search_traces",
    "get_trace",
    // Reviews and their reports (#10)
    "list_reviews",
    "get_review",
    "create_review",
    "add_to_review",
    "edit_review",
    "delete_review",
    "record_decision",
    "review_report_html",
    "save_review_report_as",
    "save_review_charts_as",
    "set_fullscreen",
];

#[cfg(test)]
mod tests {
    /// The capability grants exactly our commands: no plugin, no core permission, nothing missing.
    #[test]
    fn capability_grants_exactly_the_app_commands() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/capabilities/default.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut granted: Vec<String> = json["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect();
        let mut expected: Vec<String> = super::ALL
            .iter()
            .map(|c| format!("allow-{}", c.replace('_', "-")))
            .collect();
        granted.sort();
        expected.sort();
        assert_eq!(granted, expected);
        assert_eq!(json["windows"], serde_json::json!(["main"]));
    }

    /// The CSP allows no inline script, no eval and no remote origin.
    #[test]
    fn content_security_policy_is_strict() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tauri.conf.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let csp = json["app"]["security"]["csp"].as_str().unwrap();
        for token in csp.split([' ', ';']).filter(|t| !t.is_empty()) {
            assert!(!token.contains('*'), "CSP has a wildcard {token}: {csp}");
            let remote_or_unsafe = ["'unsafe-inline'", "'unsafe-eval'", "http:", "https:"].contains(&token)
                || (token.starts_with("http") && token != "http://ipc.localhost");
            assert!(!remote_or_unsafe, "CSP allows {token}: {csp}");
        }
        assert!(
            csp.contains("default-src 'self'") && csp.contains("object-src 'none'"),
            "{csp}"
        );
    }
}
