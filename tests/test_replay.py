"""A stored run played back (llmbreaker/engine/replay.py): what the pages read from it at each moment."""
from __future__ import annotations

import numpy as np
import pytest

from llmbreaker.engine.replay import REPLAY_SPEEDS, Recording, stored_history
from llmbreaker.engine.session import State, request_settings, TrainingRequest
from llmbreaker.engine.store import StoredCheckpoint, StoredRun

TEXT = "the cat sat on the mat and the dog sat on the log. " * 20


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def make_run(token="tok_aaaaaaaaaaaaaaaa", n_checkpoints=5, interval=100, seconds_per_cp=2.0, state="completed",
             label="Shakespeare", **extra) -> StoredRun:
    checkpoints = [StoredCheckpoint(step=i * interval, train_loss=4.0 - i * 0.5, val_loss=4.1 - i * 0.5,
                                    sample=f"sample at {i * interval}", attention=np.full((1, 2, 4, 4), i, np.float32),
                                    next_token=[("a", 0.5)], lr=1e-3, elapsed=i * seconds_per_cp)
                   for i in range(n_checkpoints)]
    last = (n_checkpoints - 1) * interval
    steps = list(range(1, last + 1))
    request = TrainingRequest(TEXT, label=label)
    run = StoredRun(token=token, page="watch", label=label, settings=request_settings(request), text=TEXT,
                    info={"probe_tokens": list("abcd"), "vocab": list("abc"), "parameters": 123, "best_step": last},
                    created=1.0, updated=2.0, state=state, step=last, total_steps=last, train_loss=2.0, val_loss=2.1,
                    seconds=(n_checkpoints - 1) * seconds_per_cp if state == "completed" else None, message="",
                    steps=steps, losses=[3.0] * len(steps), model_file=b"model" if state == "completed" else None,
                    checkpoints=checkpoints)
    for k, v in extra.items():
        setattr(run, k, v)
    return run


def test_a_recording_opens_at_its_end_like_the_run_it_was():
    rec = Recording([make_run()], clock=Clock())
    whole = stored_history(make_run())
    assert rec.state == State.COMPLETED and not rec.active
    assert [c.step for c in rec.history.checkpoints] == [c.step for c in whole.checkpoints] == [0, 100, 200, 300, 400]
    assert rec.history.model_file == b"model" and rec.history.ended == "completed"
    assert rec.history.best_step == 400 and rec.request.text == TEXT and rec.request.label == "Shakespeare"
    assert rec.read_only and rec.finished == [] and rec.pending == []


def test_replay_unfolds_at_the_recorded_pace_and_ends_as_recorded():
    clock = Clock()
    rec = Recording([make_run()], clock=clock)  # checkpoints every 2 s of training, 8 s in all
    rec.play()
    assert rec.active and rec.state == State.RUNNING
    assert [c.step for c in rec.history.checkpoints] == [0]
    assert rec.history.model_file is None and rec.history.ended == ""  # nothing of the end before the end
    clock.t += 3.0
    shown = rec.snapshot()  # read as a page reads a training session: brought to now
    assert shown is rec.history and [c.step for c in shown.checkpoints] == [0, 100]
    assert rec.history.step == 150  # the loss curve moves between checkpoints too
    assert rec.history.steps[-1] == 150 and len(rec.history.losses) == 150
    clock.t += 100.0
    rec.drain()
    assert rec.state == State.COMPLETED and not rec.active
    assert len(rec.history.checkpoints) == 5 and rec.history.model_file == b"model"


def test_speed_pause_step_and_end():
    clock = Clock()
    rec = Recording([make_run()], clock=clock)
    rec.play()
    rec.set_speed("2x")
    clock.t += 2.0  # 4 s of the recording at 2x
    rec.drain()
    assert [c.step for c in rec.history.checkpoints] == [0, 100, 200]
    rec.pause()
    assert rec.state == State.PAUSED and not rec.active  # a paused replay does not poll
    clock.t += 50.0
    rec.drain()
    assert len(rec.history.checkpoints) == 3  # paused: the clock does not move it
    rec.step_once()
    assert len(rec.history.checkpoints) == 4
    rec.resume()
    assert rec.state == State.RUNNING
    rec.stop()  # "End": the whole run
    assert rec.state == State.COMPLETED and len(rec.history.checkpoints) == 5
    assert list(REPLAY_SPEEDS) == ["0.25x", "0.5x", "1x", "2x", "5x", "10x", "max"]


def test_a_slow_replay_unfolds_four_times_slower_and_step_while_playing_pauses_at_the_next_checkpoint():
    clock = Clock()
    rec = Recording([make_run()], clock=clock)  # a checkpoint every 2 s of training
    rec.set_speed("0.25x")
    rec.play()
    clock.t += 7.0  # 1.75 s of the recording
    rec.drain()
    assert [c.step for c in rec.history.checkpoints] == [0]
    clock.t += 1.5  # 2.1 s
    rec.drain()
    assert [c.step for c in rec.history.checkpoints] == [0, 100]
    rec.step_once()  # a presenter's "next" while it plays: paused, at the next checkpoint
    assert rec.state == State.PAUSED
    assert [c.step for c in rec.history.checkpoints] == [0, 100, 200]
    clock.t += 50.0
    rec.drain()
    assert len(rec.history.checkpoints) == 3  # and it stays there


def test_a_series_replays_its_runs_one_after_another_like_a_queue():
    clock = Clock()
    first, second = make_run("tok_first_aaaaaaaaa"), make_run("tok_second_aaaaaaaa", label="Poems")
    rec = Recording([first, second], clock=clock)
    assert rec.run_id == 2 and len(rec.finished) == 1  # at the end: both, the first as finished
    rec.play()
    assert rec.run_id == 1 and rec.finished == [] and [r.label for r in rec.pending] == ["Poems"]
    clock.t += 9.0  # past the first run's 8 s
    rec.drain()
    assert rec.run_id == 2 and len(rec.finished) == 1 and rec.finished[0].ended == "completed"
    assert rec.request.label == "Poems" and rec.pending == []


def test_an_interrupted_run_ends_stopped_and_an_untimed_one_still_unfolds():
    cut = make_run(state="interrupted", seconds_per_cp=0.0)  # no timing at all (an old or imported run)
    clock = Clock()
    rec = Recording([cut], clock=clock)
    assert rec.state == State.STOPPED and rec.history.ended == "stopped"
    rec.play()
    assert len(rec.history.checkpoints) == 1
    clock.t += 2.5
    rec.drain()
    assert 1 < len(rec.history.checkpoints) < 5


def test_a_followed_run_reads_the_store_again_until_it_ends():
    clock = Clock()
    import time
    growing = [make_run(n_checkpoints=2, state="running", updated=time.time())]
    rec = Recording(growing, follow=lambda: growing, clock=clock)
    assert rec.following and rec.active and len(rec.history.checkpoints) == 2
    rec.play()  # nothing to replay while it trains
    assert len(rec.history.checkpoints) == 2
    growing[:] = [make_run(n_checkpoints=4, state="completed")]
    clock.t += 1.0
    rec.drain()
    assert len(rec.history.checkpoints) == 2  # read again only every FOLLOW_SECONDS
    clock.t += 2.0
    rec.drain()
    assert len(rec.history.checkpoints) == 4 and not rec.following and rec.state == State.COMPLETED


def test_a_recording_needs_a_run():
    with pytest.raises(ValueError):
        Recording([])
