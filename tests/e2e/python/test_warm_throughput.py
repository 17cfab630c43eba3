"""UpdateAccountSettings / DescribeAccountSettings (the minimum throughput billing commitment) and
UpdateStreamWarmThroughput on on-demand streams, with boto3."""

from __future__ import annotations

import datetime as dt

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, unique_name, wait_stream_active


@pytest.fixture
def k(sluice_factory):
    # A server of its own: the commitment is account-wide.
    return sluice_factory("warm").kinesis


def test_commitment_lifecycle(k):
    assert k.describe_account_settings()["MinimumThroughputBillingCommitment"]["Status"] == "DISABLED"
    on = k.update_account_settings(MinimumThroughputBillingCommitment={"Status": "ENABLED"})
    c = on["MinimumThroughputBillingCommitment"]
    assert c["Status"] == "ENABLED"
    assert c["EarliestAllowedEndAt"] - c["StartedAt"] == dt.timedelta(hours=24)
    assert k.describe_account_settings()["MinimumThroughputBillingCommitment"]["Status"] == "ENABLED"
    # Ending it early keeps it until the earliest allowed end.
    off = k.update_account_settings(MinimumThroughputBillingCommitment={"Status": "DISABLED"})
    c = off["MinimumThroughputBillingCommitment"]
    assert c["Status"] == "ENABLED_UNTIL_EARLIEST_ALLOWED_END"
    assert c["EndedAt"] == c["EarliestAllowedEndAt"]
    with pytest.raises(ClientError) as e:
        k.update_account_settings(MinimumThroughputBillingCommitment={"Status": "MAYBE"})
    assert error_code(e.value) == "ValidationException"


def test_warm_throughput_scales_an_on_demand_stream(k):
    name = unique_name("warm")
    k.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    wait_stream_active(k, name)
    with pytest.raises(ClientError) as e:
        k.update_stream_warm_throughput(StreamName=name, WarmThroughputMiBps=20)
    assert error_code(e.value) == "InvalidArgumentException"  # the commitment is not enabled
    k.update_account_settings(MinimumThroughputBillingCommitment={"Status": "ENABLED"})
    s = k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert s["WarmThroughput"] == {"TargetMiBps": 4, "CurrentMiBps": 4}
    out = k.update_stream_warm_throughput(StreamName=name, WarmThroughputMiBps=20)
    assert out["WarmThroughput"] == {"TargetMiBps": 20, "CurrentMiBps": 20}
    assert out["StreamName"] == name
    wait_stream_active(k, name)
    s = k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert s["OpenShardCount"] == 20
    assert s["WarmThroughput"] == {"TargetMiBps": 20, "CurrentMiBps": 20}
    # Records still route: every shard's hash range is covered.
    for i in range(50):
        k.put_record(StreamName=name, PartitionKey=f"k{i}", Data=b"x")
    # A lower target keeps the shards.
    out = k.update_stream_warm_throughput(StreamName=name, WarmThroughputMiBps=8)
    assert out["WarmThroughput"] == {"TargetMiBps": 8, "CurrentMiBps": 20}
    with pytest.raises(ClientError) as e:
        k.update_stream_warm_throughput(StreamName=name, WarmThroughputMiBps=20000)
    assert error_code(e.value) == "InvalidArgumentException"


def test_warm_throughput_is_for_on_demand_streams_only(k):
    k.update_account_settings(MinimumThroughputBillingCommitment={"Status": "ENABLED"})
    name = unique_name("prov")
    k.create_stream(StreamName=name, ShardCount=1)
    wait_stream_active(k, name)
    assert "WarmThroughput" not in k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    with pytest.raises(ClientError) as e:
        k.update_stream_warm_throughput(StreamName=name, WarmThroughputMiBps=2)
    assert error_code(e.value) == "InvalidArgumentException"
