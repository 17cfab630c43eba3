"""Resource policies enforced (--auth sigv4 with --principal): a principal of another account needs an
Allow in the stream's (or consumer's) policy; an explicit Deny refuses anyone; policies are
validated when stored."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, error_code, error_message, unique_name, wait_stream_active

OWNER, OWNER_SECRET = "AKIDOWNER", "owner-secret"
BOB, BOB_SECRET = "AKIDBOB", "bob-secret"
BOB_ARN = "arn:aws:iam::222222222222:user/bob"
ACCOUNT = "000000000000"


@pytest.fixture(scope="module")
def srv(sluice_factory):
    return sluice_factory("policy", extra_args=[
        "--auth", "sigv4",
        "--credential", f"{OWNER}:{OWNER_SECRET}",
        "--credential", f"{BOB}:{BOB_SECRET}",
        "--principal", f"{BOB}={BOB_ARN}",
    ])


def client(srv, key, secret):
    return boto3.session.Session().client(
        "kinesis", endpoint_url=srv.endpoint, region_name=REGION, aws_access_key_id=key,
        aws_secret_access_key=secret, config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


@pytest.fixture
def owner(srv):
    return client(srv, OWNER, OWNER_SECRET)


@pytest.fixture
def bob(srv):
    return client(srv, BOB, BOB_SECRET)


def arn_of(name):
    return f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/{name}"


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def new_stream(owner):
    name = unique_name("pol")
    owner.create_stream(StreamName=name, ShardCount=1)
    wait_stream_active(owner, name)
    return name


def denied(fn, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    assert error_code(e.value) == "AccessDeniedException", e.value.response
    return error_message(e.value)


def test_another_account_needs_an_allow(owner, bob):
    name = new_stream(owner)
    owner.put_record(StreamName=name, PartitionKey="k", Data=b"owner")
    msg = denied(bob.put_record, StreamName=name, PartitionKey="k", Data=b"bob")
    assert BOB_ARN in msg and "kinesis:PutRecord" in msg and arn_of(name) in msg
    owner.put_resource_policy(ResourceARN=arn_of(name), Policy=policy({
        "Effect": "Allow", "Principal": {"AWS": BOB_ARN},
        "Action": ["kinesis:PutRecord*", "kinesis:DescribeStreamSummary"], "Resource": arn_of(name)}))
    bob.put_record(StreamName=name, PartitionKey="k", Data=b"bob")
    bob.put_records(StreamName=name, Records=[{"PartitionKey": "k", "Data": b"bob2"}])
    bob.describe_stream_summary(StreamName=name)
    # Not allowed: reading.
    denied(bob.get_shard_iterator, StreamName=name, ShardId="shardId-000000000000",
           ShardIteratorType="TRIM_HORIZON")
    denied(bob.list_shards, StreamName=name)
    # The owner is of the stream's account: unaffected.
    it = owner.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    data = [r["Data"] for r in owner.get_records(ShardIterator=it)["Records"]]
    assert data == [b"owner", b"bob", b"bob2"]


def test_get_records_is_checked_on_the_stream_its_iterator_names(owner, bob):
    name = new_stream(owner)
    owner.put_record(StreamName=name, PartitionKey="k", Data=b"x")
    owner.put_resource_policy(ResourceARN=arn_of(name), Policy=policy({
        "Effect": "Allow", "Principal": {"AWS": "222222222222"},
        "Action": "kinesis:GetShardIterator", "Resource": "*"}))
    it = bob.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    denied(bob.get_records, ShardIterator=it)
    owner.put_resource_policy(ResourceARN=arn_of(name), Policy=policy({
        "Effect": "Allow", "Principal": {"AWS": "222222222222"},
        "Action": ["kinesis:GetShardIterator", "kinesis:GetRecords"], "Resource": "*"}))
    assert [r["Data"] for r in bob.get_records(ShardIterator=it)["Records"]] == [b"x"]


def test_an_explicit_deny_refuses_the_owner_too(owner, bob):
    name = new_stream(owner)
    owner.put_resource_policy(ResourceARN=arn_of(name), Policy=policy(
        {"Effect": "Allow", "Principal": "*", "Action": "kinesis:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "kinesis:DeleteStream", "Resource": arn_of(name)}))
    msg = denied(owner.delete_stream, StreamName=name)
    assert "explicit deny" in msg
    bob.put_record(StreamName=name, PartitionKey="k", Data=b"allowed by *")
    owner.delete_resource_policy(ResourceARN=arn_of(name))
    owner.delete_stream(StreamName=name)


def test_consumer_policies_govern_subscribe_to_shard(owner, bob):
    name = new_stream(owner)
    consumer = owner.register_stream_consumer(StreamARN=arn_of(name), ConsumerName="c")["Consumer"]["ConsumerARN"]
    position = {"Type": "TRIM_HORIZON"}
    denied(bob.subscribe_to_shard, ConsumerARN=consumer, ShardId="shardId-000000000000",
           StartingPosition=position)
    # The stream's policy does not cover the consumer: its own does.
    owner.put_resource_policy(ResourceARN=arn_of(name), Policy=policy({
        "Effect": "Allow", "Principal": {"AWS": BOB_ARN}, "Action": "kinesis:*", "Resource": "*"}))
    denied(bob.subscribe_to_shard, ConsumerARN=consumer, ShardId="shardId-000000000000",
           StartingPosition=position)
    owner.put_resource_policy(ResourceARN=consumer, Policy=policy({
        "Effect": "Allow", "Principal": {"AWS": BOB_ARN},
        "Action": ["kinesis:SubscribeToShard", "kinesis:DescribeStreamConsumer"], "Resource": consumer}))
    assert json.loads(owner.get_resource_policy(ResourceARN=consumer)["Policy"])["Statement"][0]["Resource"] == consumer
    bob.describe_stream_consumer(ConsumerARN=consumer)
    sub = bob.subscribe_to_shard(ConsumerARN=consumer, ShardId="shardId-000000000000",
                                 StartingPosition=position)
    sub["EventStream"].close()


def test_policies_are_validated(owner):
    name = new_stream(owner)
    for bad in ["not json", json.dumps({"Statement": []}),
                json.dumps({"Statement": [{"Effect": "Perhaps", "Principal": "*", "Action": "kinesis:*"}]}),
                json.dumps({"Statement": [{"Effect": "Allow", "Action": "kinesis:*"}]})]:
        with pytest.raises(ClientError) as e:
            owner.put_resource_policy(ResourceARN=arn_of(name), Policy=bad)
        assert error_code(e.value) == "InvalidArgumentException", bad


def test_a_condition_never_allows(owner, bob):
    name = new_stream(owner)
    owner.put_resource_policy(ResourceARN=arn_of(name), Policy=policy({
        "Effect": "Allow", "Principal": {"AWS": BOB_ARN}, "Action": "kinesis:PutRecord",
        "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}))
    denied(bob.put_record, StreamName=name, PartitionKey="k", Data=b"x")
