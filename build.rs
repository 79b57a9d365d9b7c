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
use std::{env, fs, path::PathBuf};

const STATIC_NSS: &str = r#"#include <features.h>
#include <nss.h>

/* Before glibc 2.34, `files` and `dns` were shared objects too: a static
   binary would still load them. */
#if !__GLIBC_PREREQ(2, 34)
#error "cargo install-fast needs glibc 2.34 or later; use cargo install --locked --path ."
#endif

__attribute__((constructor)) static void assume_role_static_nss(void) {
    __nss_configure_lookup("passwd", "files");
    __nss_configure_lookup("group", "files");
    __nss_configure_lookup("hosts", "files dns");
}
"#;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
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
    fs::write(&source, STATIC_NSS).expect("write static_nss.c");
    // The cc crate picks the compiler as Cargo users expect (CC_<target>,
    // TARGET_CC, CC, with its arguments) and the target's flags. The object
    // is linked as is, not from an archive, which would drop it: nothing
    // refers to a constructor.
    let objects = cc::Build::new()
        .file(&source)
        .warnings_into_errors(true)
        .compile_intermediates();
    for object in objects {
        println!("cargo::rustc-link-arg-bins={}", object.display());
    }
}
