//! The signaling protocol and its limits, against a server on 127.0.0.1 with a free port.

use std::time::Duration;

use dagsync_signal::{serve, Config, Limits};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

type Client = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

async fn start(config: Config) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(serve(listener, config));
    format!("ws://{addr}/")
}

async fn client(url: &str) -> Client {
    connect_async(url).await.expect("connect").0
}

async fn send(c: &mut Client, v: Value) {
    c.send(Message::Text(v.to_string().into()))
        .await
        .expect("send");
}

/// The next JSON message, or `None` after `wait` of silence (pings are skipped).
async fn next(c: &mut Client, wait: Duration) -> Option<Value> {
    loop {
        match tokio::time::timeout(wait, c.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return serde_json::from_str(&t).ok(),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            _ => return None,
        }
    }
}

/// The close frame the server sends, if it closes within `wait`.
async fn closed(c: &mut Client, wait: Duration) -> Option<Option<CloseCode>> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, c.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => return Some(frame.map(|f| f.code)),
            Ok(None) | Ok(Some(Err(_))) => return Some(None),
            Ok(Some(Ok(_))) => continue,
            Err(_) => return None,
        }
    }
}

const SHORT: Duration = Duration::from_millis(300);

#[tokio::test]
async fn publish_reaches_every_subscriber_of_the_topic_with_the_count() {
    let url = start(Config::default()).await;
    let (mut a, mut b, mut c) = (client(&url).await, client(&url).await, client(&url).await);
    send(&mut a, json!({"type": "subscribe", "topics": ["room"]})).await;
    send(
        &mut b,
        json!({"type": "subscribe", "topics": ["room", "other"]}),
    )
    .await;
    send(&mut c, json!({"type": "subscribe", "topics": ["other"]})).await;
    // A round trip makes sure the subscriptions landed.
    send(&mut a, json!({"type": "ping"})).await;
    assert_eq!(next(&mut a, SHORT).await, Some(json!({"type": "pong"})));
    send(&mut b, json!({"type": "ping"})).await;
    assert_eq!(next(&mut b, SHORT).await, Some(json!({"type": "pong"})));
    send(
        &mut a,
        json!({"type": "publish", "topic": "room", "data": {"offer": 1}}),
    )
    .await;
    let want = json!({"type": "publish", "topic": "room", "data": {"offer": 1}, "clients": 2});
    assert_eq!(
        next(&mut a, SHORT).await,
        Some(want.clone()),
        "the sender too"
    );
    assert_eq!(next(&mut b, SHORT).await, Some(want));
    assert_eq!(next(&mut c, SHORT).await, None, "other topics hear nothing");
    // After unsubscribing, b hears nothing more from the room.
    send(&mut b, json!({"type": "unsubscribe", "topics": ["room"]})).await;
    send(&mut b, json!({"type": "ping"})).await;
    assert_eq!(next(&mut b, SHORT).await, Some(json!({"type": "pong"})));
    send(&mut a, json!({"type": "publish", "topic": "room", "n": 2})).await;
    assert_eq!(
        next(&mut a, SHORT)
            .await
            .and_then(|m| m.get("clients").cloned()),
        Some(json!(1))
    );
    assert_eq!(next(&mut b, SHORT).await, None);
}

#[tokio::test]
async fn garbage_and_unknown_messages_are_ignored_and_leavers_are_forgotten() {
    let url = start(Config::default()).await;
    let (mut a, mut b) = (client(&url).await, client(&url).await);
    for junk in [
        "not json",
        "[1,2]",
        "{\"type\":\"dance\"}",
        "{\"topics\":[]}",
        "{\"type\":\"publish\"}",
    ] {
        a.send(Message::Text(junk.into())).await.expect("send");
    }
    a.send(Message::Binary(vec![0xff, 0x00].into()))
        .await
        .expect("send");
    send(
        &mut a,
        json!({"type": "subscribe", "topics": ["room", 5, null]}),
    )
    .await;
    send(&mut b, json!({"type": "subscribe", "topics": ["room"]})).await;
    send(&mut b, json!({"type": "ping"})).await;
    assert_eq!(next(&mut b, SHORT).await, Some(json!({"type": "pong"})));
    b.close(None).await.expect("close");
    tokio::time::sleep(Duration::from_millis(100)).await;
    send(&mut a, json!({"type": "publish", "topic": "room"})).await;
    let m = next(&mut a, SHORT).await.expect("still served");
    assert_eq!(m["clients"], json!(1), "b left");
}

#[tokio::test]
async fn oversized_messages_close_the_connection() {
    let config = Config {
        limits: Limits {
            max_message_bytes: 1_000,
            ..Limits::default()
        },
        ..Config::default()
    };
    let url = start(config).await;
    let mut a = client(&url).await;
    let big = json!({"type": "publish", "topic": "room", "data": "x".repeat(5_000)});
    let _ = a.send(Message::Text(big.to_string().into())).await;
    let code = closed(&mut a, Duration::from_secs(2)).await;
    assert!(code.is_some(), "closed");
    if let Some(Some(code)) = code {
        assert_eq!(code, CloseCode::Size);
    }
}

#[tokio::test]
async fn too_many_topics_are_capped_then_refused() {
    let config = Config {
        limits: Limits {
            max_topics: 3,
            ..Limits::default()
        },
        ..Config::default()
    };
    let url = start(config).await;
    let (mut a, mut b) = (client(&url).await, client(&url).await);
    send(
        &mut a,
        json!({"type": "subscribe", "topics": ["t0", "t1", "t2", "t3", "t4"]}),
    )
    .await;
    send(&mut a, json!({"type": "ping"})).await;
    assert_eq!(next(&mut a, SHORT).await, Some(json!({"type": "pong"})));
    // Only three took: a publish to t4 reaches nobody, to t2 reaches a.
    send(&mut b, json!({"type": "publish", "topic": "t4"})).await;
    send(&mut b, json!({"type": "publish", "topic": "t2"})).await;
    let m = next(&mut a, SHORT).await.expect("t2 delivered");
    assert_eq!(m["topic"], json!("t2"));
    // Asking for far more than the limit closes the connection.
    let many: Vec<String> = (0..10).map(|i| format!("x{i}")).collect();
    send(&mut a, json!({"type": "subscribe", "topics": many})).await;
    assert_eq!(
        closed(&mut a, Duration::from_secs(2)).await,
        Some(Some(CloseCode::Policy))
    );
}

#[tokio::test]
async fn a_flood_is_dropped_then_closed_while_others_carry_on() {
    let config = Config {
        limits: Limits {
            messages_per_second: 10.0,
            burst: 20.0,
            ..Limits::default()
        },
        ..Config::default()
    };
    let url = start(config).await;
    let (mut flooder, mut calm) = (client(&url).await, client(&url).await);
    send(&mut calm, json!({"type": "subscribe", "topics": ["room"]})).await;
    send(&mut calm, json!({"type": "ping"})).await;
    assert_eq!(next(&mut calm, SHORT).await, Some(json!({"type": "pong"})));
    for i in 0..200 {
        let m = json!({"type": "publish", "topic": "room", "i": i});
        if flooder
            .send(Message::Text(m.to_string().into()))
            .await
            .is_err()
        {
            break;
        }
    }
    assert_eq!(
        closed(&mut flooder, Duration::from_secs(2)).await,
        Some(Some(CloseCode::Policy))
    );
    // The calm client got at most the burst, and is still served.
    let mut got = 0;
    while next(&mut calm, Duration::from_millis(100)).await.is_some() {
        got += 1;
    }
    assert!(got <= 21, "{got} relayed");
    send(&mut calm, json!({"type": "ping"})).await;
    assert_eq!(next(&mut calm, SHORT).await, Some(json!({"type": "pong"})));
}

#[tokio::test]
async fn silent_connections_are_closed_after_a_missed_ping() {
    let config = Config {
        ping_interval: Duration::from_millis(100),
        ..Config::default()
    };
    let url = start(config).await;
    let mut a = client(&url).await;
    send(&mut a, json!({"type": "subscribe", "topics": ["room"]})).await;
    send(&mut a, json!({"type": "ping"})).await;
    assert_eq!(next(&mut a, SHORT).await, Some(json!({"type": "pong"})));
    // From now on the client never reads, so it never answers pings: the server drops it
    // (and its subscription) after the first unanswered one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut b = client(&url).await;
    send(&mut b, json!({"type": "subscribe", "topics": ["room"]})).await;
    send(&mut b, json!({"type": "publish", "topic": "room"})).await;
    let m = next(&mut b, SHORT).await.expect("b served");
    assert_eq!(m["clients"], json!(1));
    drop(a.close(None).await);
}

#[tokio::test]
async fn the_static_folder_is_served_with_an_index_fallback() {
    let dir = std::env::temp_dir().join(format!("dagsync-signal-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("index.html"), "<h1>demo</h1>").expect("write");
    std::fs::write(dir.join("app.js"), "console.log(1)").expect("write");
    let url = start(Config {
        static_dir: Some(dir.clone()),
        ..Config::default()
    })
    .await;
    let http = url.replace("ws://", "");
    let get = |path: &str| {
        let (host, path) = (http.trim_end_matches('/').to_owned(), path.to_owned());
        async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut s = tokio::net::TcpStream::connect(&host)
                .await
                .expect("connect");
            let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
            s.write_all(req.as_bytes()).await.expect("write");
            let mut out = String::new();
            s.read_to_string(&mut out).await.expect("read");
            out
        }
    };
    let index = get("/").await;
    assert!(
        index.starts_with("HTTP/1.1 200") && index.contains("<h1>demo</h1>"),
        "{index}"
    );
    let js = get("/app.js").await;
    assert!(
        js.contains("console.log(1)") && js.to_lowercase().contains("javascript"),
        "{js}"
    );
    let spa = get("/notes/42").await;
    assert!(
        spa.contains("<h1>demo</h1>"),
        "unknown paths get index.html: {spa}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
