//! `cargo run -p lesson-05-tokio [-- --addr HOST:PORT --pause-ms N]`

use std::process::ExitCode;

use lesson_01_raw_tcp::cli;
use lesson_05_tokio::{Config, LESSON, Server};

fn main() -> ExitCode {
    let args = cli::parse(&LESSON);
    let config = Config::new(args.pause());
    cli::listen(&LESSON, args.addr, |listener| {
        if let Err(e) = serve(listener, config) {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    })
}

// ANCHOR: serve
#[tokio::main]
async fn serve(
    listener: std::net::TcpListener,
    config: Config,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let grace = config.grace;
    let server = Server::new(listener, config);
    let stats = server.stats();
    let cut = server
        .run(async {
            stop_signal().await;
            eprintln!(
                "\nstopping: no new connections; {} open, given {grace:?} to finish",
                stats.connections(),
            );
        })
        .await;
    match cut {
        0 => eprintln!("stopped: every response finished"),
        1 => eprintln!("stopped: 1 connection cut mid-stream"),
        n => eprintln!("stopped: {n} connections cut mid-stream"),
    }
    Ok(())
}

/// Ctrl-C, or SIGTERM from a process manager.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term =
            signal(SignalKind::terminate()).expect("SIGTERM can be watched");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
// ANCHOR_END: serve
