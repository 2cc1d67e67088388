//! `[job]`: the processing job each take gets (absent = none; Move bills every job), parsed raw
//! with the positions of its values, then checked against the API's `OutputType` and
//! `OptionsInput` into a [`JobConfig`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::raw::{At, metadata_json};
use crate::config::job_input::{JobOptions, output_type};
use crate::config::template::Template;

/// `[job]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawJob {
    #[serde(default)]
    pub(super) outputs: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub(super) options: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    pub(super) name: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) metadata: toml::Table,
    #[serde(default)]
    pub(super) download_to: Option<Spanned<PathBuf>>,
    #[serde(default)]
    pub(super) poll_secs: Option<Spanned<f64>>,
    #[serde(default)]
    pub(super) poll_cap_secs: Option<Spanned<f64>>,
}

/// `[job]`, validated: what `createSingleCamJob` is asked for each take, and where outputs go.
#[derive(Debug, Clone)]
pub struct JobConfig {
    /// `OutputType` names, upper case, without repeats; empty leaves the choice to Move.
    pub outputs: Vec<&'static str>,
    /// `OptionsInput`; unset fields keep Move's defaults.
    pub options: JobOptions,
    /// The job's name; same placeholders as `take.name`.
    pub name: Template,
    /// `[job.metadata]` as JSON; strings may hold placeholders.
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// Where finished jobs' output files are downloaded to, if anywhere.
    pub download_to: Option<PathBuf>,
    /// The first wait between two `getJob` of a job (`poll_secs`, default 15 s); each wait
    /// doubles, up to `poll_cap` (`poll_cap_secs`, default 300 s).
    pub poll: Duration,
    pub poll_cap: Duration,
}

/// `poll_secs` and `poll_cap_secs` when not given.
const DEFAULT_POLL_SECS: f64 = 15.0;
const DEFAULT_POLL_CAP_SECS: f64 = 300.0;

impl JobConfig {
    /// The wait after the `polls`-th answer of `getJob`: `poll`, doubled each time, at most `poll_cap`.
    pub fn poll_wait(&self, polls: u32) -> Duration {
        let factor = 1u32.checked_shl(polls.min(31)).unwrap_or(u32::MAX);
        self.poll.saturating_mul(factor).min(self.poll_cap)
    }
}

/// The job's name when `[job] name` is not given.
const DEFAULT_NAME: &str = "{device_label} {stem}";

impl RawJob {
    /// Checks every value; an error names the key and its line.
    pub(super) fn validate(self, at: &At<'_>) -> Result<JobConfig, String> {
        self.validate_in("job", DEFAULT_NAME, at)
    }

    /// Checks every value of the table `table` (`job`, `multicam.job`), whose keys errors name
    /// as `<table>.<key>`; `default_name` is the job's name when `name` is not given.
    pub(super) fn validate_in(
        self,
        table: &str,
        default_name: &str,
        at: &At<'_>,
    ) -> Result<JobConfig, String> {
        let key = |k: &str| format!("{table}.{k}");
        let mut outputs = Vec::new();
        for name in self.outputs.iter().flat_map(|o| o.get_ref()) {
            let output = output_type(name.get_ref())
                .map_err(|e| format!("{}: {e}", at(&key("outputs"), name.span())))?;
            if !outputs.contains(&output) {
                outputs.push(output);
            }
        }
        let mut options = JobOptions::default();
        for (k, value) in &self.options {
            let json = serde_json::to_value(value.get_ref()).unwrap_or(serde_json::Value::Null);
            options.set(k.get_ref(), &json).map_err(|e| {
                format!(
                    "{}: {e}",
                    at(&key(&format!("options.{}", k.get_ref())), k.span())
                )
            })?;
        }
        let name = match &self.name {
            Some(n) => Template::parse(n.get_ref())
                .map_err(|e| format!("{}: {e}", at(&key("name"), n.span())))?,
            None => Template::parse(default_name).map_err(|e| format!("`{}`: {e}", key("name")))?,
        };
        let metadata =
            metadata_json(&self.metadata).map_err(|e| format!("[{table}.metadata] {e}"))?;
        let download_to = match self.download_to {
            Some(path) if !path.get_ref().is_absolute() => {
                return Err(format!(
                    "{} must be an absolute path, got {}",
                    at(&key("download_to"), path.span()),
                    path.get_ref().display()
                ));
            }
            other => other.map(Spanned::into_inner),
        };
        let secs = |key: &str, v: &Option<Spanned<f64>>, default: f64| match v {
            None => Ok(Duration::from_secs_f64(default)),
            Some(v)
                if v.get_ref().is_finite() && *v.get_ref() > 0.0 && *v.get_ref() <= 86_400.0 =>
            {
                Ok(Duration::from_secs_f64(*v.get_ref()))
            }
            Some(v) => Err(format!(
                "{} must be a number of seconds above 0 and at most 86400, got {}",
                at(key, v.span()),
                v.get_ref()
            )),
        };
        let poll = secs(&key("poll_secs"), &self.poll_secs, DEFAULT_POLL_SECS)?;
        let poll_cap = secs(
            &key("poll_cap_secs"),
            &self.poll_cap_secs,
            DEFAULT_POLL_CAP_SECS,
        )?;
        if poll_cap < poll {
            return Err(format!(
                "`{table}.poll_cap_secs` ({}) must not be below `{table}.poll_secs` ({})",
                poll_cap.as_secs_f64(),
                poll.as_secs_f64()
            ));
        }
        Ok(JobConfig {
            outputs,
            options,
            name,
            metadata,
            download_to,
            poll,
            poll_cap,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<JobConfig, String> {
        #[derive(Deserialize)]
        struct Doc {
            job: RawJob,
        }
        let doc: Doc = toml::from_str(text).map_err(|e| e.to_string())?;
        let at = |key: &str, span: std::ops::Range<usize>| {
            let line = text[..span.start].matches('\n').count() + 1;
            format!("`{key}` (line {line})")
        };
        doc.job.validate(&at)
    }

    #[test]
    fn outputs_and_options_become_typed_values() {
        let cfg = parse(
            "[job]\noutputs = [\"MAIN_FBX\", \"render_video\", \"MAIN_FBX\"]\n\
             options = { trackFingers = true, mocapModel = \"S2\" }\n\
             download_to = \"/srv/animations\"\n[job.metadata]\nsite = \"{hostname}\"\n",
        )
        .unwrap();
        assert_eq!(cfg.outputs, ["MAIN_FBX", "RENDER_VIDEO"]);
        assert_eq!(cfg.options.track_fingers, Some(true));
        assert_eq!(cfg.options.mocap_model, Some("S2"));
        assert_eq!(cfg.options.floor_plane, None);
        assert_eq!(cfg.download_to, Some(PathBuf::from("/srv/animations")));
        assert_eq!(cfg.metadata["site"], "{hostname}");
    }

    #[test]
    fn an_empty_job_table_takes_the_defaults() {
        let cfg = parse("[job]\n").unwrap();
        assert!(cfg.outputs.is_empty() && cfg.options.is_empty() && cfg.download_to.is_none());
        assert_eq!(cfg.poll_wait(0), Duration::from_secs(15));
        assert_eq!(cfg.poll_wait(2), Duration::from_secs(60));
        assert_eq!(cfg.poll_wait(5), Duration::from_secs(300));
        assert_eq!(cfg.poll_wait(40), Duration::from_secs(300));
    }

    #[test]
    fn poll_times_are_checked() {
        let cfg = parse(
            "[job]
poll_secs = 0.2
poll_cap_secs = 1
",
        )
        .unwrap();
        assert_eq!(cfg.poll_wait(0), Duration::from_millis(200));
        assert_eq!(cfg.poll_wait(9), Duration::from_secs(1));
        let err = parse(
            "[job]
poll_secs = 0
",
        )
        .unwrap_err();
        assert!(err.contains("`job.poll_secs` (line 2)"), "{err}");
        let err = parse(
            "[job]
poll_secs = 10
poll_cap_secs = 5
",
        )
        .unwrap_err();
        assert!(err.contains("poll_cap_secs"), "{err}");
    }

    #[test]
    fn errors_name_the_key_and_line() {
        let err = parse("[job]\noutputs = [\n  \"MAIN_FBX\",\n  \"MAIN_OBJ\",\n]\n").unwrap_err();
        assert!(
            err.contains("`job.outputs` (line 4)") && err.contains("MAIN_OBJ"),
            "{err}"
        );
        let err = parse("[job]\n\n[job.options]\ntrackToes = true\n").unwrap_err();
        assert!(err.contains("`job.options.trackToes` (line 4)"), "{err}");
        let err = parse("[job]\noptions = { trackFingers = \"yes\" }\n").unwrap_err();
        assert!(
            err.contains("line 2") && err.contains("true or false"),
            "{err}"
        );
        let err = parse("[job]\nname = \"{nope}\"\n").unwrap_err();
        assert!(err.contains("`job.name` (line 2)"), "{err}");
        let err = parse("[job]\ndownload_to = \"out\"\n").unwrap_err();
        assert!(err.contains("`job.download_to` (line 2)"), "{err}");
    }
}
