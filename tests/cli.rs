//! CLI transcript tests: each `tests/cmd/*.toml` runs the real `sg-executor-gen` binary and pins
//! its exit code, stdout and stderr, so what an admin sees (especially the `FILE:LINE:COL`
//! diagnostics for bad configs) cannot change unnoticed. Regenerate expectations with
//! `TRYCMD=overwrite cargo test --test suite cli::`, then review every changed line before committing.

#[test]
fn cli_transcripts() {
    trycmd::TestCases::new().case("tests/cmd/*.toml");
}
