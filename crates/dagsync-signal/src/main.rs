//! `dagsync-signal [--host H] [--port P] [--static DIR]`: runs the signaling server (and
//! serves DIR) and prints its URL.

use std::path::PathBuf;
use std::process::ExitCode;

use dagsync_signal::{serve, Config};

#[tokio::main]
async fn main() -> ExitCode {
    let mut host = "127.0.0.1".to_owned();
    let mut port: u16 = 4444;
    let mut config = Config::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        match (arg.as_str(), value) {
            ("--host", Some(v)) => host = v,
            ("--port", Some(v)) => match v.parse() {
                Ok(p) => port = p,
                Err(_) => return usage(&format!("not a port: {v}")),
            },
            ("--static", Some(v)) => config.static_dir = Some(PathBuf::from(v)),
            _ => return usage(&format!("unexpected argument {arg}")),
        }
    }
    let listener = match tokio::net::TcpListener::bind((host.as_str(), port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {host}:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    println!("dagsync-signal: http://{addr}/ (signaling: ws://{addr}/)");
    match serve(listener, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server stopped: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("{problem}\nusage: dagsync-signal [--host H] [--port P] [--static DIR]");
    ExitCode::from(2)
}
