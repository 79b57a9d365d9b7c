//! Only for the static build that `cargo install-fast` makes (see
//! .cargo/config.toml): with glibc linked statically, a lookup that reaches
//! an NSS module other than the built-in `files` and `dns` has to load that
//! module (and a second libc) with dlopen, which is not safe in a static
//! process. A home-directory lookup without $HOME for a user that
//! /etc/passwd does not list went on to libnss_systemd and crashed with
//! SIGSEGV. So the static binary is linked with a constructor that pins
//! those databases to the built-in modules: passwd and group to `files`,
//! hosts to `files dns` (/etc/hosts, then the servers in /etc/resolv.conf).
//! Other builds get nothing from this script.
use std::{env, fs, path::PathBuf, process::Command};

const STATIC_NSS: &str = r#"#include <nss.h>

__attribute__((constructor)) static void assume_role_static_nss(void) {
    __nss_configure_lookup("passwd", "files");
    __nss_configure_lookup("group", "files");
    __nss_configure_lookup("hosts", "files dns");
}
"#;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=CC");
    let var = |name: &str| env::var(name).unwrap_or_default();
    let static_glibc = var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
        && var("CARGO_CFG_TARGET_FEATURE")
            .split(',')
            .any(|f| f == "crt-static");
    if !static_glibc {
        return;
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let source = out.join("static_nss.c");
    let object = out.join("static_nss.o");
    fs::write(&source, STATIC_NSS).expect("write static_nss.c");
    let cc = env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let status = Command::new(&cc)
        .args(["-c", "-O2", "-fPIE", "-Wall", "-Werror", "-o"])
        .arg(&object)
        .arg(&source)
        .status()
        .unwrap_or_else(|e| panic!("cannot run the C compiler `{cc}` (set CC): {e}"));
    assert!(
        status.success(),
        "`{cc}` could not compile {}",
        source.display()
    );
    println!("cargo::rustc-link-arg-bins={}", object.display());
}
