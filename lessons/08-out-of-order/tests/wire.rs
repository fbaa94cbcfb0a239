//! Lesson 08 on a real socket, read by the inspector: the shell at once,
//! then each module the moment its data is in.

use inspector::capture::{self, get_chunks};
use inspector::session::Chunk;
use lesson_06_ssr_blocking::dashboard::{
    Data, Delays, END, MODULES, fetch_all, render,
};
use lesson_08_out_of_order::{shell, spawn, template};

/// The chunks of `GET target`, each with its arrival time.
fn chunks(addr: std::net::SocketAddr, target: &str) -> Vec<Chunk> {
    get_chunks(addr, target).unwrap()
}

/// Every module's data, as its source gives it.
async fn data() -> Vec<Data> {
    fetch_all(Delays::parse("0,0,0,0,0").unwrap()).await
}

// ANCHOR: out_of_order
#[tokio::test]
async fn each_module_comes_the_moment_its_data_is_in() {
    let addr = spawn(Delays::default()).unwrap();
    let delays = Delays::parse("10,300,120,50,200").unwrap();
    let chunks = chunks(addr, &format!("/?delays={delays}"));

    // The shell with every placeholder, then the modules by readiness:
    // profile (10 ms), comments (50), recommendations (120), weather
    // (200, its error fallback), feed (300).
    let data = data().await;
    let mut page = vec![shell(delays, &[])];
    for i in [0, 3, 2, 4, 1] {
        page.push(template(MODULES[i], &data[i]));
    }
    page.push(END.to_owned());
    let sent: Vec<&str> = chunks.iter().map(|c| c.data.as_str()).collect();
    assert_eq!(sent, page);
    assert!(sent[4].contains("Weather is not available right now."));

    // The shell waits for nothing; each module for its own data only.
    assert!(
        chunks[0].t_ms < 100.0,
        "the shell came at {} ms",
        chunks[0].t_ms
    );
    for (chunk, delay) in
        chunks[1..6].iter().zip([10.0, 50.0, 120.0, 200.0, 300.0])
    {
        assert!(
            (delay..delay + 100.0).contains(&chunk.t_ms),
            "{}: {} ms for a {delay} ms source",
            &chunk.data[..30],
            chunk.t_ms
        );
    }
}
// ANCHOR_END: out_of_order

#[tokio::test]
async fn data_there_before_the_shell_is_rendered_in_it() {
    let addr = spawn(Delays::default()).unwrap();
    // Cache hits: the profile and the comments need no wait.
    let delays = Delays::parse("0,30,60,0,90").unwrap();
    let chunks = chunks(addr, &format!("/?delays={delays}"));
    let data = data().await;
    let ready = [(0, data[0].clone()), (3, data[3].clone())];
    let shell = shell(delays, &ready);
    assert!(shell.contains(&render(MODULES[0], &data[0])));
    assert!(shell.contains("id=\"feed-placeholder\""));
    assert!(!shell.contains("id=\"profile-placeholder\""));
    let sent: Vec<&str> = chunks.iter().map(|c| c.data.as_str()).collect();
    let feed = template(MODULES[1], &data[1]);
    let recommendations = template(MODULES[2], &data[2]);
    let weather = template(MODULES[4], &data[4]);
    assert_eq!(sent, [&shell, &feed, &recommendations, &weather, END]);
}

#[tokio::test]
async fn without_javascript_the_page_reloads_as_the_in_order_stream() {
    let addr = spawn(Delays::default()).unwrap();
    let delays = Delays::parse("10,40,20,30,50").unwrap();
    let page = chunks(addr, &format!("/?delays={delays}"));
    assert!(page[0].data.contains(
        "<noscript><meta http-equiv=\"refresh\" \
         content=\"0; url=?delays=10,40,20,30,50&amp;js=0\"></noscript>"
    ));
    // Where it points: lesson 07's stream, which needs no script.
    let fallback = chunks(addr, "/?delays=10,40,20,30,50&js=0");
    let sent: Vec<&str> = fallback.iter().map(|c| c.data.as_str()).collect();
    let data = data().await;
    let mut page = vec![lesson_07_streaming_ssr::shell()];
    page.extend(MODULES.iter().zip(&data).map(|(m, d)| render(*m, d)));
    page.push(END.to_owned());
    assert_eq!(sent, page);
    assert!(!sent.concat().contains("<script"));
}

#[test]
fn a_template_ends_up_as_the_module_lesson_06_renders() {
    let data: Data = Ok("<p>hi</p>".into());
    assert_eq!(
        template(MODULES[1], &data),
        "<template id=\"feed-template\"><section class=\"module\" id=\"feed\">\
         <h2>Feed</h2><p>hi</p></section></template><script>swap(\"feed\")</script>"
    );
    assert_eq!(
        render(MODULES[1], &data),
        "<section class=\"module\" id=\"feed\"><h2>Feed</h2><p>hi</p></section>\n"
    );
}

#[test]
fn other_requests_are_refused_with_a_reason() {
    let addr = spawn(Delays::default()).unwrap();
    let answer =
        |request: &str| capture::answer(addr, request.as_bytes()).unwrap();
    let get = |target| {
        format!("GET {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    };
    assert_eq!(
        answer(&get("/?delays=1,soon")),
        (
            400,
            "\"soon\": a delay is a whole number of milliseconds\n".into()
        )
    );
    assert_eq!(
        answer(&get("/?delays=999999999")),
        (400, "999999999: a delay is 60000 ms at most\n".into())
    );
    assert_eq!(
        answer(&get("/elsewhere")),
        (404, "nothing at /elsewhere: try /\n".into())
    );
    let post = "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    assert_eq!(
        answer(post),
        (405, "POST is not allowed here: GET or HEAD\n".into())
    );
}
