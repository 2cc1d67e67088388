//! `check` run as the service user lists every folder and file it cannot read, and the access
//! recipe in docs/service.md (a default ACL) makes files written with umask 077 readable.
//!
//! As root, `check` runs as `nobody` (the stand-in for the `move-ingest` user); otherwise as
//! the test's own user, which cannot read mode-000 files either.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use crate::capture::{Capture, bytes, show};
use crate::util::Sandbox;

const NOBODY: u32 = 65534;

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `check` as the service user (as root: `setpriv` to `nobody`, without root's groups).
fn check_as_service(cap: &Capture) -> Output {
    let cmd = cap.cmd(&["check"]);
    if !is_root() {
        return { cmd }.output().unwrap();
    }
    let mut as_nobody = Command::new("setpriv");
    as_nobody
        .args([
            format!("--reuid={NOBODY}"),
            format!("--regid={NOBODY}"),
            "--clear-groups".into(),
        ])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => as_nobody.env(k, v),
            None => as_nobody.env_remove(k),
        };
    }
    as_nobody.output().unwrap()
}

fn sh(script: &str, dir: &Path) {
    let ok = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(ok.success(), "{script}");
}

#[tokio::test]
async fn check_as_the_service_user_lists_what_it_cannot_read_and_the_acl_recipe_fixes_it() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    chmod(cap.root.path(), 0o755);
    std::fs::create_dir_all(&cap.state).unwrap();
    if is_root() {
        std::os::unix::fs::chown(&cap.state, Some(NOBODY), Some(NOBODY)).unwrap();
    }
    cap.write("cam-a", "ok.mp4", &bytes(1, 100));
    let secret = cap.write("cam-a/2026-12-01", "secret.mp4", &bytes(2, 100));
    chmod(&secret, 0o000);
    cap.write("cam-b", "x.mp4", &bytes(3, 100));
    chmod(&cap.watch.join("cam-b"), 0o000);
    let out = check_as_service(&cap);
    chmod(&cap.watch.join("cam-b"), 0o755);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot read file {}", secret.display())),
        "{}",
        show(&out)
    );
    assert!(
        stderr.contains(&format!(
            "cannot read folder {}",
            cap.watch.join("cam-b").display()
        )),
        "{}",
        show(&out)
    );
    assert!(stderr.contains("2 folder(s) or file(s)"), "{}", show(&out));
    assert!(!stderr.contains("ok.mp4"), "{}", show(&out));

    // With after_take deleting files, the folders that hold recordings must be writable too.
    cap.write_config("[after_take]\naction = \"delete\"\n");
    chmod(&cap.watch.join("cam-a"), 0o555);
    let out = check_as_service(&cap);
    chmod(&cap.watch.join("cam-a"), 0o755);
    cap.write_config("");
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!(
            "cannot write folder {}",
            cap.watch.join("cam-a").display()
        )),
        "{}",
        show(&out)
    );

    if !is_root() || Command::new("setfacl").arg("--version").output().is_err() {
        crate::skip(
            "the ACL recipe half: it needs root (to act as another user) and setfacl (apt-get install acl)",
        );
        return;
    }
    // The recipe (docs/service.md), with `nobody` for `move-ingest`: existing files and
    // folders get read access, and every new one inherits it, whatever the writer's umask.
    let user = "nobody";
    sh(
        &format!(
            "setfacl -R -m u:{user}:rX . && find . -type d -exec setfacl -d -m u:{user}:rX {{}} +"
        ),
        &cap.watch,
    );
    // Capture software writing with umask 077, in a new folder and an old one.
    sh(
        "umask 077 && mkdir -p cam-c/2026-12-02 && head -c 100 /dev/zero > cam-c/2026-12-02/new.mp4 && head -c 100 /dev/zero > cam-a/new.mp4",
        &cap.watch,
    );
    let out = check_as_service(&cap);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("all good"),
        "{}",
        show(&out)
    );
}
