"""The DCGAN tab through its API (/train_gan, /continue_gan, /reset_gan, /gan_downloads): per-session trainers."""

import json
import time
import zipfile

import pytest

from tests.helpers import STEP, session, steps

# Tiny settings: (dataset, preset, learning rate, batch size, epochs, examples per epoch).


@pytest.mark.slow
def test_two_sessions_train_and_continue_independently(app_server):
    a, b = session(app_server), session(app_server)
    grid, status, plot, digits, note, gif, keras_file, ckpt = a.predict("mnist", "tutorial", 1e-4, 64, 1, 128,
                                                                        api_name="/train_gan")
    assert steps(status) == (2, 2) and status.endswith("· done")
    assert "batch 64" in note and "2 steps" in note
    _, status_b, _, _, note_b, *_ = b.predict("mnist", "dcgan-paper", 2e-4, 32, 1, 128, api_name="/train_gan")
    assert steps(status_b) == (4, 4) and "batch 32" in note_b and "lr 0.0002, β1 0.5" in note_b
    # A's trainer was untouched by B's run: it continues from its own step 2 with its own settings
    _, status, plot, digits, note, gif, keras_file, ckpt = a.predict(2, api_name="/continue_gan")
    assert steps(status) == (6, 6) and STEP.search(status).group(1, 2) == ("3", "3") and "batch 64" in note
    assert [row[0] for row in plot["data"] if row[2] == "generator"] == [1, 2, 3, 4, 5, 6]
    with zipfile.ZipFile(ckpt["path"]) as zf:
        assert {"ckpt.index", "genart_gan.json"} <= set(zf.namelist())
        meta = json.loads(zf.read("genart_gan.json"))
    assert meta["step"] == 6 and meta["config"]["batch_size"] == 64
    assert keras_file["path"].endswith(".keras") and gif["path"].endswith(".gif")
    _, status_b, *_ = b.predict(1, api_name="/continue_gan")
    assert steps(status_b) == (8, 8)
    # a third session has nothing to continue and cannot reach the others' trainers
    with pytest.raises(Exception, match="Nothing to continue"):
        session(app_server).predict(1, api_name="/continue_gan")


@pytest.mark.slow
def test_training_streams_grids_losses_and_timing(client):
    job = client.submit("mnist", "tutorial", 1e-4, 16, 2, 160, api_name="/train_gan")
    job.result(timeout=300)
    updates = job.outputs()
    statuses = [u[1] for u in updates if u[1] and STEP.search(u[1])]
    assert len(statuses) >= 3, statuses
    done = [steps(s)[0] for s in statuses]
    assert done == sorted(done) and done[-1] == 20 and done[0] < 20
    assert any("s/step" in s and "left" in s for s in statuses[:-1])
    assert sum(1 for u in updates if u[0]) >= 2  # the grid is sent more than once
    assert len(updates[-1][2]["data"]) == 4 * 20  # both losses, D(x) and D(G(z)) for every step
    digits = updates[-1][3]["data"]  # the meter's confidence and classes at each preview, and real digits' lines
    series = {row[2] for row in digits}
    assert series == {"confidence", "classes ÷ 10", "real digits: confidence", "real digits: classes ÷ 10"}
    assert all(0 <= row[1] <= 1 for row in digits) and "digits" in statuses[-1] and "classes" in statuses[-1]


@pytest.mark.slow
def test_stop_leaves_the_trainer_resumable_and_reset_forgets_it(client):
    job = client.submit("mnist", "tutorial", 1e-4, 32, 10, 128, api_name="/train_gan")  # 40 steps planned
    deadline = time.time() + 120
    while time.time() < deadline and not any(u[1] and STEP.search(u[1]) for u in job.outputs()):
        time.sleep(0.2)
    job.cancel()
    stopped_at = max(steps(u[1])[0] for u in job.outputs() if u[1] and STEP.search(u[1]))
    assert stopped_at < 40
    _, status, *_ = client.predict(1, api_name="/continue_gan")
    done, total = steps(status)
    assert done == total and total % 4 == 0 and total >= max(4, stopped_at) and "done" in status
    client.predict(api_name="/reset_gan")
    with pytest.raises(Exception, match="Nothing to continue"):
        client.predict(1, api_name="/continue_gan")


def test_bad_settings_are_readable_errors(client):
    with pytest.raises(Exception, match="learning_rate must be a number from"):
        client.predict("mnist", "tutorial", 5.0, 64, 1, 128, api_name="/train_gan")
    with pytest.raises(Exception, match="Nothing to download"):
        client.predict(api_name="/gan_downloads")


@pytest.mark.slow
def test_past_the_servers_trainer_limit_the_least_recently_used_one_is_closed(app_server, monkeypatch):
    from genart.gan.pool import POOL

    monkeypatch.setattr(POOL, "limit", 1)
    a, b = session(app_server), session(app_server)
    a.predict("mnist", "tutorial", 1e-4, 64, 1, 128, api_name="/train_gan")
    b.predict("mnist", "tutorial", 1e-4, 64, 1, 128, api_name="/train_gan")  # A's idle trainer makes room
    assert len(POOL) == 1
    with pytest.raises(Exception, match="closed to make room for other visitors .this server keeps 1 at most.; "
                                        "press Train"):
        a.predict(1, api_name="/continue_gan")
    assert "done" in b.predict(1, api_name="/continue_gan")[1]  # B's trainer is the one kept
    assert "done" in a.predict("mnist", "tutorial", 1e-4, 64, 1, 128, api_name="/train_gan")[1]


def test_the_pool_never_closes_a_training_trainer():
    from genart.gan.pool import TrainerPool

    class Fake:
        closed = False

        def close(self):
            self.closed = True

    pool = TrainerPool(limit=2)
    first, second, third, fourth = Fake(), Fake(), Fake(), Fake()
    pool.add(first)
    pool.add(second)
    with pool.using(first):  # first is training (and now the most recently used)
        pool.add(third)
        assert not first.closed and second.closed and not third.closed
        pool.add(fourth)  # over the limit again: third is idle and oldest-but-busy first is spared
        assert not first.closed and third.closed and not fourth.closed
    assert len(pool) == 2
