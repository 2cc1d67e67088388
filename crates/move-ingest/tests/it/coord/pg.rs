//! A real PostgreSQL for the tests: `initdb` in a temp dir and `pg_ctl` on a free loopback
//! port, run as an unprivileged user when the tests run as root (initdb refuses root); the
//! role and database move-ingest uses are made with the SQL of docs/multicam.md. Stopped on drop.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// The superuser's password (the server asks for one over TCP).
const ADMIN_PASSWORD: &str = "admin-pw-for-tests";
/// The password of the role move-ingest connects as.
pub const ROLE_PASSWORD: &str = "mi-pw-for-tests-7f3a";

/// A running PostgreSQL server.
pub struct Postgres {
    dir: TempDir,
    bin: PathBuf,
    /// The user and group the server runs as, when the tests run as root.
    user: Option<(&'static str, String)>,
    pub port: u16,
}

impl Postgres {
    /// Starts a server with the role `move_ingest` and its database; `None` when PostgreSQL is
    /// not installed (the caller skips).
    pub async fn start() -> Option<Postgres> {
        let bin = bin_dir()?;
        let dir = tempfile::tempdir().unwrap();
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        let user = root.then(unprivileged_user);
        std::fs::write(dir.path().join("pw"), ADMIN_PASSWORD).unwrap();
        if let Some((u, _)) = &user {
            let out = Command::new("chown")
                .args(["-R", &format!("{u}:"), &dir.path().to_string_lossy()])
                .output()
                .unwrap();
            assert!(out.status.success(), "chown: {out:?}");
        }
        let pg = Postgres {
            port: free_port(),
            dir,
            bin,
            user,
        };
        let data = pg.data().to_string_lossy().into_owned();
        let pw = pg.dir.path().join("pw").to_string_lossy().into_owned();
        pg.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--pwfile",
                &pw,
            ],
        );
        pg.resume();
        pg.setup().await;
        Some(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The URL move-ingest connects to (no password: that is in `password_file`).
    pub fn url(&self) -> String {
        format!(
            "postgresql://move_ingest@127.0.0.1:{}/move_ingest",
            self.port
        )
    }

    /// Starts the server (again).
    pub fn resume(&self) {
        let data = self.data().to_string_lossy().into_owned();
        let log = self.dir.path().join("log").to_string_lossy().into_owned();
        let opts = format!(
            "-k {} -h 127.0.0.1 -p {}",
            self.dir.path().display(),
            self.port
        );
        self.run(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-w", "-o", &opts, "start"],
        );
    }

    /// Stops the server (connections are cut).
    pub fn stop(&self) {
        let data = self.data().to_string_lossy().into_owned();
        self.run("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"]);
    }

    /// A superuser connection to `db`.
    pub async fn admin(&self, db: &str) -> tokio_postgres::Client {
        let url = format!(
            "postgresql://postgres:{ADMIN_PASSWORD}@127.0.0.1:{}/{db}",
            self.port
        );
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
    }

    /// The role and database of docs/multicam.md, "A rig over several machines".
    async fn setup(&self) {
        let admin = self.admin("postgres").await;
        let sql = [
            format!("CREATE ROLE move_ingest LOGIN PASSWORD '{ROLE_PASSWORD}'"),
            "CREATE DATABASE move_ingest OWNER move_ingest".into(),
            "REVOKE ALL ON DATABASE move_ingest FROM PUBLIC".into(),
            "GRANT CONNECT ON DATABASE move_ingest TO move_ingest".into(),
        ];
        for statement in sql {
            admin.batch_execute(&statement).await.unwrap();
        }
    }

    /// Runs one of the server's programs as its user.
    fn run(&self, program: &str, args: &[&str]) {
        let out = self
            .cmd(program)
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{program} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn cmd(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        match &self.user {
            Some((u, g)) => {
                let mut c = Command::new("setpriv");
                c.args([
                    &format!("--reuid={u}"),
                    &format!("--regid={g}"),
                    "--clear-groups",
                ])
                .arg(&exe);
                c
            }
            None => Command::new(&exe),
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data().to_string_lossy().into_owned();
        let _ = self
            .cmd("pg_ctl")
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// The directory of initdb and pg_ctl: `pg_config --bindir`, else the newest
/// /usr/lib/postgresql/*/bin (Debian's layout).
fn bin_dir() -> Option<PathBuf> {
    let from_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if let Some(dir) = from_config.filter(|d| d.join("initdb").exists()) {
        return Some(dir);
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|d| d.join("initdb").exists())
        .collect();
    dirs.sort_by_key(|d| version_of(d));
    dirs.pop()
}

fn version_of(bin: &Path) -> u32 {
    bin.parent()
        .and_then(|v| v.file_name())
        .and_then(|v| v.to_str())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The user (and its group) the server runs as under root: `postgres` (Debian's package makes
/// it), else `nobody`.
fn unprivileged_user() -> (&'static str, String) {
    let group = |u: &str| {
        let o = Command::new("id").args(["-gn", u]).output().ok()?;
        o.status
            .success()
            .then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match group("postgres") {
        Some(g) => ("postgres", g),
        None => (
            "nobody",
            group("nobody").unwrap_or_else(|| "nogroup".into()),
        ),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
