"""selective_speaker/logging_setup.py: text or JSON log lines, each with its request id."""

from __future__ import annotations

import io
import json
import logging
import logging.config

import pytest

from selective_speaker.logging_setup import logging_config
from selective_speaker.request_id import request_id_bound


class LogLines:
    """The lines one logger writes through the configured handler of a log format."""

    def __init__(self, logger_name: str, log_format: str = "json"):
        config = logging_config(log_format=log_format, level="INFO", django_level="INFO", q_level="INFO")
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        configurator = logging.config.DictConfigurator(config)  # builds the pieces, configures nothing
        self.handler.setFormatter(configurator.configure_formatter(config["formatters"][log_format]))
        self.handler.addFilter(configurator.configure_filter(config["filters"]["request_id"]))
        self.logger = logging.getLogger(logger_name)

    def __enter__(self) -> LogLines:
        self.level = self.logger.level
        self.logger.addHandler(self.handler)
        self.logger.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self.level)

    @property
    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    @property
    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.lines]


def test_it_writes_one_json_object_per_line_with_the_request_id():
    with LogLines("tests.logging") as log, request_id_bound("abc"):
        logging.getLogger("tests.logging").warning("chunk %s failed", 7, extra={"chunk_id": 7})
    (record,) = log.records
    assert record["message"] == "chunk 7 failed"
    assert (record["level"], record["logger"], record["request_id"], record["chunk_id"]) == (
        "WARNING",
        "tests.logging",
        "abc",
        7,
    )
    assert record["time"]


def test_it_writes_a_traceback_into_the_json_line():
    with LogLines("tests.logging") as log:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("tests.logging").exception("it failed")
    (record,) = log.records
    assert record["request_id"] == "-"
    assert "RuntimeError: boom" in record["exc_info"]


def test_it_writes_text_lines_for_a_developer():
    with LogLines("tests.logging", "text") as log, request_id_bound("abc"):
        logging.getLogger("tests.logging").info("hello")
    assert log.lines[0].endswith(" INFO tests.logging [abc]: hello")


def test_it_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="text, json"):
        logging_config(log_format="xml", level="INFO", django_level="INFO", q_level="INFO")


def test_settings_read_the_format_from_the_environment(monkeypatch):
    import importlib

    import selective_speaker.settings.api as api_settings

    monkeypatch.setenv("LOG_FORMAT", "json")
    try:
        reloaded = importlib.reload(api_settings)
        assert reloaded.LOGGING["handlers"]["console"]["formatter"] == "json"
        monkeypatch.setenv("LOG_FORMAT", "yaml")
        with pytest.raises(ValueError, match="LOG_FORMAT"):
            importlib.reload(api_settings)
    finally:
        monkeypatch.delenv("LOG_FORMAT")
        importlib.reload(api_settings)
