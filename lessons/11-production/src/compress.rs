//! A compression middleware, and how a middleware swallows flushes.
//!
//! A middleware sits between the handler and the wire: it gets the
//! answer a handler made and gives back another, here a compressed one.
//! In lesson 05's design a flush is not a method that a wrapper can hide
//! (Go's `http.Flusher` is an interface a wrapper may fail to implement):
//! each `send` of a producer *is* a chunk boundary. What a middleware can
//! do is ignore the boundary, and a compressor that does not flush after
//! each part ignores it: the parts go into its buffer, and come out when
//! the buffer fills or the body ends. Express's `compression()` without
//! `res.flush()` does exactly that, and so does a Go gzip middleware
//! whose writer does not pass `Flush` on.

use std::sync::Arc;

use bytes::Bytes;
use lesson_04_http_parse::head::Head;
use lesson_05_tokio::Answer;
use lesson_05_tokio::produce::Producer;
use lesson_05_tokio::site::Make;

use crate::coding::{Coding, Encoder, Flush};

// ANCHOR: compress
/// `answer`, compressed with the coding `request` accepts best: a
/// streamed answer's parts go through an [`Encoder`], flushed after each
/// one or not at all, as `flush` says. Other answers pass unchanged.
pub fn compress(request: &Head, answer: Answer, flush: Flush) -> Answer {
    let Answer::Stream {
        content_type,
        mut fields,
        make,
    } = answer
    else {
        return answer;
    };
    let coding = Coding::negotiate(accept_encoding(request).as_deref());
    // Coded or not, this body depends on Accept-Encoding: a cache must
    // not give one client's coding to another (RFC 9110 §12.5.5).
    fields.push(("Vary", "Accept-Encoding".into()));
    let Some(name) = coding.name() else {
        return Answer::Stream {
            content_type,
            fields,
            make,
        };
    };
    fields.push(("Content-Encoding", name.into()));
    let make: Make = Box::new(move |chunks| {
        Box::pin(async move {
            // The handler runs as it did, into a channel of our own; each
            // part it sends comes here first. Dropping `parts` stops it.
            let mut parts = Producer::spawn(Arc::default(), make);
            let mut encoder = Encoder::new(coding);
            while let Some(part) = parts.next().await {
                let Ok(coded) = encoder.part(&part, flush) else {
                    return;
                };
                // Without a flush there is often nothing to send yet: the
                // part waits in the compressor, and so does the client.
                if !coded.is_empty() && !chunks.send(Bytes::from(coded)).await {
                    return;
                }
            }
            if let Ok(end) = encoder.finish() {
                chunks.send(Bytes::from(end)).await;
            }
        })
    });
    Answer::Stream {
        content_type,
        fields,
        make,
    }
}
// ANCHOR_END: compress

/// The request's `Accept-Encoding`, its fields joined as one list (RFC
/// 9110 §5.3); `None` if it sent none.
fn accept_encoding(request: &Head) -> Option<String> {
    let values: Vec<String> = request
        .field_pairs()
        .into_iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("accept-encoding"))
        .map(|(_, value)| String::from_utf8_lossy(value).into_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}
