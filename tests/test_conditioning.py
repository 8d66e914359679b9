"""Conditioning strategies: how labels reach G and D."""

import pytest
import torch

import ganzoo
from ganzoo.conditioning import EmbeddingConcat, Projection


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
