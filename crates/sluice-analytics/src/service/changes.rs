//! Version-checked changes to an application: its inputs, outputs, reference data, input
//! processing, logging options and code (Add*/Delete*/UpdateApplication), each through
//! `modify`.

use super::*;

impl Analytics {
    /// Applies a version-checked change: the version must be the current one; the result must
    /// compile; the version goes up by one. A running application's runner is restarted on the
    /// new configuration, from its checkpoints.
    async fn modify(
        self: &Arc<Self>,
        name: &str,
        current_version: u64,
        change: impl FnOnce(&mut ApplicationMeta) -> Result<()>,
    ) -> Result<()> {
        let _guard = self.control.lock().await;
        let state = self.get(name)?;
        let mut m = (**state.meta.read()).clone();
        if m.version_id != current_version {
            return Err(AnalyticsError::ConcurrentModification(format!(
                "Provided application version id ({current_version}) does not match the current version id ({}) of application {name}.",
                m.version_id
            )));
        }
        if matches!(
            m.status,
            ApplicationStatus::Starting | ApplicationStatus::Stopping
        ) {
            return Err(AnalyticsError::InUse(format!(
                "Application {name} is in {} state.",
                m.status.as_str()
            )));
        }
        change(&mut m)?;
        if m.inputs.is_empty() {
            crate::parse(&m.code).map_err(|e| AnalyticsError::CodeValidation(e.to_string()))?;
        } else {
            compile(&m)?;
        }
        m.version_id += 1;
        m.updated_ms = self.now();
        let running = m.status == ApplicationStatus::Running;
        if running {
            self.stop_runner(&state).await;
            // Resuming from the checkpoints, whatever the first start's position was.
            for i in &mut m.inputs {
                i.starting_position = Some("LAST_STOPPED_POINT".into());
            }
        }
        self.persist(&m, Vec::new())?;
        *state.meta.write() = Arc::new(m);
        if running {
            let shutdown = state.shutdown.lock().clone();
            if let Some(shutdown) = shutdown {
                self.spawn_runner(name, &state, shutdown);
            }
        }
        Ok(())
    }

    pub async fn add_input(
        self: &Arc<Self>,
        name: &str,
        version: u64,
        input: NewInput,
    ) -> Result<()> {
        self.check_resource(&input.source)?;
        self.modify(name, version, |m| {
            if !m.inputs.is_empty() {
                return Err(AnalyticsError::InvalidArgument(format!(
                    "Application {} already has an input; an application has at most one.",
                    m.name
                )));
            }
            m.inputs.push(Input {
                id: "1.1".into(),
                name_prefix: input.name_prefix,
                source: input.source,
                schema: input.schema,
                parallelism: input.parallelism.unwrap_or(1),
                starting_position: None,
                processor: input.processor,
            });
            Ok(())
        })
        .await
    }

    pub async fn add_output(
        self: &Arc<Self>,
        name: &str,
        version: u64,
        output: NewOutput,
    ) -> Result<()> {
        self.check_resource(&output.destination)?;
        self.modify(name, version, |m| {
            if m.outputs.len() >= 3 {
                return Err(AnalyticsError::LimitExceeded(
                    "An application can have at most three outputs.".into(),
                ));
            }
            let next = m
                .outputs
                .iter()
                .filter_map(|o| o.id.split('.').next()?.parse::<u32>().ok())
                .max()
                .unwrap_or(0)
                + 1;
            m.outputs.push(Output {
                id: format!("{next}.1"),
                name: output.name,
                destination: output.destination,
                format: output.format,
            });
            Ok(())
        })
        .await
    }

    pub async fn delete_output(self: &Arc<Self>, name: &str, version: u64, id: &str) -> Result<()> {
        self.modify(name, version, |m| {
            let app = m.name.clone();
            remove_by_id(&mut m.outputs, id, |o| &o.id, "Output id", &app)
        })
        .await
    }

    pub async fn update(
        self: &Arc<Self>,
        name: &str,
        version: u64,
        update: ApplicationUpdate,
    ) -> Result<()> {
        for o in &update.outputs {
            if let Some(d) = &o.destination {
                self.check_resource(d)?;
            }
        }
        for i in &update.inputs {
            if let Some(arn) = &i.stream_arn {
                self.check_resource(&Resource::KinesisStream {
                    arn: arn.clone(),
                    role_arn: String::new(),
                })?;
            }
            if let Some(arn) = &i.delivery_arn {
                self.check_resource(&Resource::DeliveryStream {
                    arn: arn.clone(),
                    role_arn: String::new(),
                })?;
            }
        }
        for r in &update.references {
            if let Some(b) = &r.bucket_arn {
                check_bucket(b)?;
            }
        }
        self.modify(name, version, |m| {
            if let Some(code) = update.code {
                m.code = code;
            }
            for u in update.inputs {
                let app = m.name.clone();
                let input = m.inputs.iter_mut().find(|i| i.id == u.id).ok_or_else(|| {
                    AnalyticsError::InvalidArgument(format!(
                        "Input id {} not found in application {app}.",
                        u.id
                    ))
                })?;
                if let Some(p) = u.name_prefix {
                    input.name_prefix = p;
                }
                let role = u.role_arn.unwrap_or_else(|| match &input.source {
                    Resource::KinesisStream { role_arn, .. }
                    | Resource::DeliveryStream { role_arn, .. } => role_arn.clone(),
                });
                let arn = input.source.arn().to_owned();
                input.source = match (u.stream_arn, u.delivery_arn, &input.source) {
                    (Some(a), _, _) => Resource::KinesisStream {
                        arn: a,
                        role_arn: role,
                    },
                    (None, Some(a), _) => Resource::DeliveryStream {
                        arn: a,
                        role_arn: role,
                    },
                    (None, None, Resource::KinesisStream { .. }) => Resource::KinesisStream {
                        arn,
                        role_arn: role,
                    },
                    (None, None, Resource::DeliveryStream { .. }) => Resource::DeliveryStream {
                        arn,
                        role_arn: role,
                    },
                };
                if let Some(f) = u.format {
                    input.schema.format = f;
                }
                if u.encoding.is_some() {
                    input.schema.encoding = u.encoding;
                }
                if let Some(c) = u.columns {
                    input.schema.columns = c;
                }
                if let Some(n) = u.parallelism {
                    input.parallelism = n;
                }
                if u.processor_arn.is_some() || u.processor_role.is_some() {
                    let Some(p) = &mut input.processor else {
                        return Err(AnalyticsError::InvalidArgument(format!(
                            "Input {} has no input processing configuration to update.",
                            input.id
                        )));
                    };
                    if let Some(a) = u.processor_arn {
                        p.arn = a;
                    }
                    if let Some(r) = u.processor_role {
                        p.role_arn = r;
                    }
                }
            }
            for u in update.outputs {
                let app = m.name.clone();
                let output = m.outputs.iter_mut().find(|o| o.id == u.id).ok_or_else(|| {
                    AnalyticsError::InvalidArgument(format!(
                        "Output id {} not found in application {app}.",
                        u.id
                    ))
                })?;
                if let Some(n) = u.name {
                    output.name = n;
                }
                if let Some(d) = u.destination {
                    output.destination = d;
                }
                if let Some(f) = u.format {
                    output.format = f;
                }
            }
            for u in update.logging {
                let app = m.name.clone();
                let o = m.logging.iter_mut().find(|o| o.id == u.id).ok_or_else(|| {
                    AnalyticsError::InvalidArgument(format!(
                        "CloudWatch logging option {} not found in application {app}.",
                        u.id
                    ))
                })?;
                if let Some(a) = u.log_stream_arn {
                    o.log_stream_arn = a;
                }
                if let Some(r) = u.role_arn {
                    o.role_arn = r;
                }
            }
            for u in update.references {
                let app = m.name.clone();
                let r = m
                    .references
                    .iter_mut()
                    .find(|r| r.id == u.id)
                    .ok_or_else(|| {
                        AnalyticsError::InvalidArgument(format!(
                            "Reference id {} not found in application {app}.",
                            u.id
                        ))
                    })?;
                if let Some(t) = u.table_name {
                    r.table_name = t;
                }
                if let Some(b) = u.bucket_arn {
                    r.bucket_arn = b;
                }
                if let Some(k) = u.file_key {
                    r.file_key = k;
                }
                if let Some(x) = u.role_arn {
                    r.role_arn = x;
                }
                if let Some(x) = u.schema {
                    r.schema = x;
                }
            }
            Ok(())
        })
        .await
    }

    pub async fn add_reference(
        self: &Arc<Self>,
        name: &str,
        version: u64,
        r: NewReference,
    ) -> Result<()> {
        check_bucket(&r.bucket_arn)?;
        self.modify(name, version, |m| {
            if m.references.len() >= MAX_REFERENCES {
                return Err(AnalyticsError::InvalidArgument(format!(
                    "Application {} already has a reference data source; an application has at most {MAX_REFERENCES}.",
                    m.name
                )));
            }
            if m.references.iter().any(|x| x.table_name == r.table_name)
                || m
                    .inputs
                    .iter()
                    .any(|i| i.stream_names().contains(&r.table_name))
            {
                return Err(AnalyticsError::InvalidArgument(format!(
                    "Application {} already has an in-application stream or table named {}.",
                    m.name, r.table_name
                )));
            }
            let next = m
                .references
                .iter()
                .filter_map(|x| x.id.split('.').next()?.parse::<u32>().ok())
                .max()
                .unwrap_or(1)
                + 1;
            m.references.push(ReferenceSource {
                id: format!("{next}.1"),
                table_name: r.table_name,
                bucket_arn: r.bucket_arn,
                file_key: r.file_key,
                role_arn: r.role_arn,
                schema: r.schema,
            });
            Ok(())
        })
        .await
    }

    /// AddApplicationInputProcessingConfiguration (`processor`) or its Delete (`None`).
    pub async fn set_input_processing(
        self: &Arc<Self>,
        name: &str,
        version: u64,
        input_id: &str,
        processor: Option<LambdaProcessor>,
    ) -> Result<()> {
        self.modify(name, version, |m| {
            let app = m.name.clone();
            let input = m
                .inputs
                .iter_mut()
                .find(|i| i.id == input_id)
                .ok_or_else(|| {
                    AnalyticsError::NotFound(format!(
                        "Input id {input_id} not found in application {app}."
                    ))
                })?;
            if processor.is_some() && input.processor.is_some() {
                return Err(AnalyticsError::InvalidArgument(format!(
                    "Input {input_id} already has an input processing configuration."
                )));
            }
            if processor.is_none() && input.processor.is_none() {
                return Err(AnalyticsError::NotFound(format!(
                    "Input {input_id} has no input processing configuration."
                )));
            }
            input.processor = processor;
            Ok(())
        })
        .await
    }

    pub async fn add_logging(
        self: &Arc<Self>,
        name: &str,
        version: u64,
        log_stream_arn: String,
        role_arn: String,
    ) -> Result<()> {
        self.modify(name, version, |m| {
            if m.logging.iter().any(|o| o.log_stream_arn == log_stream_arn) {
                return Err(AnalyticsError::InvalidArgument(format!(
                    "Application {} already logs to {log_stream_arn}.",
                    m.name
                )));
            }
            let next = m
                .logging
                .iter()
                .filter_map(|o| o.id.split('.').next()?.parse::<u32>().ok())
                .max()
                .unwrap_or(0)
                + 1;
            m.logging.push(LoggingOption {
                id: format!("{next}.1"),
                log_stream_arn,
                role_arn,
            });
            Ok(())
        })
        .await
    }

    pub async fn delete_logging(
        self: &Arc<Self>,
        name: &str,
        version: u64,
        id: &str,
    ) -> Result<()> {
        self.modify(name, version, |m| {
            let app = m.name.clone();
            remove_by_id(
                &mut m.logging,
                id,
                |o| &o.id,
                "CloudWatch logging option",
                &app,
            )
        })
        .await
    }

    pub async fn delete_reference(
        self: &Arc<Self>,
        name: &str,
        version: u64,
        id: &str,
    ) -> Result<()> {
        self.modify(name, version, |m| {
            let app = m.name.clone();
            remove_by_id(&mut m.references, id, |r| &r.id, "Reference id", &app)
        })
        .await
    }
}

/// Removes the entry with `id` from a list of an application's parts, or says it is not there
/// (`what`: "Output id", "Reference id", …).
fn remove_by_id<T>(
    list: &mut Vec<T>,
    id: &str,
    id_of: impl Fn(&T) -> &str,
    what: &str,
    app: &str,
) -> Result<()> {
    let before = list.len();
    list.retain(|x| id_of(x) != id);
    if list.len() == before {
        return Err(AnalyticsError::NotFound(format!(
            "{what} {id} not found in application {app}."
        )));
    }
    Ok(())
}

fn check_bucket(arn: &str) -> Result<()> {
    bucket_of_arn(arn).map(|_| ()).ok_or_else(|| {
        AnalyticsError::InvalidArgument(format!("{arn} is not the ARN of an S3 bucket."))
    })
}
