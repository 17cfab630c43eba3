//! `sluice stream create|list|describe|delete`.

use super::ClientArgs;
use super::client::Client;
use clap::Subcommand;
use serde_json::json;

#[derive(Debug, Subcommand)]
pub enum StreamCommand {
    /// Create a stream.
    Create {
        name: String,
        /// Number of shards (provisioned mode); omit for on-demand.
        #[arg(long)]
        shards: Option<u32>,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// List streams.
    List {
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Describe a stream and its shards.
    Describe {
        name: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Delete a stream.
    Delete {
        name: String,
        #[command(flatten)]
        client: ClientArgs,
    },
}

pub async fn run(cmd: StreamCommand) -> anyhow::Result<()> {
    match cmd {
        StreamCommand::Create {
            name,
            shards,
            client,
        } => {
            let c = Client::new(&client)?;
            let mut body = json!({ "StreamName": name });
            match shards {
                Some(n) => body["ShardCount"] = json!(n),
                None => body["StreamModeDetails"] = json!({ "StreamMode": "ON_DEMAND" }),
            }
            c.call("CreateStream", &body).await?;
            println!("created {name}");
        }
        StreamCommand::List { client } => {
            let c = Client::new(&client)?;
            let mut token: Option<String> = None;
            loop {
                let body = match &token {
                    Some(t) => json!({ "NextToken": t }),
                    None => json!({}),
                };
                let out = c.call("ListStreams", &body).await?;
                for s in out["StreamSummaries"].as_array().into_iter().flatten() {
                    println!(
                        "{}\t{}\t{}",
                        s["StreamName"].as_str().unwrap_or(""),
                        s["StreamStatus"].as_str().unwrap_or(""),
                        s["StreamModeDetails"]["StreamMode"].as_str().unwrap_or("")
                    );
                }
                token = out["NextToken"].as_str().map(str::to_owned);
                if token.is_none() {
                    break;
                }
            }
        }
        StreamCommand::Describe { name, client } => {
            let c = Client::new(&client)?;
            let summary = c
                .call("DescribeStreamSummary", &json!({ "StreamName": name }))
                .await?;
            let shards = c.call("ListShards", &json!({ "StreamName": name })).await?;
            let out = json!({
                "StreamDescriptionSummary": summary["StreamDescriptionSummary"],
                "Shards": shards["Shards"],
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        StreamCommand::Delete { name, client } => {
            let c = Client::new(&client)?;
            c.call("DeleteStream", &json!({ "StreamName": name }))
                .await?;
            println!("deleted {name}");
        }
    }
    Ok(())
}
