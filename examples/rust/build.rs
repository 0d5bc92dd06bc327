// SPDX-License-Identifier: MIT
//! Finds libtrainest with the `pkg-config` program (no crates needed).
//!
//! - `PKG_CONFIG` names the program (default `pkg-config`); `PKG_CONFIG_PATH`
//!   finds a trainest installed outside the system directories.
//! - Links the shared library and adds an rpath to its directory, so that
//!   `cargo test` and `cargo run` find it without `LD_LIBRARY_PATH`.
//! - `TRAINEST_STATIC=1` links `libtrainest.a` (and libm) instead.
use std::env;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-env-changed=TRAINEST_STATIC");

    let pkg_config = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".into());
    let statik = env::var("TRAINEST_STATIC").map(|v| v == "1").unwrap_or(false);
    let mut args = vec!["--libs", "trainest"];
    if statik {
        args.insert(0, "--static"); // adds Libs.private: -lm
    }
    let out = match Command::new(&pkg_config).args(&args).output() {
        Ok(out) => out,
        Err(e) => panic!("cannot run {pkg_config}: {e} (install pkg-config or set PKG_CONFIG)"),
    };
    if !out.status.success() {
        panic!(
            "{pkg_config} --libs trainest failed: {}\nInstall trainest, or set PKG_CONFIG_PATH \
             to the directory holding trainest.pc",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let libs = String::from_utf8(out.stdout).expect("pkg-config printed non-UTF-8");
    for tok in libs.split_whitespace() {
        if let Some(dir) = tok.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
            if !statik {
                // Only this package's tests, examples and binaries get the
                // rpath; a dependent crate adds its own (or uses LD_LIBRARY_PATH).
                println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
            }
            println!("cargo:libdir={dir}"); // DEP_TRAINEST_LIBDIR for dependents
        } else if let Some(lib) = tok.strip_prefix("-l") {
            if lib == "trainest" {
                let kind = if statik { "static" } else { "dylib" };
                println!("cargo:rustc-link-lib={kind}=trainest");
            } else {
                println!("cargo:rustc-link-lib=dylib={lib}");
            }
        }
    }
}
