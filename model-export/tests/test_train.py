import torch

from defect_cae.model import CAEConfig
from defect_cae.train import TrainConfig, load_checkpoint, train


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


def test_a_finished_run_is_reused_only_with_identical_settings(dataset, tmp_path):
    from defect_cae.train import reuse_checkpoint
    cfg = CAEConfig(channels=1, height=64, width=64, widths=(8, 8, 8, 8), latent_channels=2)
    tcfg = TrainConfig(epochs=2, batch_size=16)
    res = train(cfg, dataset.train[:16], dataset.val, tcfg, out_dir=tmp_path, device=torch.device("cpu"),
                log=lambda s: None)
    again = reuse_checkpoint(tmp_path, cfg, tcfg, dataset.train[:16], dataset.val, log=lambda s: None)
    assert again is not None and again.best_epoch == res.best_epoch and len(again.history) == 2
    x = torch.from_numpy(dataset.val[:2])
    with torch.no_grad():
        torch.testing.assert_close(again.model(x), res.model(x))
    other = TrainConfig(epochs=3, batch_size=16)
    assert reuse_checkpoint(tmp_path, cfg, other, dataset.train[:16], dataset.val, log=lambda s: None) is None


def test_sweep_picks_the_narrowest_bottleneck_among_ties():
    from defect_cae.pipeline import choose_latent
    assert choose_latent({4: 0.95, 8: 0.978, 16: 0.9785, 32: 0.97}) == 8
    assert choose_latent({4: 0.90, 8: 0.95, 16: 0.99}) == 16
