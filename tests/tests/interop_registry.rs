//! Interop of the registry screens' backend (issue #7) with real MLflow 3.17.2, on the registry
//! fixture (`fixtures/make_registry_fixture.py`) as an SQLite store, a file store and an
//! `mlflow server`: MLflow 3 logged models and their files, prompts and their versions compared
//! with MLflow's own answers (`fixtures/dump_registry.py`); stage moves, alias changes,
//! registrations and edits made through [`Tracking`] read back by MLflow's client; a plan the
//! store no longer agrees with writes nothing; a store without a registry says so; and a
//! read-only user of `mlflow server --app-name basic-auth` is refused and changes nothing.

use runlens_core::registry::*;
use runlens_core::*;
use runlens_tests::registry::{
    drop_registry, file_registry_store, model_state, registry_store, try_model_state, AuthServer, RegistryManifest,
};
use runlens_tests::{MlflowServer, Report};
use runlens_tracking::{Auth, ConnectOptions, Secret, Tracking};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

const TMP: &str = env!("CARGO_TARGET_TMPDIR");

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Sqlite,
    File,
    Server,
}

/// A private copy of the registry fixture as one store kind (the server dies with the value).
struct Store {
    uri: String,
    manifest: RegistryManifest,
    _server: Option<MlflowServer>,
}

fn store(kind: Kind) -> Store {
    match kind {
        Kind::Sqlite => {
            let copy = registry_store(TMP).fresh_copy();
            Store {
                uri: copy.uri(),
                manifest: copy.manifest,
                _server: None,
            }
        }
        Kind::File => {
            let (mlruns, manifest) = file_registry_store(TMP);
            Store {
                uri: format!("file://{}", mlruns.display()),
                manifest,
                _server: None,
            }
        }
        Kind::Server => {
            let copy = registry_store(TMP).fresh_copy();
            let server = MlflowServer::start(&copy.db(), &copy.dir).unwrap_or_else(|e| panic!("{e}"));
            Store {
                uri: server.url(),
                manifest: copy.manifest,
                _server: Some(server),
            }
        }
    }
}

async fn open(uri: &str) -> Tracking {
    Tracking::open(uri, &ConnectOptions::default())
        .await
        .unwrap_or_else(|e| panic!("opening {uri} failed: {e}"))
}

#[derive(Debug, Deserialize)]
struct Dump {
    logged_models: BTreeMap<String, Vec<LoggedModel>>,
    logged_model_files: BTreeMap<String, String>,
    prompts: Vec<String>,
    prompt_versions: BTreeMap<String, Vec<PromptText>>,
}

#[derive(Debug, Deserialize, serde::Serialize, PartialEq)]
struct PromptText {
    version: i64,
    template: String,
}

fn dump(s: &Store) -> Dump {
    let dir = registry_store(TMP).dir.parent().unwrap().join("work");
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = dir.join(format!("manifest-{}.json", std::process::id()));
    let out = dir.join(format!("dump-{}-{}.json", std::process::id(), s.uri.len()));
    std::fs::write(&manifest, serde_json::to_vec(&s.manifest_json()).unwrap()).unwrap();
    runlens_tests::run_script(
        "dump_registry.py",
        &dir,
        &[Path::new(&s.uri), manifest.as_path(), out.as_path()],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    runlens_tests::read_json(&out).unwrap_or_else(|e| panic!("{e}"))
}

impl Store {
    fn manifest_json(&self) -> serde_json::Value {
        serde_json::json!({ "runs": self.manifest.runs })
    }
}

macro_rules! registry_suite {
    ($module:ident, $kind:expr) => {
        mod $module {
            use super::*;

            #[tokio::test]
            async fn logged_models_prompts_and_model_files_match_mlflow() {
                check_reads($kind).await
            }

            #[tokio::test]
            async fn moves_aliases_registrations_and_edits_are_read_back_by_mlflow() {
                check_writes($kind).await
            }
        }
    };
}

registry_suite!(sqlite, Kind::Sqlite);
registry_suite!(file_store, Kind::File);
registry_suite!(server, Kind::Server);

async fn check_reads(kind: Kind) {
    let s = store(kind);
    let t = open(&s.uri).await;
    let want = dump(&s);
    let mut r = Report::new(format!("{kind:?}: logged models, prompts, model cards"));
    for (logical, run_id) in &s.manifest.runs {
        let run = t.get_run(run_id).await.unwrap();
        let ours = t.run_logged_models(&run.info.experiment_id, run_id).await;
        r.compare_result(
            format!("run_logged_models({logical})"),
            &want.logged_models[run_id],
            ours,
        );
        for m in &want.logged_models[run_id] {
            r.compare_result(
                format!("get_logged_model({logical})"),
                m,
                t.get_logged_model(&m.model_id).await,
            );
            match t.read_logged_model_file(&m.model_id, "MLmodel", 1 << 20).await {
                Ok(content) => r.compare(
                    format!("MLmodel of {logical}'s logged model"),
                    &want.logged_model_files[&m.model_id],
                    &String::from_utf8_lossy(&content.bytes),
                ),
                Err(e) => r.note(format!("reading the MLmodel of {logical}'s logged model failed: {e}")),
            }
        }
    }
    let prompts: Vec<String> = t
        .list_prompts(&ListModelsRequest::default())
        .await
        .map(|p| p.into_iter().map(|m| m.name).collect())
        .unwrap_or_else(|e| vec![format!("error: {e}")]);
    r.compare("list_prompts()", &want.prompts, &prompts);
    for (name, versions) in &want.prompt_versions {
        let ours: Vec<PromptText> = match t.prompt_detail(name).await {
            Ok(d) => d
                .versions
                .into_iter()
                .map(|v| PromptText {
                    version: v.version,
                    template: v.template,
                })
                .collect(),
            Err(e) => {
                r.note(format!("prompt_detail({name}) failed: {e}"));
                continue;
            }
        };
        r.compare(format!("prompt versions of {name}"), versions, &ours);
    }
    // Prompts stay out of the models list, as in MLflow's own searches.
    let models: Vec<String> = t
        .list_models(&ListModelsRequest::default())
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.model.name)
        .collect();
    let mut expected: Vec<String> = s.manifest.models.values().cloned().collect();
    expected.sort();
    r.compare("list_models() names", &expected, &models);
    r.finish();

    // The board: every version with its source run and the key metrics of those runs.
    let churn = t.model_detail(s.manifest.model("churn")).await.unwrap();
    assert_eq!(churn.key_metrics, vec!["auc", "f1", "logloss"], "{kind:?}");
    let stages: Vec<(i64, Stage)> = churn
        .versions
        .iter()
        .map(|c| (c.version.version, c.version.current_stage))
        .collect();
    assert_eq!(
        stages,
        vec![
            (4, Stage::None),
            (3, Stage::Staging),
            (2, Stage::Production),
            (1, Stage::Archived)
        ],
        "{kind:?}"
    );
    let v2 = churn.version(2).unwrap();
    assert_eq!(
        v2.run.as_ref().unwrap().run.run_name,
        s.manifest.run_name("xgb_tuned"),
        "{kind:?}"
    );
    assert_eq!(v2.metrics.len(), 3, "{kind:?}");
    assert_eq!(
        churn.experiments.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        vec!["churn-prediction"],
        "{kind:?}: MaxFlow's experiment tag links the model"
    );

    // Version pages read their model cards wherever the files are.
    let card_of = |d: &VersionDetail| {
        d.card
            .clone()
            .unwrap_or_else(|| panic!("{kind:?}: no model card for {}: {:?}", d.files, d.card_error))
    };
    let logged = t.version_detail(s.manifest.model("churn"), 2).await.unwrap();
    let card = card_of(&logged);
    assert!(logged.files.starts_with("models:/m-"), "{kind:?}: {}", logged.files);
    assert_eq!(
        card.flavors.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        vec!["python_function", "sklearn"]
    );
    let signature = card.signature.unwrap();
    assert!(
        signature
            .inputs
            .iter()
            .any(|f| f.kind.starts_with("Object{") && f.kind.contains("history: Array(Object{")),
        "{kind:?}: nested objects and arrays: {:?}",
        signature.inputs
    );
    assert_eq!(signature.params.len(), 2);
    assert!(card.input_example.unwrap().contains("c-001"));
    assert!(card.requirements.iter().any(|r| r == "scikit-learn==1.5.1"));
    assert_eq!(logged.run.unwrap().params["max_depth"], "6");
    let legacy = t.version_detail(s.manifest.model("fraud"), 1).await.unwrap();
    assert!(legacy.files.starts_with("runs:/"), "{kind:?}: {}", legacy.files);
    assert_eq!(card_of(&legacy).flavors.len(), 2);
    let llm = t.version_detail(s.manifest.model("llm"), 1).await.unwrap();
    assert_eq!(card_of(&llm).task.as_deref(), Some("llm/v1/chat"));
    let hostile = t.model_detail(s.manifest.model("hostile")).await.unwrap();
    assert!(hostile.model.description.unwrap().contains("<script>"));

    // A run's models, ready to register (MaxFlow naming in the MaxFlow experiment).
    let run_models = t.run_models(s.manifest.run("lgbm_v3")).await.unwrap();
    assert!(run_models.maxflow);
    assert_eq!(run_models.models.len(), 1, "{kind:?}: {:?}", run_models.models);
    assert_eq!(run_models.models[0].suggested_name, "churn-prediction-lgbm-v3-model");
    assert!(run_models.models[0].source.starts_with("models:/m-"));
    let legacy_models = t.run_models(s.manifest.run("legacy")).await.unwrap();
    assert_eq!(legacy_models.models.len(), 1, "{kind:?}: {:?}", legacy_models.models);
    assert!(legacy_models.models[0].model_id.is_none());
    assert!(
        legacy_models.models[0].source.ends_with("/model"),
        "{}",
        legacy_models.models[0].source
    );
    assert_eq!(legacy_models.models[0].flavors, vec!["python_function", "sklearn"]);
}

async fn check_writes(kind: Kind) {
    let s = store(kind);
    let t = open(&s.uri).await;
    let churn = s.manifest.model("churn").to_string();

    // Staging → Production, archiving the version in Production: exactly as planned.
    let before = t.model_detail(&churn).await.unwrap();
    let plan = plan_transition(&churn, &before.model_versions(), 3, Stage::Production, true).unwrap();
    assert_eq!(plan.archived, vec![2]);
    let after = t.transition_planned(&plan).await.unwrap();
    let expected = plan.stages_after(&before.model_versions());
    let mlflow = model_state(&s.uri, &churn);
    let mlflow_stages: BTreeMap<i64, String> = mlflow.stages();
    let planned: BTreeMap<i64, String> = expected.iter().map(|(v, s)| (*v, s.to_string())).collect();
    assert_eq!(
        mlflow_stages, planned,
        "{kind:?}: MLflow's stages are exactly the plan's"
    );
    assert_eq!(
        after
            .versions
            .iter()
            .map(|c| (c.version.version, c.version.current_stage))
            .collect::<BTreeMap<_, _>>(),
        expected,
        "{kind:?}: the answer is the store read back"
    );

    // A plan made before that move no longer matches: nothing is written.
    let stale = plan_transition(&churn, &before.model_versions(), 4, Stage::Production, true).unwrap();
    let err = ApiError::from(t.transition_planned(&stale).await.unwrap_err());
    assert_eq!(err.code, ErrorCode::InvalidArgument, "{kind:?}: {err}");
    assert!(err.message.contains("changed"), "{err}");
    assert_eq!(
        model_state(&s.uri, &churn).stages(),
        mlflow_stages,
        "{kind:?}: nothing written"
    );

    // Aliases: move champion to 3, set a new one, remove challenger.
    let model = t.get_registered_model(&churn).await.unwrap();
    let numbers = [1, 2, 3, 4];
    t.alias_planned(&plan_alias(&model, &numbers, "champion", Some(3)).unwrap())
        .await
        .unwrap();
    let model = t.get_registered_model(&churn).await.unwrap();
    t.alias_planned(&plan_alias(&model, &numbers, "shadow", Some(4)).unwrap())
        .await
        .unwrap();
    let model = t.get_registered_model(&churn).await.unwrap();
    let detail = t
        .alias_planned(&plan_alias(&model, &numbers, "challenger", None).unwrap())
        .await
        .unwrap();
    let mlflow = model_state(&s.uri, &churn);
    assert_eq!(
        mlflow.aliases,
        BTreeMap::from([("champion".to_string(), 3), ("shadow".to_string(), 4)]),
        "{kind:?}"
    );
    assert_eq!(detail.model.aliases, mlflow.aliases, "{kind:?}: read back");
    // An alias plan whose `from` is out of date writes nothing.
    let old = AliasPlan {
        name: churn.clone(),
        alias: "champion".into(),
        from: Some(2),
        to: Some(1),
    };
    assert!(t.alias_planned(&old).await.is_err());
    assert_eq!(model_state(&s.uri, &churn).aliases["champion"], 3);

    // Edits.
    t.edit_model(
        &churn,
        &RegistryEdit::SetDescription {
            text: "Edited in *Runlens*".into(),
        },
    )
    .await
    .unwrap();
    t.edit_model(
        &churn,
        &RegistryEdit::SetTag {
            key: "reviewed".into(),
            value: "yes".into(),
        },
    )
    .await
    .unwrap();
    t.edit_version(
        &churn,
        3,
        &RegistryEdit::SetDescription {
            text: "v3 goes live".into(),
        },
    )
    .await
    .unwrap();
    let mlflow = model_state(&s.uri, &churn);
    assert_eq!(mlflow.description, "Edited in *Runlens*");
    assert_eq!(mlflow.tags["reviewed"], "yes");
    assert_eq!(mlflow.versions[2].description, "v3 goes live");

    // Register an MLflow 3 logged model under MaxFlow's name, then a legacy model as a new version.
    let run_id = s.manifest.run("lgbm_v3").to_string();
    let models = t.run_models(&run_id).await.unwrap();
    let chosen = &models.models[0];
    let outcome = t
        .register_run_model(&RegisterRequest {
            run_id: run_id.clone(),
            source: chosen.source.clone(),
            model_name: chosen.suggested_name.clone(),
            create_model: true,
            description: Some("registered from Runlens".into()),
        })
        .await
        .unwrap();
    assert!(outcome.created_model && outcome.maxflow_listed);
    let mlflow = model_state(&s.uri, &chosen.suggested_name);
    assert_eq!(mlflow.versions.len(), 1);
    assert_eq!(mlflow.versions[0].source, chosen.source, "{kind:?}");
    assert_eq!(mlflow.versions[0].run_id.as_deref(), Some(run_id.as_str()), "{kind:?}");
    assert_eq!(mlflow.versions[0].description, "registered from Runlens");
    let experiment = t.get_experiment(s.manifest.experiment("churn")).await.unwrap();
    assert_eq!(
        maxflow_models(&experiment),
        vec![churn.clone(), chosen.suggested_name.clone()],
        "{kind:?}: MaxFlow's list names the new model"
    );
    // Creating it again is refused, and writes nothing.
    let again = t
        .register_run_model(&RegisterRequest {
            run_id: run_id.clone(),
            source: chosen.source.clone(),
            model_name: chosen.suggested_name.clone(),
            create_model: true,
            description: None,
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), ErrorCode::AlreadyExists);
    assert_eq!(model_state(&s.uri, &chosen.suggested_name).versions.len(), 1);
    let legacy_run = s.manifest.run("legacy").to_string();
    let legacy = t.run_models(&legacy_run).await.unwrap();
    let v5 = t
        .register_run_model(&RegisterRequest {
            run_id: legacy_run.clone(),
            source: legacy.models[0].source.clone(),
            model_name: churn.clone(),
            create_model: false,
            description: None,
        })
        .await
        .unwrap();
    assert_eq!(v5.version.version, 5);
    let mlflow = model_state(&s.uri, &churn);
    assert_eq!(mlflow.versions[4].source, legacy.models[0].source, "{kind:?}");
    assert_eq!(mlflow.versions[4].stage, "None");
    // MLflow reads the new version's files where Runlens said they are.
    let card = t.version_detail(&churn, 5).await.unwrap();
    assert!(card.card.is_some(), "{kind:?}: {:?}", card.card_error);
}

#[tokio::test]
async fn a_store_without_a_registry_says_so() {
    let copy = registry_store(TMP).fresh_copy();
    drop_registry(&copy.db());
    let t = open(&copy.uri()).await;
    let err = ApiError::from(t.list_models(&ListModelsRequest::default()).await.unwrap_err());
    assert_eq!(err.code, ErrorCode::FeatureDisabled, "{err}");
    let err = ApiError::from(t.model_detail("churn-model").await.unwrap_err());
    assert_eq!(err.code, ErrorCode::FeatureDisabled, "{err}");
    // The rest of the store still reads, and a run's models list says why nothing can be registered.
    let models = t.run_models(copy.run("lgbm_v3")).await.unwrap();
    assert_eq!(models.registry_error.map(|e| e.code), Some(ErrorCode::FeatureDisabled));
}

#[tokio::test]
async fn a_read_only_user_is_refused_and_nothing_changes() {
    let copy = registry_store(TMP).fresh_copy();
    let server = AuthServer::start(&copy.db()).unwrap_or_else(|e| panic!("{e}"));
    let (user, password) = AuthServer::READER;
    let options = ConnectOptions {
        auth: Auth::Basic {
            username: user.into(),
            password: Secret::new(password),
        },
        ..Default::default()
    };
    let t = Tracking::open(&server.url(), &options).await.unwrap();
    let churn = copy.model("churn");
    let before = t.model_detail(churn).await.expect("the reader can read");
    let plan = plan_transition(churn, &before.model_versions(), 3, Stage::Production, true).unwrap();
    let err = ApiError::from(t.transition_planned(&plan).await.unwrap_err());
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{err}");
    assert!(err.message.contains("Permission denied"), "{err}");
    let admin = Some(AuthServer::ADMIN);
    let state = try_model_state(&server.url(), churn, admin).unwrap();
    assert_eq!(
        state.stages().into_values().collect::<Vec<_>>(),
        vec!["Archived", "Production", "Staging", "None"],
        "nothing changed"
    );
}
