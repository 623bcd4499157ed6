use std::process::Command;

use crate::helpers::{client, TestApp};

fn yorube(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_yorube"))
        .args(args)
        .args(&app.db_args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn names_of(app: &TestApp, tenant: &str) -> Vec<String> {
    sqlx::query_scalar::<_, String>("SELECT a.name FROM agencies a JOIN tenants t ON t.id = a.tenant_id WHERE t.code = $1 AND a.deleted_at IS NULL ORDER BY a.name")
        .bind(tenant)
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

/// An export re-imports to the same registry, through the CLI, for every format.
async fn export_then_import_round_trips(app: TestApp) {
    let original = names_of(&app, "demo-city").await;
    assert!(original.len() >= 60);
    let dir = tempfile::tempdir().unwrap();
    let scenes_before: i64 = app.count("SELECT COUNT(*) FROM agency_scenes s JOIN tenants t ON t.id = s.tenant_id WHERE t.code = 'demo-city'").await;
    for (i, format) in ["xlsx", "csv", "csv-sjis", "hsds"].iter().enumerate() {
        let out = dir.path().join(format!("export.{format}"));
        let (ok, msg, err) = yorube(
            &app,
            &[
                "export",
                "agencies",
                "--tenant",
                "demo-city",
                "--format",
                format,
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert!(ok, "{format}: {err}");
        assert!(msg.contains("書き出しました"));
        let code = format!("rt-{i}");
        let (ok, _, err) = yorube(
            &app,
            &[
                "tenant",
                "create",
                "--code",
                &code,
                "--name",
                "往復市",
                "--kind",
                "中核市",
            ],
        );
        assert!(ok, "{err}");
        let (ok, msg, err) = yorube(
            &app,
            &[
                "import",
                "agencies",
                "--tenant",
                &code,
                out.to_str().unwrap(),
            ],
        );
        assert!(ok, "{format}: {err}");
        assert!(
            msg.contains(&format!("新規 {} 件", original.len())),
            "{format}: {msg}"
        );
        assert_eq!(
            names_of(&app, &code).await,
            original,
            "{format}: the same registry"
        );
        let scenes: i64 = app.count(&format!("SELECT COUNT(*) FROM agency_scenes s JOIN tenants t ON t.id = s.tenant_id WHERE t.code = '{code}'")).await;
        assert_eq!(scenes, scenes_before, "{format}: scene links survive");
        // Importing the same file again: duplicates are reported and skipped, or merged on request.
        let (ok, msg, _) = yorube(
            &app,
            &[
                "import",
                "agencies",
                "--tenant",
                &code,
                out.to_str().unwrap(),
            ],
        );
        assert!(ok);
        assert!(
            msg.contains("新規 0 件")
                && msg.contains(&format!("重複のため登録しなかった行 {} 件", original.len())),
            "{msg}"
        );
        assert_eq!(names_of(&app, &code).await.len(), original.len());
    }
}
dual!(export_then_import_round_trips);

/// A file with a bad row writes nothing and says where the problem is; --skip-invalid
/// imports the rest.
async fn bad_rows_write_nothing(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.csv");
    let csv = "\u{feff}分野,関係機関名,所在地,関係機関の概要,サイト,新規の関係機関\r\n\
               医療,テスト第一病院,デモ市本町1-1,小児科,https://a.example.jp/,-\r\n\
               宇宙,テスト宇宙センター,デモ市本町2-2,,,○\r\n\
               教育,テスト小学校,デモ市本町3-3,<script>alert(1)</script>,ftp://x,\r\n";
    std::fs::write(&path, csv).unwrap();
    let before = app.count("SELECT COUNT(*) FROM agencies").await;
    let (ok, _, err) = yorube(
        &app,
        &[
            "import",
            "agencies",
            "--tenant",
            "demo-city",
            path.to_str().unwrap(),
        ],
    );
    assert!(!ok);
    assert!(
        err.contains("3行目") && err.contains("分野「宇宙」は登録されていません"),
        "{err}"
    );
    assert!(err.contains("4行目") && err.contains("HTMLのタグ"), "{err}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM agencies").await,
        before,
        "nothing written"
    );
    let (ok, msg, _) = yorube(
        &app,
        &[
            "import",
            "agencies",
            "--tenant",
            "demo-city",
            "--skip-invalid",
            path.to_str().unwrap(),
        ],
    );
    assert!(ok);
    assert!(
        msg.contains("新規 1 件") && msg.contains("問題のため飛ばした行 2 件"),
        "{msg}"
    );
    // Files that are not registries at all.
    for (name, bytes, expect) in [
        ("empty.csv", Vec::new(), "空"),
        (
            "photo.png",
            vec![0x89, b'P', b'N', b'G', 0, 0, 0, 0, 1, 2, 3],
            "形式",
        ),
        (
            "nohead.csv",
            "a,b,c\r\n1,2,3\r\n".as_bytes().to_vec(),
            "関係機関名",
        ),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, &bytes).unwrap();
        let (ok, _, err) = yorube(
            &app,
            &[
                "import",
                "agencies",
                "--tenant",
                "demo-city",
                p.to_str().unwrap(),
            ],
        );
        assert!(!ok, "{name}");
        assert!(err.contains(expect), "{name}: {err}");
    }
    // Shift_JIS as Excel saves it.
    let (sjis, _, _) = encoding_rs::SHIFT_JIS
        .encode("分野,関係機関名,所在地\r\n福祉,テスト相談室ＳＪＩＳ,デモ市港町1-1\r\n");
    let p = dir.path().join("sjis.csv");
    std::fs::write(&p, &sjis).unwrap();
    let (ok, msg, err) = yorube(
        &app,
        &[
            "import",
            "agencies",
            "--tenant",
            "demo-city",
            p.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    assert!(msg.contains("新規 1 件"));
    assert!(
        names_of(&app, "demo-city")
            .await
            .iter()
            .any(|n| n == "テスト相談室SJIS"),
        "stored NFKC"
    );
}
dual!(bad_rows_write_nothing);

/// The API import: dry run first, problems as JSON, then commit; export by format.
async fn api_import_and_export(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    let csv = "分野,関係機関名,所在地\n医療,API病院,デモ市1\n医療,API病院,デモ市1\n";
    let post = |q: &str| {
        let url = format!("{}/api/v1/agencies/import?filename=a.csv&{q}", app.url);
        let token = admin.clone();
        async move {
            client()
                .post(url)
                .bearer_auth(token)
                .body(csv)
                .send()
                .await
                .unwrap()
        }
    };
    let res = post("dry_run=true").await;
    assert_eq!(res.status(), 200);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["committed"], false);
    assert_eq!(v["duplicates_in_file"], 1);
    let res = post("merge_duplicates=true").await;
    assert_eq!(res.status(), 201);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["outcome"]["created"], 1);
    assert_eq!(v["outcome"]["merged"], 1);
    let nurse = app.token("nurse@demo-city").await;
    let res = client()
        .post(format!("{}/api/v1/agencies/import?filename=a.csv", app.url))
        .bearer_auth(&nurse)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "only the 事業担当者 imports");
    let res = client()
        .get(format!("{}/api/v1/agencies/export?format=hsds", app.url))
        .bearer_auth(&nurse)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["hsds_version"], "3.0");
    assert!(v["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["name"] == "API病院"));
    let res = client()
        .get(format!("{}/api/v1/agencies/export?format=pdf", app.url))
        .bearer_auth(&nurse)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
}
dual!(api_import_and_export);
