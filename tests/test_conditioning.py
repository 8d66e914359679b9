"""Conditioning strategies: how labels reach G and D (projection and the auxiliary
classifier come from the `conditioning` plugin, through its entry point)."""

import json

import pytest
import torch
import torch.nn.functional as F

import ganzoo
from ganzoo.conditioning import EmbeddingConcat

Projection = ganzoo.get_zoo().conditioning.get("projection")
AuxiliaryClassifier = ganzoo.get_zoo().conditioning.get("auxiliary-classifier")


def test_projection_head_is_linear_plus_class_projection():
    head = Projection(num_classes=3).discriminator_head(4)
    with torch.no_grad():
        head.linear.weight.copy_(torch.tensor([[1.0, 0.0, -1.0, 2.0]]))
        head.linear.bias.fill_(0.5)
        head.class_embedding.weight.copy_(torch.arange(12.0).reshape(3, 4))
    h = torch.tensor([[1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 0.0, -1.0]])
    y = torch.tensor([2, 0])
    expected = torch.tensor([
        (1 - 3 + 8) + 0.5 + (8 * 1 + 9 * 2 + 10 * 3 + 11 * 4),
        (-2) + 0.5 + (0 * 0 + 1 * 1 + 2 * 0 + 3 * -1),
    ])
    torch.testing.assert_close(head(h, y), expected)


def test_projection_d_sees_the_image_alone_and_g_gets_the_label():
    strategy = Projection(num_classes=10)
    adapter, in_shape = strategy.discriminator_adapter((1, 28, 28), "flat")
    assert in_shape == (784,)  # no label channels or features in D's input
    _, in_features = strategy.generator_adapter(100)
    assert in_features == 110
    assert Projection.requires_labels and EmbeddingConcat.requires_labels


def test_projection_starts_as_the_unconditional_discriminator():
    head = Projection(num_classes=10).discriminator_head(8)
    h = torch.randn(6, 8)
    torch.testing.assert_close(head(h, torch.arange(6)), head.linear(h).squeeze(1))


@pytest.mark.parametrize("model", ["gan", "dcgan"])
def test_models_train_with_projection(model, synthetic_root, tmp_path):
    result = ganzoo.train(model, "mnist", out=tmp_path / model, data_root=str(synthetic_root), conditioning="projection",
                          epochs=1, batch_size=32, limit_batches=5, device="cpu")
    loaded = ganzoo.load_generator(result.run_dir, device="cpu")
    assert loaded.conditional
    assert ganzoo.sample(loaded, 10, labels=torch.arange(10), seed=0).shape == (10, 1, 28, 28)


def test_auxiliary_classifier_d_sees_the_image_alone_and_classifies_it():
    strategy = AuxiliaryClassifier(num_classes=10)
    assert AuxiliaryClassifier.requires_labels
    _, in_shape = strategy.discriminator_adapter((1, 28, 28), "flat")
    assert in_shape == (784,)
    _, in_features = strategy.generator_adapter(100)
    assert in_features == 110
    head = strategy.discriminator_head(8)
    h = torch.randn(5, 8)
    assert head(h).shape == (5,) and head.classify(h).shape == (5, 10)
    # The real/fake logit does not depend on the label; the class logits are linear in h.
    torch.testing.assert_close(head(h, torch.zeros(5, dtype=torch.long)), head(h, torch.full((5,), 7)))
    torch.testing.assert_close(head.classify(h), h @ head.classifier.weight.T + head.classifier.bias)


def test_auxiliary_loss_is_cross_entropy():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]])
    labels = torch.tensor([0, 1])
    expected = -(torch.log_softmax(logits, 1)[0, 0] + torch.log_softmax(logits, 1)[1, 1]) / 2
    assert AuxiliaryClassifier(num_classes=3).auxiliary_loss(logits, labels).item() == pytest.approx(expected.item())


def test_acgan_adds_the_classification_terms_to_both_losses(synthetic_root, tmp_path):
    """One iteration, recorded: D's loss is the adversarial loss plus the cross-entropy on
    the real batch (real labels) and on the generated batch (the labels G was given); G's
    is its adversarial loss plus the cross-entropy on its samples."""
    from ganzoo.config import resolve_config
    from ganzoo.engine import Trainer

    config = resolve_config(ganzoo.get_zoo(), "acgan", "mnist", data_root=str(synthetic_root), batch_size=16, device="cpu")
    trainer = Trainer(config, tmp_path / "run")
    calls = {"aux": [], "adv_d": [], "adv_g": []}
    parts = trainer.parts
    aux, adv_d, adv_g = parts.conditioning.auxiliary_loss, parts.loss.discriminator_loss, parts.loss.generator_loss

    def record(name, function):
        def wrapped(*args):
            value = function(*args)
            calls[name].append((args, value.detach()))
            return value
        return wrapped

    parts.conditioning.auxiliary_loss = record("aux", aux)
    parts.loss.discriminator_loss = record("adv_d", adv_d)
    parts.loss.generator_loss = record("adv_g", adv_g)
    batches = trainer.batches.iterate(trainer._epoch_order())
    metrics = trainer.train_iteration(batches)
    trainer.close()

    assert len(calls["aux"]) == 3  # real and fake in D's step, fake in G's step
    (real_classes, real_labels), (fake_classes, fake_labels), (g_classes, g_labels) = (c[0] for c in calls["aux"])
    assert real_classes.shape == fake_classes.shape == g_classes.shape == (16, 10)
    assert not torch.equal(real_labels, fake_labels)  # drawn for G, not copied from the data
    loss_d = calls["adv_d"][0][1] + calls["aux"][0][1] + calls["aux"][1][1]
    loss_g = calls["adv_g"][0][1] + calls["aux"][2][1]
    torch.testing.assert_close(metrics["loss_d"], loss_d)
    torch.testing.assert_close(metrics["loss_g"], loss_g)
    accuracy = (real_classes.argmax(1) == real_labels).float().mean()
    torch.testing.assert_close(metrics["d_class_acc_real"], accuracy)


def test_acgan_learns_classes_that_its_generator_then_draws(synthetic_root, tmp_path):
    """On the synthetic set (class k is a bright bar on rows 2+2k..4+2k), D learns to
    classify real images, and G learns to draw the class it is asked for: the brightest
    3-row band of each sample is its label's (chance: 1 in 10). No EMA, so that the
    sampled G is the trained one after only 100 iterations."""
    result = ganzoo.train("acgan", "mnist", out=tmp_path / "acgan", data_root=str(synthetic_root), epochs=5,
                          batch_size=32, log_every=5, ema=False, device="cpu")
    records = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    assert records[0]["d_class_acc_real"] < 0.5 and min(r["d_class_acc_real"] for r in records[-20:]) > 0.9
    assert sum(r["d_class_acc_fake"] for r in records[-20:]) / 20 > 0.9
    loaded = ganzoo.load_generator(result.run_dir, device="cpu")
    labels = torch.arange(10).repeat(10)
    row_brightness = ganzoo.sample(loaded, 100, labels=labels, seed=0)[:, 0].mean(dim=2)  # (100, 28)
    bands = torch.stack([row_brightness[:, 2 + 2 * k : 5 + 2 * k].mean(dim=1) for k in range(10)], dim=1)
    assert (bands.argmax(dim=1) == labels).float().mean() > 0.8
