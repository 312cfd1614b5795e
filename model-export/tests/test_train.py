import dataclasses
import pytest
import torch

from defect_cae.errors import ModelError
from defect_cae.model import CAEConfig
from defect_cae.train import LOAD_KWARGS, TrainConfig, load_checkpoint, train


def test_tiny_training_run_lowers_the_loss(trained):
    h = trained.history
    assert h[-1]["loss"] < 0.8 * h[0]["loss"]
    assert trained.best_val_loss < h[0]["val_loss"]
    assert trained.best_val_loss < trained.mean_image_val_loss  # better than predicting the mean image


def test_checkpoints_and_early_stopping(dataset, tmp_path):
    cfg = CAEConfig(channels=1, height=64, width=64, widths=(8, 8, 8, 8), latent_channels=2)
    tcfg = TrainConfig(epochs=30, batch_size=16, patience=1, min_rel_improvement=0.5, lr=1e-3)
    res = train(cfg, dataset.train[:16], dataset.val, tcfg, out_dir=tmp_path, device=torch.device("cpu"),
                log=lambda s: None)
    assert res.stopped.startswith("early stop") and len(res.history) < 30
    assert (tmp_path / "best.pt").exists() and (tmp_path / "last.pt").exists()
    model, ckpt = load_checkpoint(tmp_path / "best.pt")
    assert ckpt["epoch"] == res.best_epoch
    x = torch.from_numpy(dataset.val[:2])
    with torch.no_grad():
        torch.testing.assert_close(model(x), res.model(x))


TINY = CAEConfig(channels=1, height=64, width=64, widths=(8, 8, 8, 8), latent_channels=2)


def _train(dataset, out_dir, tcfg, log=lambda s: None, resume=False):
    return train(TINY, dataset.train[:16], dataset.val, tcfg, out_dir=out_dir, device=torch.device("cpu"), log=log,
                 resume=resume)


def _interrupt_at(epoch_line: str):
    def log(line):
        if line.startswith(epoch_line):
            raise KeyboardInterrupt
    return log


def test_an_interrupted_run_resumes_to_exactly_the_uninterrupted_result(dataset, tmp_path):
    tcfg = TrainConfig(epochs=4, batch_size=8, patience=10)
    straight = _train(dataset, tmp_path / "straight", tcfg)
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C while epoch 3 is being reported: last.pt holds epoch 2
        _train(dataset, tmp_path / "cut", tcfg, log=_interrupt_at("epoch    3/4"))
    assert torch.load(tmp_path / "cut" / "last.pt", **LOAD_KWARGS)["epoch"] == 2

    lines = []  # resumed with two DataLoader worker processes making the batches: the same batches
    resumed = _train(dataset, tmp_path / "cut", dataclasses.replace(tcfg, workers=2), log=lines.append, resume=True)
    assert any(line.startswith("resuming") and "after epoch 2 of 4" in line for line in lines)
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3, 4]
    # Optimiser moments, learning-rate schedule and shuffling carried on; augmentation and defects follow the epoch.
    assert [h["val_loss"] for h in resumed.history] == [h["val_loss"] for h in straight.history]
    assert resumed.best_epoch == straight.best_epoch
    for (name, a), b in zip(straight.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), name


def test_a_finished_run_is_returned_as_it_is_and_other_settings_are_refused(dataset, tmp_path):
    tcfg = TrainConfig(epochs=2, batch_size=16)
    res = _train(dataset, tmp_path, tcfg)
    lines = []
    again = _train(dataset, tmp_path, TrainConfig(epochs=2, batch_size=16, max_minutes=5), log=lines.append,
                   resume=True)  # a new time budget is not another training
    assert any("finished run (max epochs, 2 epochs)" in line for line in lines)
    assert not any(line.startswith("epoch") for line in lines)
    assert again.best_epoch == res.best_epoch and len(again.history) == 2
    x = torch.from_numpy(dataset.val[:2])
    with torch.no_grad():
        torch.testing.assert_close(again.model(x), res.model(x))
    with pytest.raises(ModelError, match=r"other settings \(epochs, lr\)"):
        _train(dataset, tmp_path, TrainConfig(epochs=3, batch_size=16, lr=1e-3), resume=True)


def test_resuming_an_empty_work_dir_trains_from_the_start(dataset, tmp_path):
    lines = []
    res = _train(dataset, tmp_path / "new", TrainConfig(epochs=1, batch_size=16), log=lines.append, resume=True)
    assert lines[0].startswith("nothing to resume") and len(res.history) == 1


def test_a_run_stopped_by_its_time_limit_says_so_and_resumes(dataset, tmp_path):
    lines = []
    _train(dataset, tmp_path, TrainConfig(epochs=3, batch_size=16, max_minutes=1e-6),  # stops after epoch 1
           log=lines.append)
    warned = [line for line in lines if line.startswith("WARNING: --max-minutes")]
    assert len(warned) == 1 and "after epoch 1 of 3" in warned[0] and "--resume" in warned[0]
    lines = []
    res = _train(dataset, tmp_path, TrainConfig(epochs=3, batch_size=16), log=lines.append, resume=True)
    assert any("after epoch 1 of 3" in line for line in lines)
    assert not any(line.startswith("WARNING: --max-minutes") for line in lines)  # it ran to the end this time
    assert [h["epoch"] for h in res.history] == [1, 2, 3] and res.stopped == "max epochs"


def test_sweep_picks_the_narrowest_bottleneck_among_ties():
    from defect_cae.pipeline import choose_latent
    assert choose_latent({4: 0.95, 8: 0.978, 16: 0.9785, 32: 0.97}) == 8
    assert choose_latent({4: 0.90, 8: 0.95, 16: 0.99}) == 16


def test_each_sample_draws_from_its_epoch_and_index_alone_so_workers_do_not_repeat_each_other(dataset):
    from torch.utils.data import DataLoader
    from defect_cae.data import AugmentConfig, DenoisingDataset, EpochSampler
    ds = DenoisingDataset(dataset.train[:12], AugmentConfig(denoise_prob=0.5), seed=3)
    same, other_epoch = ds[(1, 5)], ds[(2, 5)]
    assert all(torch.equal(a, b) for a, b in zip(same, ds[(1, 5)]))
    assert not torch.equal(same[1], other_epoch[1])

    def batches(workers, start=None):
        sampler = EpochSampler(len(ds), torch.Generator().manual_seed(0))
        loader = DataLoader(ds, batch_size=4, sampler=sampler, num_workers=workers, persistent_workers=workers > 0,
                            multiprocessing_context=start)
        out = []
        for epoch in (1, 2):
            sampler.epoch = epoch
            out += [torch.cat(b) for b in loader]
        return out
    # A generator held by the dataset would be copied into both workers: batch 2 would repeat batch 1's draws.
    one, two = batches(0), batches(2)
    assert len(one) == len(two) == 6 and all(torch.equal(a, b) for a, b in zip(one, two))
    # Training starts its workers without fork: the dataset reaches them pickled, and draws the same.
    from defect_cae.train import worker_start_method
    started = batches(2, worker_start_method())
    assert len(started) == 6 and all(torch.equal(a, b) for a, b in zip(one, started))


def test_resuming_on_another_split_of_the_good_images_is_refused(dataset, tmp_path):
    _train(dataset, tmp_path, TrainConfig(epochs=1, batch_size=16, split="0123456789abcdef"))
    with pytest.raises(ModelError, match=r"other settings \(split\) \(split: the good images of --data"):
        _train(dataset, tmp_path, TrainConfig(epochs=1, batch_size=16, split="fedcba9876543210"), resume=True)


def test_a_training_without_a_finite_validation_loss_keeps_no_checkpoint_and_says_so(dataset, tmp_path, monkeypatch):
    from defect_cae import train as train_module
    from defect_cae.errors import OptionError
    monkeypatch.setattr(train_module, "evaluate_loss", lambda *a, **k: float("nan"))  # as a diverged run gives
    with pytest.raises(OptionError, match=r"training diverged: .* no checkpoint was kept; lower --lr"):
        _train(dataset, tmp_path, TrainConfig(epochs=2, batch_size=16))
    assert not (tmp_path / "best.pt").exists()
