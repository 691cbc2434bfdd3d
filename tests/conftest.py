"""Shared fixtures. Engine tests run on small texts and tiny runs so the suite stays quick."""
import threading

import pytest

from llmbreaker.corpus import bundled_text
from llmbreaker.model import ModelConfig
from llmbreaker.session import SessionManager, TrainingRequest
from llmbreaker.trainer import TrainConfig

TINY_MODEL = ModelConfig(n_embd=16, n_layer=2, n_head=2, block_size=32)


def tiny_train(**overrides) -> TrainConfig:
    base = dict(max_steps=40, eval_interval=10, batch_size=8, eval_batches=2, sample_chars=20, warmup_steps=5)
    base.update(overrides)
    return TrainConfig(**base)


@pytest.fixture
def poems() -> str:
    return bundled_text("poems")


@pytest.fixture
def tiny_request(poems):
    def make(**overrides):
        return TrainingRequest(poems, TINY_MODEL, tiny_train(**overrides), label="Poems")
    return make


def trainer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("trainer-") and t.is_alive()]


@pytest.fixture
def manager():
    m = SessionManager(max_running=2)
    yield m
    m.shutdown()
    assert trainer_threads() == [], "a training thread outlived its test"
