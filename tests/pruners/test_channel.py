"""The prune channel between a worker's trial and the study's process."""

from __future__ import annotations

from multiprocessing import AuthenticationError
from multiprocessing.connection import Client

import pytest

from tunesmith.engine import ChannelServer


def test_reports_arrive_in_order_before_the_answer_and_before_close():
    stored: list[tuple[int, int, float]] = []
    asked: list[dict[int, float]] = []

    def judge(trial_id, number, values):
        asked.append(values)
        return len(stored) >= 3  # every report sent before the question is stored

    server = ChannelServer(lambda *report: stored.append(report), judge)
    try:
        client = server.channel.connect()
        client.report(5, 1, 0.9)
        client.report(5, 2, 0.8)
        client.report(5, 3, 0.7)
        assert client.should_prune(5, 0, {1: 0.9, 2: 0.8, 3: 0.7}) is True
        client.report(5, 4, 0.6)
        client.close()  # returns once report 4 is stored
        assert stored == [(5, 1, 0.9), (5, 2, 0.8), (5, 3, 0.7), (5, 4, 0.6)]
        assert asked == [{1: 0.9, 2: 0.8, 3: 0.7}]
    finally:
        server.stop()


def test_failures_come_back_to_the_worker_as_errors():
    def report(trial_id, step, value):
        if step == 2:
            raise OSError("disk full")

    def judge(trial_id, number, values):
        raise ValueError("a broken pruner")

    server = ChannelServer(report, judge)
    try:
        client = server.channel.connect()
        with pytest.raises(RuntimeError, match="ValueError: a broken pruner"):
            client.should_prune(1, 0, {1: 0.5})
        client.report(1, 2, 0.4)  # fails in the study's process: told at the next question
        with pytest.raises(RuntimeError, match="OSError: disk full"):
            client.should_prune(1, 0, {1: 0.5, 2: 0.4})
        client.close()
    finally:
        server.stop()


def test_a_caller_without_the_key_is_refused_and_the_server_goes_on():
    server = ChannelServer(lambda *a: None, lambda *a: True)
    try:
        assert server.channel.address[0] == "127.0.0.1"
        with pytest.raises(AuthenticationError):
            Client(server.channel.address, authkey=b"not the key")
        client = server.channel.connect()
        assert client.should_prune(0, 0, {1: 1.0}) is True
        client.close()
    finally:
        server.stop()
