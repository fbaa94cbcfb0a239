//! Lesson 07 on a real socket, read by the inspector: the shell at once,
//! then the modules in page order, each held back by those before it.

use inspector::capture::get_chunks;
use inspector::session::Chunk;
use lesson_06_ssr_blocking::dashboard::{
    Delays, END, MODULES, fetch_all, render,
};
use lesson_07_streaming_ssr::{shell, skeleton, spawn};

/// The chunks of `GET target`, each with its arrival time.
fn chunks(addr: std::net::SocketAddr, target: &str) -> Vec<Chunk> {
    get_chunks(addr, target).unwrap()
}

// ANCHOR: head_of_line
#[tokio::test]
async fn a_slow_module_holds_back_every_module_after_it() {
    let addr = spawn(Delays::default()).unwrap();
    // The feed takes 300 ms; every other source 50 at most.
    let chunks = chunks(addr, "/?delays=10,300,20,30,50");

    // The page, in order: the shell, each module, the end.
    let data = fetch_all(Delays::parse("0,0,0,0,0").unwrap()).await;
    let mut page = vec![shell()];
    page.extend(MODULES.iter().zip(&data).map(|(m, d)| render(*m, d)));
    page.push(END.to_owned());
    let sent: Vec<&str> = chunks.iter().map(|c| c.data.as_str()).collect();
    assert_eq!(sent, page);

    // The shell waits for no data; the profile only for its own.
    let at: Vec<f64> = chunks.iter().map(|c| c.t_ms).collect();
    assert!(at[0] < 150.0, "the shell came at {} ms", at[0]);
    assert!(at[1] < 150.0, "the profile came at {} ms", at[1]);
    // The recommendations, comments and weather were ready at 20 to
    // 50 ms, but come after the feed, at 300.
    for (module, t) in MODULES[1..].iter().zip(&at[2..]) {
        assert!(*t >= 300.0, "{} came at {t} ms", module.id);
    }
}
// ANCHOR_END: head_of_line

#[test]
fn the_shell_has_a_skeleton_per_module_and_no_data() {
    let shell = shell();
    for module in MODULES {
        let skeleton =
            format!("id=\"{}-skeleton\"><h2>{}</h2>", module.id, module.title);
        assert!(shell.contains(&skeleton), "{skeleton}");
    }
    assert!(!shell.contains("<section"));
    assert!(shell.ends_with(&skeleton(MODULES[4])));
}
