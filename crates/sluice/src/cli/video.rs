//! `sluice video create|list|describe|delete|put|get|hls`: Kinesis Video Streams from the
//! command line. `put` streams Matroska from a file or stdin (e.g. `ffmpeg ... -f matroska -`)
//! as one PutMedia call and prints each acknowledgement; `get` writes a stream's fragments as
//! Matroska to stdout; `hls` prints a playable HLS URL.

use super::ClientArgs;
use super::client::{Client, answer};
use anyhow::{Context, bail};
use bytes::Bytes;
use clap::{Subcommand, ValueEnum};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper_util::rt::TokioIo;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::path::PathBuf;

const SERVICE: &str = "kinesisvideo";

#[derive(Debug, Subcommand)]
pub enum VideoCommand {
    /// Create a video stream.
    Create {
        name: String,
        /// How long fragments are kept (0: live consumers only).
        #[arg(long, default_value_t = 24)]
        retention_hours: u32,
        /// The media type, e.g. `video/h264`.
        #[arg(long)]
        media_type: Option<String>,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// List video streams.
    List {
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Describe a video stream.
    Describe {
        name: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Delete a video stream.
    Delete {
        name: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Stream Matroska into a video stream (PutMedia) and print its acknowledgements.
    Put {
        name: String,
        /// A Matroska file, or `-` (the default) for stdin.
        #[arg(default_value = "-")]
        file: String,
        /// How the Clusters' timecodes are read: relative to now, or as absolute times.
        #[arg(long, value_enum, default_value_t = Timecodes::Relative)]
        timecodes: Timecodes,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Write a stream's fragments as Matroska to stdout (or a file).
    Get {
        name: String,
        /// Where to start: `earliest`, `now`, or a producer timestamp in seconds.
        #[arg(long, default_value = "earliest")]
        start: String,
        /// Keep following new fragments (GetMedia); otherwise stop at the newest one.
        #[arg(long)]
        follow: bool,
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Print a playable HLS URL for a stream.
    Hls {
        name: String,
        /// LIVE, or ON_DEMAND over the last day (by producer timestamps).
        #[arg(long, value_enum, default_value_t = HlsMode::Live)]
        mode: HlsMode,
        /// How long the URL stays valid, in seconds (300 to 43200).
        #[arg(long, default_value_t = 3600)]
        expires: u32,
        #[command(flatten)]
        client: ClientArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Timecodes {
    Relative,
    Absolute,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum HlsMode {
    Live,
    OnDemand,
}

pub async fn run(cmd: VideoCommand) -> anyhow::Result<()> {
    match cmd {
        VideoCommand::Create {
            name,
            retention_hours,
            media_type,
            client,
        } => {
            let c = Client::new(&client)?;
            let mut body = json!({ "StreamName": name, "DataRetentionInHours": retention_hours });
            if let Some(m) = media_type {
                body["MediaType"] = json!(m);
            }
            let out = c.rest(SERVICE, "/createStream", &body).await?;
            println!("{}", out["StreamARN"].as_str().unwrap_or_default());
        }
        VideoCommand::List { client } => {
            let c = Client::new(&client)?;
            let mut token: Option<String> = None;
            loop {
                let mut body = json!({});
                if let Some(t) = &token {
                    body["NextToken"] = json!(t);
                }
                let out = c.rest(SERVICE, "/listStreams", &body).await?;
                for s in out["StreamInfoList"].as_array().into_iter().flatten() {
                    println!(
                        "{}\t{}\t{}h",
                        s["StreamName"].as_str().unwrap_or_default(),
                        s["Status"].as_str().unwrap_or_default(),
                        s["DataRetentionInHours"]
                    );
                }
                match out["NextToken"].as_str() {
                    Some(t) => token = Some(t.to_owned()),
                    None => break,
                }
            }
        }
        VideoCommand::Describe { name, client } => {
            let c = Client::new(&client)?;
            let out = describe(&c, &name).await?;
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        VideoCommand::Delete { name, client } => {
            let c = Client::new(&client)?;
            let info = describe(&c, &name).await?;
            c.rest(
                SERVICE,
                "/deleteStream",
                &json!({ "StreamARN": info["StreamARN"], "CurrentVersion": info["Version"] }),
            )
            .await?;
            println!("deleted {name}");
        }
        VideoCommand::Put {
            name,
            file,
            timecodes,
            client,
        } => put(&Client::new(&client)?, &name, &file, timecodes).await?,
        VideoCommand::Get {
            name,
            start,
            follow,
            output,
            client,
        } => {
            let c = Client::new(&client)?;
            let mut out: Box<dyn Write> = match output {
                Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p)?)),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            get(&c, &name, &start, follow, &mut out).await?;
            out.flush()?;
        }
        VideoCommand::Hls {
            name,
            mode,
            expires,
            client,
        } => {
            let c = Client::new(&client)?;
            let mut body = json!({ "StreamName": name, "Expires": expires });
            match mode {
                HlsMode::Live => body["PlaybackMode"] = json!("LIVE"),
                HlsMode::OnDemand => {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)?
                        .as_secs_f64();
                    body["PlaybackMode"] = json!("ON_DEMAND");
                    // Producer timestamps keep the media's own timeline (server timestamps
                    // of a fast upload overlap); the range is AWS's longest, up to now.
                    body["HLSFragmentSelector"] = json!({
                        "FragmentSelectorType": "PRODUCER_TIMESTAMP",
                        "TimestampRange": { "StartTimestamp": now - 86_000.0, "EndTimestamp": now + 300.0 },
                    });
                }
            }
            let out = c.rest(SERVICE, "/getHLSStreamingSessionURL", &body).await?;
            println!(
                "{}",
                out["HLSStreamingSessionURL"].as_str().unwrap_or_default()
            );
        }
    }
    Ok(())
}

async fn describe(c: &Client, name: &str) -> anyhow::Result<Value> {
    let out = c
        .rest(SERVICE, "/describeStream", &json!({ "StreamName": name }))
        .await?;
    Ok(out["StreamInfo"].clone())
}

type PutBody = http_body_util::combinators::BoxBody<Bytes, std::io::Error>;

/// PutMedia: the input is sent as it is read, and acknowledgements are printed as they come.
async fn put(c: &Client, name: &str, file: &str, timecodes: Timecodes) -> anyhow::Result<()> {
    let mut input: Box<dyn Read + Send> = if file == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(file).with_context(|| format!("opening {file}"))?)
    };
    let total = if file == "-" {
        None
    } else {
        Some(std::fs::metadata(file)?.len())
    };
    let bar = match total {
        Some(n) => ProgressBar::new(n).with_style(ProgressStyle::with_template(
            "{bar:30} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ({msg}) [{elapsed}]",
        )?),
        None => ProgressBar::new_spinner().with_style(ProgressStyle::with_template(
            "{spinner} {binary_bytes} {binary_bytes_per_sec} ({msg}) [{elapsed}]",
        )?),
    };
    bar.set_message("0 fragments persisted");
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(8);
    let reader_bar = bar.clone();
    // The input is read on a thread of its own: stdin may block for as long as its producer.
    let reader = tokio::task::spawn_blocking(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match input.read(&mut buf) {
                Ok(0) => return Ok::<(), anyhow::Error>(()),
                Ok(n) => {
                    reader_bar.inc(n as u64);
                    if tx
                        .blocking_send(Ok(Frame::data(Bytes::copy_from_slice(&buf[..n]))))
                        .is_err()
                    {
                        bail!("the server closed the PutMedia request early");
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
                    return Err(e.into());
                }
            }
        }
    });
    let frames =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|f| (f, rx)) });
    let body: PutBody = BodyExt::boxed(StreamBody::new(frames));
    let mut req = http::Request::builder()
        .method("POST")
        .uri(c.url("/putMedia"))
        .header("x-amzn-stream-name", name)
        .header(
            "x-amzn-fragment-timecode-type",
            match timecodes {
                Timecodes::Relative => "RELATIVE",
                Timecodes::Absolute => "ABSOLUTE",
            },
        )
        .header(
            "x-amzn-producer-start-timestamp",
            format!(
                "{:.3}",
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)?
                    .as_secs_f64()
            ),
        )
        .body(body)?;
    c.sign(&mut req, SERVICE, None)?;
    let uri: http::Uri = c.url("/").parse()?;
    let tcp = tokio::net::TcpStream::connect((
        uri.host().context("endpoint has no host")?,
        uri.port_u16().unwrap_or(80),
    ))
    .await
    .context("connecting for PutMedia")?;
    tcp.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let resp = sender.send_request(req).await?;
    if !resp.status().is_success() {
        answer("/putMedia", resp).await?;
        bail!("PutMedia: unexpected answer");
    }
    let mut body = resp.into_body();
    let mut line = Vec::new();
    let (mut persisted, mut errors) = (0u64, 0u64);
    while let Some(frame) = body.frame().await {
        let Some(data) = frame?.into_data().ok() else {
            continue;
        };
        for b in data {
            if b != b'\n' {
                line.push(b);
                continue;
            }
            let text = String::from_utf8_lossy(&line).trim().to_owned();
            line.clear();
            if text.is_empty() {
                continue;
            }
            let ack: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            match ack["EventType"].as_str() {
                Some("PERSISTED") => persisted += 1,
                Some("ERROR") => errors += 1,
                _ => {}
            }
            bar.set_message(format!("{persisted} fragments persisted"));
            bar.suspend(|| println!("{text}"));
        }
    }
    bar.finish();
    reader.await??;
    if errors > 0 {
        bail!("PutMedia ended with {errors} error acknowledgement(s)");
    }
    eprintln!("{persisted} fragments persisted");
    Ok(())
}

/// The stream's fragments as Matroska: GetMedia when following, otherwise ListFragments and
/// GetMediaForFragmentList up to the newest fragment.
async fn get(
    c: &Client,
    name: &str,
    start: &str,
    follow: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let selector = match start {
        "earliest" => json!({ "StartSelectorType": "EARLIEST" }),
        "now" => json!({ "StartSelectorType": "NOW" }),
        t => json!({
            "StartSelectorType": "PRODUCER_TIMESTAMP",
            "StartTimestamp": t.parse::<f64>().context("--start is earliest, now, or seconds")?,
        }),
    };
    if follow {
        let mut body = c
            .rest_streaming(
                SERVICE,
                "/getMedia",
                &json!({ "StreamName": name, "StartSelector": selector }),
            )
            .await?;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame?.into_data() {
                out.write_all(&data)?;
                out.flush()?;
            }
        }
        return Ok(());
    }
    let mut fragments: Vec<(String, f64)> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({ "StreamName": name });
        if let Some(t) = &token {
            body["NextToken"] = json!(t);
        }
        let page = c.rest(SERVICE, "/listFragments", &body).await?;
        for f in page["Fragments"].as_array().into_iter().flatten() {
            fragments.push((
                f["FragmentNumber"].as_str().unwrap_or_default().to_owned(),
                f["ProducerTimestamp"].as_f64().unwrap_or(0.0),
            ));
        }
        match page["NextToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    fragments.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(from) = selector["StartTimestamp"].as_f64() {
        fragments.retain(|(_, t)| *t >= from);
    }
    if start == "now" {
        fragments.clear();
    }
    let mut joiner = Joiner::default();
    for batch in fragments.chunks(100) {
        let numbers: Vec<&str> = batch.iter().map(|(n, _)| n.as_str()).collect();
        let bytes = c
            .rest_raw(
                SERVICE,
                "/getMediaForFragmentList",
                &json!({ "StreamName": name, "Fragments": numbers }),
            )
            .await?;
        joiner.write(&bytes, out)?;
    }
    eprintln!("{} fragments", fragments.len());
    Ok(())
}

/// Joins GetMedia's per-fragment Matroska documents (each an EBML header, a Segment of unknown
/// size, Info, Tracks, then Tags and Clusters) into one document: a fragment with the same Info
/// and Tracks as the one before continues the Segment; one with others starts a new document.
#[derive(Default)]
struct Joiner {
    /// The Info and Tracks elements in force.
    header: Vec<u8>,
}

impl Joiner {
    fn write(&mut self, bytes: &[u8], out: &mut dyn Write) -> anyhow::Result<()> {
        use sluice_video::mkv::{ebml, ids};
        let mut pos = 0;
        while pos < bytes.len() {
            // One document: the EBML header, then the Segment's header.
            let doc_start = pos;
            let h = ebml::read_header(&bytes[pos..])
                .map_err(|_| anyhow::anyhow!("GetMedia's answer is not Matroska"))?;
            anyhow::ensure!(
                h.id == ids::EBML,
                "GetMedia's answer does not start a document"
            );
            pos += usize::try_from(h.total().context("an EBML header of unknown size")?)?;
            anyhow::ensure!(pos < bytes.len(), "GetMedia's answer is truncated");
            let seg = ebml::read_header(&bytes[pos..])
                .map_err(|_| anyhow::anyhow!("GetMedia's answer has no Segment"))?;
            anyhow::ensure!(seg.id == ids::SEGMENT, "GetMedia's answer has no Segment");
            let segment_header_end = pos + seg.len;
            pos = segment_header_end;
            // Its children, up to the next document.
            let mut header = Vec::new();
            let body_start;
            loop {
                anyhow::ensure!(pos < bytes.len(), "GetMedia's answer has no Clusters");
                let c = ebml::read_header(&bytes[pos..])
                    .map_err(|_| anyhow::anyhow!("GetMedia's answer is truncated"))?;
                if c.id == ids::INFO || c.id == ids::TRACKS {
                    let end =
                        pos + usize::try_from(c.total().context("an element of unknown size")?)?;
                    anyhow::ensure!(end <= bytes.len(), "GetMedia's answer is truncated");
                    header.extend_from_slice(&bytes[pos..end]);
                    pos = end;
                } else {
                    body_start = pos;
                    break;
                }
            }
            while pos < bytes.len() {
                let c = ebml::read_header(&bytes[pos..])
                    .map_err(|_| anyhow::anyhow!("GetMedia's answer is truncated"))?;
                if c.id == ids::EBML {
                    break;
                }
                pos += usize::try_from(c.total().context("an element of unknown size")?)?;
            }
            anyhow::ensure!(pos <= bytes.len(), "GetMedia's answer is truncated");
            if header == self.header {
                out.write_all(&bytes[body_start..pos])?;
            } else {
                out.write_all(&bytes[doc_start..pos])?;
                self.header = header;
            }
        }
        Ok(())
    }
}
