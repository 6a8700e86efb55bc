//! Progress where no bar can be drawn: `hebb run` and `hebb bench` with stderr going to a
//! file or a pipe write a line every so often, and these lines change nothing in the run.

mod common;

/// The simulated ms of each progress line of `err`.
fn progress_lines(err: &str) -> Vec<f64> {
    err.lines()
        .filter(|l| l.starts_with("hebb: ") && l.contains("ms simulated"))
        .map(|l| {
            assert!(
                l.contains("synaptic events/s") && l.contains("spikes/s") && l.contains("MiB"),
                "a progress line with speed and memory: {l}"
            );
            l["hebb: ".len()..]
                .split_whitespace()
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect()
}

/// The summary's line with the spike and event counts.
fn counts(out: &str) -> &str {
    out.lines()
        .find(|l| l.starts_with("spikes "))
        .expect("a summary")
        .split("  (")
        .next()
        .unwrap()
}

#[test]
fn runs_whose_stderr_is_no_terminal_write_progress_lines() {
    let b4 = common::shipped_model("brette_b4.toml");
    let base = ["run", b4.as_str(), "--no-output", "--duration"];
    // The default is a line a minute: none in a run of a fraction of a second.
    let (code, _, err) = common::hebb(&[&base[..], &["2000", "-t", "1"]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(progress_lines(&err).is_empty(), "{err}");
    for threads in ["1", "2"] {
        let run = [&base[..], &["5000", "-t", threads]].concat();
        let (code, out, err) = common::hebb(&run);
        assert_eq!(code, 0, "{err}");
        let (code, out_lines, err) =
            common::hebb(&[&run[..], &["--progress-every", "0.01"]].concat());
        assert_eq!(code, 0, "{err}");
        let ms = progress_lines(&err);
        assert!(!ms.is_empty(), "progress lines every 10 ms: {err}");
        assert!(
            ms.windows(2).all(|w| w[0] < w[1]) && ms.iter().all(|&t| t > 0.0 && t < 5100.0),
            "{ms:?}"
        );
        // The run is cut into slices to write them; its spikes and events stay the same.
        assert_eq!(counts(&out), counts(&out_lines));
    }
    // -q: no progress at all.
    let (code, _, err) = common::hebb(
        &[
            &base[..],
            &["2000", "-t", "1", "-q", "--progress-every", "0.01"],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(progress_lines(&err).is_empty(), "{err}");
}

#[test]
fn a_progress_interval_must_be_positive() {
    let b4 = common::shipped_model("brette_b4.toml");
    for bad in ["0", "-1", "nan", "inf"] {
        let (code, _, err) = common::hebb(&["bench", &b4, &format!("--progress-every={bad}")]);
        assert_eq!(code, 2, "--progress-every {bad}: {err}");
        assert!(err.contains("--progress-every"), "{err}");
    }
}
