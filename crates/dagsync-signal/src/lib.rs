//! A WebRTC signaling server speaking the y-webrtc protocol (see the README), with limits
//! per connection, that also serves a static folder. [`serve`] runs it on a listener.

mod hub;
mod limits;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::FromRequestParts;
use axum::http::{header, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

pub use hub::Hub;
pub use limits::Limits;

use limits::RateLimiter;

/// How the server runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Per-connection limits.
    pub limits: Limits,
    /// A folder to serve over HTTP (`index.html` for unknown paths), if any.
    pub static_dir: Option<PathBuf>,
    /// How often connections are pinged; one that has not answered the previous ping by the
    /// next is closed.
    pub ping_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            limits: Limits::default(),
            static_dir: None,
            ping_interval: Duration::from_secs(30),
        }
    }
}

/// Close codes the server uses.
const POLICY_VIOLATION: u16 = 1008;
const MESSAGE_TOO_BIG: u16 = 1009;

/// The HTTP service: WebSocket upgrades on any path go to signaling, the rest to the static
/// folder.
pub fn router(config: Config, hub: Arc<Hub>) -> Router {
    let config = Arc::new(config);
    Router::new().fallback(move |request: Request<Body>| {
        let (config, hub) = (config.clone(), hub.clone());
        async move { handle(request, config, hub).await }
    })
}

async fn handle(request: Request<Body>, config: Arc<Config>, hub: Arc<Hub>) -> Response {
    let wants_ws = request
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if wants_ws {
        let (mut parts, _) = request.into_parts();
        return match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
            Ok(ws) => {
                let max = config.limits.max_message_bytes;
                ws.max_message_size(max + 1)
                    .max_frame_size(max + 1)
                    .on_upgrade(move |socket| connection(socket, config, hub))
            }
            Err(rejection) => rejection.into_response(),
        };
    }
    match &config.static_dir {
        Some(dir) => {
            let service = ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")));
            match service.oneshot(request).await {
                Ok(response) => response.map(Body::new),
                Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
            }
        }
        None => (
            StatusCode::NOT_FOUND,
            "signaling server: connect with a WebSocket",
        )
            .into_response(),
    }
}

/// One signaling connection: messages in, relayed messages and pings out.
async fn connection(socket: WebSocket, config: Arc<Config>, hub: Arc<Hub>) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    let id = hub.join(tx.clone());
    let mut limiter = RateLimiter::new(&config.limits);
    let mut ping = tokio::time::interval(config.ping_interval);
    ping.tick().await;
    let mut answered = true;
    let close = |code: u16, why: &'static str| {
        Message::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from_static(why),
        }))
    };
    loop {
        tokio::select! {
            out = rx.recv() => {
                let Some(message) = out else { break };
                let closing = matches!(message, Message::Close(_));
                if sink.send(message).await.is_err() || closing {
                    break;
                }
            }
            incoming = stream.next() => {
                let message = match incoming {
                    Some(Ok(m)) => m,
                    Some(Err(e)) => {
                        let too_big = e.to_string().to_lowercase().contains("too long")
                            || e.to_string().to_lowercase().contains("too big");
                        if too_big {
                            let _ = sink.send(close(MESSAGE_TOO_BIG, "message too big")).await;
                        }
                        break;
                    }
                    None => break,
                };
                let text = match message {
                    Message::Text(t) => t.to_string(),
                    Message::Binary(b) => match String::from_utf8(b.to_vec()) {
                        Ok(t) => t,
                        Err(_) => continue,
                    },
                    Message::Pong(_) => {
                        answered = true;
                        continue;
                    }
                    Message::Ping(_) => continue,
                    Message::Close(_) => break,
                };
                if text.len() > config.limits.max_message_bytes {
                    let _ = sink.send(close(MESSAGE_TOO_BIG, "message too big")).await;
                    break;
                }
                match limiter.admit() {
                    limits::Verdict::Admit => {}
                    limits::Verdict::Drop => continue,
                    limits::Verdict::Close => {
                        let _ = sink.send(close(POLICY_VIOLATION, "too many messages")).await;
                        break;
                    }
                }
                if let Err(why) = hub.handle(id, &text, &config.limits) {
                    let _ = sink.send(close(POLICY_VIOLATION, why)).await;
                    break;
                }
            }
            _ = ping.tick() => {
                if !answered {
                    break;
                }
                answered = false;
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    break;
                }
            }
        }
    }
    hub.leave(id);
}

/// Serves on `listener` until the process ends.
pub async fn serve(listener: TcpListener, config: Config) -> std::io::Result<()> {
    let hub = Arc::new(Hub::default());
    axum::serve(
        listener,
        router(config, hub).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
