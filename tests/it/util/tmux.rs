//! A terminal for the tests: a tmux server of its own (its socket in the
//! test's directory) running one program in the test's environment, typed
//! into with `send-keys` and read with `capture-pane`. Killed on drop.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{TestEnv, need};

/// How long a wait for the screen may take before the test fails: a wait
/// ends as soon as the screen shows what it waits for, so this only bounds
/// a failing test.
const WAIT: Duration = Duration::from_secs(60);

pub struct Tmux<'a> {
    env: &'a TestEnv,
    socket: PathBuf,
}

impl<'a> Tmux<'a> {
    /// Runs `argv` in a 200×50 terminal, in `work/` (where commands of
    /// the environment run).
    pub fn start(env: &'a TestEnv, argv: &[&str]) -> Tmux<'a> {
        Tmux::start_in(env, &env.work(), argv)
    }

    /// Runs `argv` in a 200×50 terminal whose working directory is `dir`.
    pub fn start_in(env: &'a TestEnv, dir: &Path, argv: &[&str]) -> Tmux<'a> {
        need("tmux");
        let tmux = Tmux {
            env,
            socket: env.root().join("tmux.sock"),
        };
        let dir = dir.to_str().expect("a UTF-8 directory");
        let mut args = vec![
            "new-session",
            "-d",
            "-x",
            "200",
            "-y",
            "50",
            "-c",
            dir,
            "--",
        ];
        args.extend(argv);
        tmux.tmux(&args);
        tmux
    }

    /// Runs a tmux command against this server; it must succeed.
    pub fn tmux(&self, args: &[&str]) -> String {
        let out = self
            .env
            .command("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run tmux ({e}): apt-get install tmux"));
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Sends `keys` as tmux names them (`"C-c"`, `"Enter"`, `"Tab"`, or
    /// text).
    pub fn keys(&self, keys: &[&str]) {
        self.tmux(&[&["send-keys"], keys].concat());
    }

    /// Types `text` literally, then Enter.
    pub fn type_line(&self, text: &str) {
        self.tmux(&["send-keys", "-l", text]);
        self.tmux(&["send-keys", "Enter"]);
    }

    /// The screen and its history, wrapped lines joined.
    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-J", "-S", "-"])
    }

    /// Waits until `text` is on the screen; returns the screen.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_for_n(text, 1)
    }

    /// Waits until `text` is on the screen `times` times; returns the screen.
    pub fn wait_for_n(&self, text: &str, times: usize) -> String {
        self.wait_until(&format!("{text:?} ×{times}"), |screen| {
            screen.matches(text).count() >= times
        })
    }

    /// Waits until `done` holds for the screen; returns the screen.
    pub fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{what} never showed on the terminal:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux<'_> {
    fn drop(&mut self) {
        let _ = self
            .env
            .command("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}
