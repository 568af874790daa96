//! End-to-end tests of the registry screens (issue #7) on stores written by real MLflow
//! (`fixtures/make_registry_fixture.py`): the models list, the stage board (a move by drag and
//! drop with "archive existing versions", a move by the "Move to…" menu), aliases set, moved and
//! removed, a description edited, a run's logged model registered, the version page's model card
//! and "Compare with…", prompts and their diff, hostile markup — each write checked with MLflow's
//! own client. On an SQLite store and on `mlflow server`; the file store read and one move; a
//! read-only user of `mlflow server --app-name basic-auth`; a store without a registry.
//! Screenshots go to `<target>/e2e-screenshots/registry-*.png`.

use runlens_tests::app::{App, Launch};
use runlens_tests::registry::{
    drop_registry, file_registry_store, model_state, registry_store, try_model_state, AuthServer, ModelState,
    RegistryManifest,
};
use runlens_tests::MlflowServer;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const TMP: &str = env!("CARGO_TARGET_TMPDIR");

fn empty_dir(label: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(TMP)
        .join("e2e-registry")
        .join(format!("{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn launch(label: &str, target: &str, env: Vec<(String, String)>) -> App {
    let app = App::launch(
        TMP,
        Launch {
            args: vec![target.to_string()],
            cwd: Some(empty_dir(label)),
            env,
            ..Default::default()
        },
    )
    .await;
    app.wait_for("#sidebar #nav-models").await;
    app
}

/// Waits until MLflow's view of a model satisfies `check`.
fn eventually(what: &str, mut read: impl FnMut() -> ModelState, check: impl Fn(&ModelState) -> bool) -> ModelState {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let state = read();
        if check(&state) {
            return state;
        }
        assert!(
            Instant::now() < deadline,
            "MLflow never saw: {what}; last read: {state:#?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn stages(pairs: &[(i64, &str)]) -> BTreeMap<i64, String> {
    pairs.iter().map(|(v, s)| (*v, s.to_string())).collect()
}

/// Sets a `<select>` as a user choosing an option does.
async fn choose(app: &App, css: &str, value: &str) {
    app.wait_for(css).await;
    let script = format!(
        "const s = document.querySelector({css:?}); s.value = {value:?}; s.dispatchEvent(new Event('change', {{bubbles: true}}));"
    );
    app.eval(&script).await;
}

/// Drags a version card onto a stage column with the browser's drag-and-drop events.
async fn drag(app: &App, version: i64, to: &str) {
    let card = format!(".version-card[data-version='{version}']");
    app.wait_for(&card).await;
    let script = format!(
        "const card = document.querySelector(\"{card}\"); \
         const column = document.querySelector(\".stage-column[data-stage='{to}']\"); \
         const dt = new DataTransfer(); \
         const fire = (el, type) => el.dispatchEvent(new DragEvent(type, {{bubbles: true, cancelable: true, dataTransfer: dt}})); \
         fire(card, 'dragstart'); fire(column, 'dragenter'); fire(column, 'dragover'); fire(column, 'drop'); fire(card, 'dragend');"
    );
    app.eval(&script).await;
}

/// The version numbers shown in a board column.
async fn column(app: &App, stage: &str) -> Vec<i64> {
    let script = format!(
        "return Array.from(document.querySelectorAll(\".stage-column[data-stage='{stage}'] .version-card\")).map(c => Number(c.dataset.version));"
    );
    app.eval(&script)
        .await
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_i64()).collect())
        .unwrap_or_default()
}

async fn wait_for_column(app: &App, stage: &str, expected: &[i64]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let shown = column(app, stage).await;
        if shown == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "column {stage} shows {shown:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn open_board(app: &App, model: &str) {
    app.click("#nav-models").await;
    app.wait_for("#models-table").await;
    app.click(&format!("tr.model-row[data-model='{model}'] a.model-link"))
        .await;
    app.wait_for("#model-name").await;
    app.click("#tab-board").await;
    app.wait_for("#stage-board .version-card").await;
}

async fn pwned(app: &App) -> bool {
    app.eval("return window.__runlens_pwned !== undefined").await == serde_json::Value::Bool(true)
}

/// The whole review-meeting flow on one store (SQLite or a server): what the proof lists.
async fn review_meeting(app: &App, uri: &str, m: &RegistryManifest, label: &str) {
    let churn = m.model("churn");

    // The models list: latest version per stage, aliases, tags, MaxFlow's experiment link.
    app.click("#nav-models").await;
    app.wait_for("#models-table").await;
    let row = format!("tr.model-row[data-model='{churn}']");
    let text = app.wait_for_text(&row, "Production").await;
    for needed in ["v2", "@champion", "@challenger", "team", "churn-prediction"] {
        assert!(text.contains(needed), "{needed} in {text:?}");
    }
    assert_eq!(
        app.count("tr.model-row").await,
        m.models.len(),
        "prompts are listed apart"
    );
    app.type_into("#model-search", "team=retail").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.count("tr.model-row").await != 1 {
        assert!(
            Instant::now() < deadline,
            "the tag search never narrowed the list to churn-model"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.wait_for(&row).await;
    app.screenshot(&format!("registry-{label}-models")).await;

    // The stage board before any move.
    open_board(app, churn).await;
    wait_for_column(app, "Production", &[2]).await;
    wait_for_column(app, "Staging", &[3]).await;
    let card = app.text(".version-card[data-version='3']").await;
    assert!(card.contains(m.run_name("lgbm_v1")) && card.contains("auc"), "{card}");
    app.screenshot(&format!("registry-{label}-board-before")).await;

    // Drag version 3 to Production, archiving what is there: the confirmation says exactly that.
    drag(app, 3, "Production").await;
    app.wait_for("#transition-dialog").await;
    let summary = app.text("#transition-summary").await;
    assert!(summary.contains("moves from Staging to Production"), "{summary}");
    assert!(
        !summary.contains("Archived"),
        "nothing is archived unless asked: {summary}"
    );
    app.click("#transition-archive").await;
    app.wait_for_text(
        "#transition-summary",
        "also moves version 2 from Production to Archived",
    )
    .await;
    let changes = app.text("#transition-changes").await;
    assert!(changes.contains("Version 2: Production → Archived"), "{changes}");
    app.screenshot(&format!("registry-{label}-confirm-move")).await;
    assert_eq!(
        model_state(uri, churn).stages(),
        stages(&[(1, "Archived"), (2, "Production"), (3, "Staging"), (4, "None")]),
        "nothing is written before the confirmation"
    );
    app.click("#transition-confirm").await;
    app.wait_for_text(
        "#registry-notice",
        "Version 3 is now in Production. Version 2 moved to Archived.",
    )
    .await;
    wait_for_column(app, "Production", &[3]).await;
    wait_for_column(app, "Archived", &[2, 1]).await;
    eventually(
        "v3 in Production, v2 archived",
        || model_state(uri, churn),
        |s| s.stages() == stages(&[(1, "Archived"), (2, "Archived"), (3, "Production"), (4, "None")]),
    );
    app.screenshot(&format!("registry-{label}-board-after")).await;

    // The "Move to…" menu: version 4 to Staging, without archiving.
    app.click(".version-card[data-version='4'] .move-menu-button").await;
    app.click(".version-card[data-version='4'] .move-target[data-target='Staging']")
        .await;
    app.wait_for_text("#transition-summary", "Version 4 of").await;
    app.click("#transition-confirm").await;
    wait_for_column(app, "Staging", &[4]).await;
    eventually(
        "v4 in Staging",
        || model_state(uri, churn),
        |s| s.stages()[&4] == "Staging",
    );

    // Aliases: a reserved name is refused as MLflow refuses it; champion moves to version 3.
    app.type_into("#alias-name", "v3").await;
    choose(app, "#alias-version", "3").await;
    app.wait_for_text("#alias-error", "reserved").await;
    app.eval("const i = document.getElementById('alias-name'); i.value = ''; i.dispatchEvent(new Event('input'));")
        .await;
    app.type_into("#alias-name", "champion").await;
    app.wait_for_text("#alias-plan", "Moves alias “champion”").await;
    app.click("#alias-save").await;
    app.wait_for_text("#confirm-body", "from version 2 to version 3").await;
    app.click("#confirm-ok").await;
    app.wait_for_text("#registry-notice", "Moves alias").await;
    eventually(
        "champion on v3",
        || model_state(uri, churn),
        |s| s.aliases.get("champion") == Some(&3),
    );
    // A new alias on version 4, then challenger removed.
    app.type_into("#alias-name", "shadow").await;
    choose(app, "#alias-version", "4").await;
    app.wait_for_text("#alias-plan", "Sets alias “shadow” on version 4")
        .await;
    app.click("#alias-save").await;
    app.click("#confirm-ok").await;
    eventually(
        "shadow on v4",
        || model_state(uri, churn),
        |s| s.aliases.get("shadow") == Some(&4),
    );
    app.wait_for("tr.alias-row[data-alias='shadow']").await;
    app.click("tr.alias-row[data-alias='challenger'] .remove-alias").await;
    app.wait_for_text("#confirm-body", "Removes alias “challenger” from version 3")
        .await;
    app.click("#confirm-ok").await;
    eventually(
        "challenger removed",
        || model_state(uri, churn),
        |s| !s.aliases.contains_key("challenger"),
    );
    app.wait_gone("tr.alias-row[data-alias='challenger']").await;
    let card = app.text(".version-card[data-version='3']").await;
    assert!(
        card.contains("@champion") && !card.contains("@challenger"),
        "the board reads back: {card}"
    );

    // Edit the model's description on the versions tab.
    app.click("#tab-versions").await;
    app.wait_for("#versions-table .version-row").await;
    app.click("#edit-model-description").await;
    app.eval("const t = document.getElementById('model-description-input'); t.value = ''; t.dispatchEvent(new Event('input'));")
        .await;
    app.type_into(
        "#model-description-input",
        "Reviewed on **Tuesday**: v3 goes to Production.",
    )
    .await;
    app.click("#save-model-description").await;
    app.wait_for_text("#model-description", "Reviewed on Tuesday").await;
    eventually(
        "the new description",
        || model_state(uri, churn),
        |s| s.description == "Reviewed on **Tuesday**: v3 goes to Production.",
    );
    let table = app.text("#versions-table").await;
    assert!(table.contains(m.run_name("lgbm_v1")), "source runs are linked: {table}");

    // Register lgbm-v3's logged model from its run page, under MaxFlow's name.
    let run = m.run("lgbm_v3");
    app.click(&format!(
        "#sidebar .experiment[data-experiment-id='{}']",
        m.experiment("churn")
    ))
    .await;
    // MaxFlow's experiment tag links the experiment to its models, too.
    app.wait_for_text("#experiment-models", churn).await;
    app.click(&format!("#runs-table tr.run-row[data-run-id='{run}'] a.run-name"))
        .await;
    app.wait_for("#run-models-card .register-model").await;
    app.click("#run-models-card .register-model").await;
    app.wait_for("#register-dialog").await;
    let suggested = app.eval("return document.getElementById('register-name').value").await;
    assert_eq!(
        suggested, "churn-prediction-lgbm-v3-model",
        "MaxFlow's naming is proposed"
    );
    let summary = app.text("#register-summary").await;
    assert!(
        summary.contains("Creates registered model “churn-prediction-lgbm-v3-model”"),
        "{summary}"
    );
    assert!(summary.contains("__maxai_registered_models__"), "{summary}");
    app.screenshot(&format!("registry-{label}-register")).await;
    app.click("#register-confirm").await;
    app.wait_for_text("#register-done", "Registered as version 1").await;
    let registered = eventually(
        "the registered model",
        || try_model_state(uri, "churn-prediction-lgbm-v3-model", None).unwrap_or_else(|_| empty()),
        |s| s.versions.len() == 1,
    );
    assert_eq!(registered.versions[0].run_id.as_deref(), Some(run));
    assert_eq!(
        registered.versions[0].source,
        format!("models:/{}", m.logged_models["lgbm_v3"])
    );
    app.click("#open-registered-version").await;
    app.wait_for_text("#version-title", "churn-prediction-lgbm-v3-model · Version 1")
        .await;
    app.wait_for("#version-model-card .flavor[data-flavor='sklearn']").await;

    // A version page: the model card, the run's metrics, "Compare with…".
    app.click("#nav-models").await;
    app.click(&format!("tr.model-row[data-model='{churn}'] a.model-link"))
        .await;
    app.click("#versions-table tr.version-row[data-version='2'] a.version-link")
        .await;
    app.wait_for_text("#version-title", "Version 2").await;
    let inputs = app.wait_for_text("#signature-inputs", "Array(Object{").await;
    assert!(inputs.contains("profile") && inputs.contains("products"), "{inputs}");
    app.wait_for_text("#signature-params", "threshold").await;
    app.wait_for_text("#source-run-metrics", "auc").await;
    let card = app.text("#version-model-card").await;
    assert!(card.contains("scikit-learn==1.5.1") && card.contains("c-001"), "{card}");
    app.screenshot(&format!("registry-{label}-version")).await;
    choose(app, "#compare-with", "3").await;
    app.click("#compare-button").await;
    let expected = format!("/compare?runs={},{}", m.run("xgb_tuned"), m.run("lgbm_v1"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let place = app.eval("return location.pathname + location.search").await;
        if place.as_str() == Some(expected.as_str()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Compare with… went to {place}, not {expected}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A model MLflow does not have (yet).
fn empty() -> ModelState {
    ModelState {
        name: String::new(),
        description: String::new(),
        tags: BTreeMap::new(),
        aliases: BTreeMap::new(),
        versions: Vec::new(),
    }
}

/// The LLM task, prompts with their diff, and the hostile model: read-only checks.
async fn reading_checks(app: &App, m: &RegistryManifest, label: &str) {
    app.click("#nav-models").await;
    app.click(&format!("tr.model-row[data-model='{}'] a.model-link", m.model("llm")))
        .await;
    app.click("#versions-table .version-link").await;
    app.wait_for_text("#llm-task", "LLM chat").await;
    let card = app.text("#version-model-card").await;
    assert!(card.contains("llm/v1/chat") && card.contains("Array(Object{"), "{card}");

    app.click("#nav-prompts").await;
    app.click(&format!("tr.prompt-row[data-prompt='{}'] a.prompt-link", m.prompt))
        .await;
    let diff = app
        .wait_for_text("#prompt-diff", "+ Be brief and cite the manual.")
        .await;
    assert!(
        diff.contains("- Be brief.") && diff.contains("  Answer the question: {{ question }}"),
        "{diff}"
    );
    app.screenshot(&format!("registry-{label}-prompt-diff")).await;

    // Hostile markup is text, in the list and on the model page.
    app.click("#nav-models").await;
    let hostile = m.model("hostile");
    let row = app.wait_for_text("#models-table", "xss <img src=x").await;
    assert!(row.contains("Hostile <script>"), "{row}");
    app.eval(&format!(
        "Array.from(document.querySelectorAll('tr.model-row a.model-link')).find(a => a.textContent === {hostile:?}).click();"
    ))
    .await;
    app.wait_for_text("#model-name", "xss <img").await;
    app.wait_for_text("#model-description", "Hostile <script>").await;
    app.wait_for_text("#model-tags", "<script>").await;
    app.click("#tab-board").await;
    app.wait_for(".version-card[data-version='1']").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!pwned(app).await, "hostile markup ran");
    app.screenshot(&format!("registry-{label}-hostile")).await;
}

#[tokio::test(flavor = "current_thread")]
async fn review_meeting_on_an_sqlite_store() {
    let store = registry_store(TMP).fresh_copy();
    let app = launch("sqlite", &store.db().display().to_string(), vec![]).await;
    review_meeting(&app, &store.uri(), &store.manifest, "sqlite").await;
    reading_checks(&app, &store.manifest, "sqlite").await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn review_meeting_on_an_mlflow_server() {
    let store = registry_store(TMP).fresh_copy();
    let server = MlflowServer::start(&store.db(), &store.dir).unwrap_or_else(|e| panic!("{e}"));
    let app = launch("server", &server.url(), vec![]).await;
    review_meeting(&app, &server.url(), &store.manifest, "server").await;
    reading_checks(&app, &store.manifest, "server").await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn file_store_reads_and_moves_a_version() {
    let (mlruns, m) = file_registry_store(TMP);
    let uri = format!("file://{}", mlruns.display());
    let app = launch("file", &mlruns.display().to_string(), vec![]).await;
    let churn = m.model("churn");
    open_board(&app, churn).await;
    wait_for_column(&app, "Production", &[2]).await;
    app.click(".version-card[data-version='4'] .move-menu-button").await;
    app.click(".version-card[data-version='4'] .move-target[data-target='Staging']")
        .await;
    app.click("#transition-archive").await;
    app.wait_for_text("#transition-summary", "also moves version 3 from Staging to Archived")
        .await;
    app.click("#transition-confirm").await;
    wait_for_column(&app, "Staging", &[4]).await;
    wait_for_column(&app, "Archived", &[3, 1]).await;
    eventually(
        "v4 in Staging, v3 archived",
        || model_state(&uri, churn),
        |s| s.stages() == stages(&[(1, "Archived"), (2, "Production"), (3, "Archived"), (4, "Staging")]),
    );
    app.screenshot("registry-file-board-after").await;
    app.click("#tab-versions").await;
    app.wait_for("#versions-table .version-row").await;
    reading_checks(&app, &m, "file").await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_read_only_user_sees_why_and_nothing_changes() {
    let store = registry_store(TMP).fresh_copy();
    let server = AuthServer::start(&store.db()).unwrap_or_else(|e| panic!("{e}"));
    let (user, password) = AuthServer::READER;
    let env = vec![
        ("MLFLOW_TRACKING_USERNAME".to_string(), user.to_string()),
        ("MLFLOW_TRACKING_PASSWORD".to_string(), password.to_string()),
    ];
    let app = launch("readonly", &server.url(), env).await;
    let churn = store.model("churn");
    open_board(&app, churn).await;
    drag(&app, 3, "Production").await;
    app.click("#transition-archive").await;
    app.wait_for_text("#transition-summary", "also moves version 2").await;
    app.click("#transition-confirm").await;
    let error = app
        .wait_for_text(
            "#registry-error .error-banner[data-code='PermissionDenied']",
            "Permission denied",
        )
        .await;
    assert!(error.contains("does not allow these credentials"), "{error}");
    app.wait_gone("#transition-dialog").await;
    // The board still shows the store as it is: nothing moved.
    wait_for_column(&app, "Production", &[2]).await;
    wait_for_column(&app, "Staging", &[3]).await;
    app.screenshot("registry-readonly-refused").await;
    let state = try_model_state(&server.url(), churn, Some(AuthServer::ADMIN)).unwrap();
    assert_eq!(
        state.stages(),
        stages(&[(1, "Archived"), (2, "Production"), (3, "Staging"), (4, "None")]),
        "MLflow: nothing changed"
    );
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_store_without_a_registry_shows_a_note() {
    let store = registry_store(TMP).fresh_copy();
    drop_registry(&store.db());
    let app = launch("no-registry", &store.db().display().to_string(), vec![]).await;
    app.click("#nav-models").await;
    app.wait_for_text("#no-registry", "No model registry here").await;
    assert_eq!(app.count(".error-banner").await, 0, "a note, not an error");
    app.click("#nav-prompts").await;
    app.wait_for("#prompts-page #no-registry").await;
    app.screenshot("registry-no-registry").await;
    app.close().await;
}
