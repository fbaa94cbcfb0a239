//! `inspector compare` names the hop that buffers: lesson 02 straight,
//! and through Debian's nginx as it comes, with its defaults
//! (`proxy_buffering on`, HTTP/1.0 to the upstream). Both requests go at
//! once, through the library calls `inspector compare` makes.

use std::time::Duration;

use inspector::compare::{self, Plan};
use inspector::verdict::Pattern;
use lesson_01_raw_tcp::{server, testing};

#[test]
fn compare_names_the_hop_that_buffers() {
    if !testing::require(testing::NGINX) {
        return;
    }
    let pause = Duration::from_millis(200);
    let origin =
        server::spawn(lesson_02_chunked_by_hand::handler(pause, true)).unwrap();
    let dir = std::env::temp_dir()
        .join(format!("flusher-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let [port] = testing::free_ports();
    let servers = format!(
        "server {{
        listen 127.0.0.1:{port};
        location / {{ proxy_pass http://{origin}; }}
    }}"
    );
    let _nginx = testing::Nginx::start(dir, &servers, &[port]);
    let urls = [
        format!("http://{origin}/"),
        format!("http://127.0.0.1:{port}/"),
    ];
    let plan = Plan {
        max_data: 64,
        ..Plan::default()
    };
    let mut tagged = Vec::new();
    let runs = compare::run(&urls, &plan, |i, record| {
        tagged.push(compare::json_line(&urls[i], record).unwrap());
    });
    let patterns: Vec<Pattern> =
        runs.iter().map(|r| r.verdict().unwrap().pattern).collect();
    assert_eq!(patterns, [Pattern::Stream, Pattern::HeadHeld]);
    // Each line of --json names its target, first.
    let target = |url: &str| format!("{{\"target\":\"{url}\",\"type\":");
    assert!(tagged.iter().any(|l| l.starts_with(&target(&urls[0]))));
    assert!(tagged.iter().any(|l| l.starts_with(&target(&urls[1]))));
    assert!(tagged.iter().all(|l| l.starts_with("{\"target\":")));

    let said = compare::differences(&runs);
    let proxy = format!("127.0.0.1:{port}");
    assert!(
        said.contains(&format!("The stream breaks at {proxy}.")),
        "{said}"
    );
    assert!(
        said.contains("content-length framing where")
            && said.contains("sends chunked"),
        "{said}"
    );
    assert!(said.contains("proxy_buffering off"), "{said}");
    // The lanes: a label and a lane each, then the axis.
    let lanes = compare::lanes(&runs, 40);
    let lines: Vec<&str> = lanes.lines().collect();
    assert_eq!(lines.len(), 5, "{lanes}");
    assert_eq!(lines[2], format!("{proxy}  head_held"));
    // Through nginx, everything in one column, the highest.
    let marks: Vec<char> = lines[3].chars().filter(|&c| c != '·').collect();
    assert_eq!(marks, ['│', '█', '│'], "{lanes}");
    // `compare --svg`: the two lanes on one axis, each with its verdict.
    let svg = compare::svg(&runs);
    for said in [proxy.as_str(), "head_held", "stream"] {
        assert!(svg.contains(said), "{said} not in {svg}");
    }
}
